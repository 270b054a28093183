/**
 * The one error family. Every failure a client can see is an AppError, and the
 * error middleware renders each as the RealWorld envelope
 * `{"errors": {"<field>": ["<message>"]}}` plus a stable `code` and the request id.
 * Field and message read well together ("email has already been taken"), since
 * RealWorld front ends show them joined.
 */

export type FieldErrors = Record<string, string[]>;

export const ErrorCode = {
  BadRequest: "BAD_REQUEST",
  Unauthenticated: "UNAUTHENTICATED",
  Forbidden: "FORBIDDEN",
  NotFound: "NOT_FOUND",
  MethodNotAllowed: "METHOD_NOT_ALLOWED",
  Conflict: "CONFLICT",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
  ValidationFailed: "VALIDATION_FAILED",
  TooManyRequests: "TOO_MANY_REQUESTS",
  Internal: "INTERNAL",
  ServiceUnavailable: "SERVICE_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  override readonly name: string = "AppError";

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly errors: FieldErrors,
    /** Extra response headers, such as Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(summarise(errors), options);
  }
}

/** 400: the request cannot be read at all (for example malformed JSON). */
export class BadRequestError extends AppError {
  override readonly name = "BadRequestError";
  constructor(field: string, message: string) {
    super(400, ErrorCode.BadRequest, { [field]: [message] });
  }
}

/** 401: no usable credentials. HTTP asks every 401 to name its scheme in WWW-Authenticate. */
export class UnauthenticatedError extends AppError {
  override readonly name = "UnauthenticatedError";
  constructor(field = "token", message = "is missing", challenge = 'Bearer realm="conduit"') {
    super(
      401,
      ErrorCode.Unauthenticated,
      { [field]: [message] },
      { "WWW-Authenticate": challenge },
    );
  }
}

/** 403: authenticated, but not allowed to do this to `resource`. */
export class ForbiddenError extends AppError {
  override readonly name = "ForbiddenError";
  constructor(resource: string, message = "forbidden") {
    super(403, ErrorCode.Forbidden, { [resource]: [message] });
  }
}

/** 404: `resource` does not exist (or must not be admitted to exist). */
export class NotFoundError extends AppError {
  override readonly name = "NotFoundError";
  constructor(resource: string) {
    super(404, ErrorCode.NotFound, { [resource]: ["not found"] });
  }
}

/** 405: the path exists, but not with this method. HTTP asks for the methods it has in Allow. */
export class MethodNotAllowedError extends AppError {
  override readonly name = "MethodNotAllowedError";
  constructor(allowed: readonly string[]) {
    super(
      405,
      ErrorCode.MethodNotAllowed,
      { method: [`is not allowed here; use ${allowed.join(", ")}`] },
      { Allow: allowed.join(", ") },
    );
  }
}

/** 409: the change collides with existing data, such as a unique value (or several) already taken. */
export class ConflictError extends AppError {
  override readonly name = "ConflictError";
  constructor(fields: string | readonly string[], message = "has already been taken") {
    const names: readonly string[] = typeof fields === "string" ? [fields] : fields;
    super(409, ErrorCode.Conflict, Object.fromEntries(names.map((field) => [field, [message]])));
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly name = "PayloadTooLargeError";
  constructor(limit: string) {
    super(413, ErrorCode.PayloadTooLarge, { body: [`is larger than the ${limit} limit`] });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = "UnsupportedMediaTypeError";
  constructor(message = "must be sent as application/json") {
    super(415, ErrorCode.UnsupportedMediaType, { body: [message] });
  }
}

/** 422: the request is well formed but its values are not acceptable. */
export class ValidationError extends AppError {
  override readonly name = "ValidationError";
  constructor(errors: FieldErrors) {
    super(422, ErrorCode.ValidationFailed, errors);
  }
}

export class TooManyRequestsError extends AppError {
  override readonly name = "TooManyRequestsError";
  constructor(
    retryAfterSeconds: number,
    field = "requests",
    message = "are too many, try again later",
  ) {
    super(
      429,
      ErrorCode.TooManyRequests,
      { [field]: [message] },
      {
        "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
      },
    );
  }
}

/**
 * 503: a dependency (named by each field) cannot serve right now. Retry-After
 * tells clients when trying again is worth it.
 */
export class ServiceUnavailableError extends AppError {
  override readonly name = "ServiceUnavailableError";
  constructor(errors: FieldErrors, retryAfterSeconds = 1) {
    super(503, ErrorCode.ServiceUnavailable, errors, {
      "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}

/** The body of every 500: it names nothing about internals. */
export class InternalError extends AppError {
  override readonly name = "InternalError";
  constructor(cause?: unknown) {
    super(500, ErrorCode.Internal, { server: ["encountered an internal error"] }, {}, { cause });
  }
}

function summarise(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, messages]) => `${field} ${messages.join(", ")}`)
    .join("; ");
}
