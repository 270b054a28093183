import express, { type RequestHandler } from "express";
import { UnsupportedMediaTypeError } from "../errors/app-error";

/**
 * Parses JSON bodies up to `limit`, and refuses a body sent as anything else
 * with 415 rather than silently ignoring it. A request without a body gets
 * `{}`, so its schema names the missing fields rather than the missing body.
 */
export function jsonBody(limit: string): RequestHandler[] {
  const refuseOtherBodies: RequestHandler = (req, _res, next) => {
    if (hasBody(req.headers) && !req.is("application/json")) {
      next(new UnsupportedMediaTypeError());
      return;
    }
    next();
  };
  const emptyWhenAbsent: RequestHandler = (req, _res, next) => {
    req.body ??= {};
    next();
  };
  return [refuseOtherBodies, express.json({ limit, strict: true }), emptyWhenAbsent];
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = Number(headers["content-length"] ?? 0);
  return Number.isFinite(length) && length > 0;
}
