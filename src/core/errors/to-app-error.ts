import { MaxRetriesPerRequestError } from "ioredis/built/errors";
import { z } from "zod";
import { Prisma } from "../../generated/prisma/client";
import {
  AppError,
  BadRequestError,
  ConflictError,
  type FieldErrors,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./app-error";

/** Turns anything thrown while serving a request into the AppError the client sees. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return validationErrorFromZod(error);
  if (error instanceof Prisma.PrismaClientKnownRequestError) return fromPrismaError(error);
  if (error instanceof Prisma.PrismaClientInitializationError) return databaseUnavailable();
  if (isDatabaseUnreachable(error)) return databaseUnavailable();
  if (isRedisUnreachable(error)) {
    return new ServiceUnavailableError({ redis: ["is unavailable, try again shortly"] });
  }
  return fromHttpError(error) ?? new InternalError(error);
}

/**
 * RealWorld names a field by its own name (`errors.email`), not by its path in
 * the envelope (`user.email`), so the last named segment of the path is the key.
 */
export function validationErrorFromZod(error: z.ZodError): ValidationError {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.findLast((segment) => typeof segment === "string") ?? "body";
    if (issue.path.length === 0 && issue.code === "invalid_type") {
      // The whole body (or query) is of the wrong kind, e.g. a JSON array.
      (errors[field] ??= []).push("must be a JSON object");
      continue;
    }
    const messages = (errors[field] ??= []);
    if (!messages.includes(issue.message)) messages.push(issue.message);
  }
  return new ValidationError(errors);
}

function fromPrismaError(error: Prisma.PrismaClientKnownRequestError): AppError {
  switch (error.code) {
    case "P2002":
      return new ConflictError(uniqueFieldOf(error) ?? "record");
    case "P2025":
      return new NotFoundError(error.meta?.modelName?.toString().toLowerCase() ?? "record");
    case "P2003":
      return new ConflictError("record", "refers to something that no longer exists");
    // A transaction that outlived its time limit: the database is too busy.
    case "P2028":
    case "P1001":
    case "P1003":
    case "P1017":
      return databaseUnavailable();
    default:
      return new InternalError(error);
  }
}

/**
 * The field behind a unique violation. Driver adapters report the constraint
 * by its fields or, for PostgreSQL, by its index name, which by PostgreSQL's
 * convention is `<table>_<column>_key`.
 */
export function uniqueFieldOf(error: Prisma.PrismaClientKnownRequestError): string | undefined {
  const meta = error.meta as
    | {
        target?: string | string[];
        driverAdapterError?: {
          cause?: { table?: string; constraint?: { fields?: string[]; index?: string } };
        };
      }
    | undefined;
  const cause = meta?.driverAdapterError?.cause;
  const fields =
    cause?.constraint?.fields ?? (typeof meta?.target === "string" ? [meta.target] : meta?.target);
  const index = cause?.constraint?.index;
  const column = fields?.[0] ?? columnOfUniqueIndex(index, cause?.table);
  return column
    ?.replace(/^"|"$/g, "")
    .replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** `users_email_key` on `users` → `email`. */
function columnOfUniqueIndex(index?: string, table?: string): string | undefined {
  const prefix = `${table}_`;
  if (index === undefined || table === undefined) return undefined;
  if (!index.startsWith(prefix) || !index.endsWith("_key")) return undefined;
  return index.slice(prefix.length, -"_key".length) || undefined;
}

function isDatabaseUnreachable(error: unknown): boolean {
  const cause = (error as { cause?: { kind?: string } } | null)?.cause;
  return (
    cause?.kind === "DatabaseNotReachable" ||
    ((error as { name?: string } | null)?.name === "DriverAdapterError" &&
      ["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout"].includes(cause?.kind ?? ""))
  );
}

/** ioredis gives up on a command after its retries, or at once on a closed connection. */
function isRedisUnreachable(error: unknown): boolean {
  return (
    error instanceof MaxRetriesPerRequestError ||
    (error instanceof Error && error.message === "Connection is closed.")
  );
}

function databaseUnavailable(): ServiceUnavailableError {
  return new ServiceUnavailableError({ database: ["is unavailable, try again shortly"] });
}

/**
 * Errors from Express's body parser carry a `type` and an HTTP status; the
 * router's URIError (a path with broken percent-encoding) carries only the status.
 */
function fromHttpError(error: unknown): AppError | undefined {
  if (error instanceof URIError)
    return new BadRequestError("path", "is not valid percent-encoding");
  if (typeof error !== "object" || error === null) return undefined;
  const { type, status, expose, limit } = error as {
    type?: string;
    status?: number;
    expose?: boolean;
    limit?: number;
  };
  switch (type) {
    case "entity.parse.failed":
      return new BadRequestError("body", "must be a valid JSON object or array");
    case "entity.too.large":
      return new PayloadTooLargeError(limit === undefined ? "size" : `${limit}-byte`);
    case "encoding.unsupported":
    case "charset.unsupported":
      return new UnsupportedMediaTypeError("has an unsupported character set or encoding");
    case "request.aborted":
    case "request.size.invalid":
    case "stream.encoding.set":
      return new BadRequestError("body", "could not be read");
  }
  if (expose === true && typeof status === "number" && status >= 400 && status < 500) {
    return new BadRequestError("request", "could not be read");
  }
  return undefined;
}
