import type { ErrorRequestHandler, RequestHandler } from "express";
import type { ServerResponse } from "node:http";
import { currentRequestContext } from "../context/request-context";
import { NotFoundError } from "../errors/app-error";
import { toAppError } from "../errors/to-app-error";
import { loggableUrl, type Logger } from "../logging/logger";

/** Any request no router answered. */
export const unknownRoute: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError("route"));
};

/** Responses whose one log line errorResponder has written. */
const loggedFailures = new WeakSet<ServerResponse>();

/**
 * Whether errorResponder has logged this request as failed, so the request
 * log writes no second line for it.
 */
export function isLoggedAsFailure(res: ServerResponse): boolean {
  return loggedFailures.has(res);
}

/**
 * The one place errors become responses: the RealWorld envelope, a stable
 * code and the request id. A server error is described to the client in one
 * generic sentence, and its request's log line ("request failed") is written
 * here, with the error and its stack, even when the client has already gone.
 */
export function errorResponder(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      logger.error(
        {
          err: error,
          method: req.method,
          url: loggableUrl(req.originalUrl),
          statusCode: appError.status,
        },
        "request failed",
      );
      loggedFailures.add(res);
    }
    if (res.headersSent) {
      next(error);
      return;
    }
    res.status(appError.status).set(appError.headers).json({
      errors: appError.errors,
      code: appError.code,
      requestId: currentRequestContext()?.requestId,
    });
  };
}
