import type { AppError, ErrorCode } from "../../core/errors/app-error";
import type { Logger } from "../../core/logging/logger";

/** What a refused client is told: the error's code and message, and when to try again if known. */
export function refusalData(appError: AppError): {
  code: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
} {
  const retryAfter = appError.headers["Retry-After"];
  return {
    code: appError.code,
    message: appError.message,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: Number(retryAfter) }),
  };
}

/**
 * A server-side failure behind a refusal. A dependency that is away (503) is
 * logged by its own outage lines when it goes and comes back, so each refusal
 * during the outage is only a debug line; anything else is an error with its stack.
 */
export function logRefusal(
  logger: Logger,
  error: unknown,
  appError: AppError,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  if (appError.status === 503) {
    logger.debug({ ...fields, code: appError.code, reason: appError.message }, message);
  } else if (appError.status >= 500) {
    logger.error({ ...fields, err: error }, message);
  }
}
