import type { ErrorRequestHandler, RequestHandler } from "express";
import { currentRequestContext } from "../context/request-context";
import { NotFoundError } from "../errors/app-error";
import { toAppError } from "../errors/to-app-error";
import { loggableUrl, type Logger } from "../logging/logger";

/** Any request no router answered. */
export const unknownRoute: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError("route"));
};

/**
 * The one place errors become responses: the RealWorld envelope, a stable
 * code and the request id. Server errors are logged in full and described to
 * the client in one generic sentence.
 */
export function errorResponder(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      logger.error(
        { err: error, method: req.method, url: loggableUrl(req.originalUrl) },
        "request failed",
      );
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
