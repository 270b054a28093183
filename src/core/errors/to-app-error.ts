import { z } from "zod";
import { Prisma } from "../../generated/prisma/client";
import { isRedisUnavailable } from "../redis/redis";
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
  const databaseFailure = databaseFailureOf(error);
  if (databaseFailure !== undefined) return fromDatabaseFailure(databaseFailure);
  if (error instanceof Prisma.PrismaClientKnownRequestError) return fromPrismaError(error);
  if (isRedisUnavailable(error)) {
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

/**
 * Why the database could not serve a query, when that is the reason:
 * - `unavailable`: no answer (refused, restarting, shut down, connection
 *   ended or cut, a connect or an answer that took too long): an outage.
 * - `timeout`: a statement outlived the statement timeout (PostgreSQL cancelled
 *   it), or a transaction its time limit.
 * - `busy`: every pooled connection stayed taken for the whole wait.
 * - `text`: PostgreSQL cannot store the text (a NUL character, or one its
 *   encoding lacks): the client's input, not the server, is at fault.
 * Recognises node-postgres's errors as they come from the pool and Prisma's
 * (P1001, P2010/P2039 with the adapter's error, or pg's own Error rethrown).
 */
export type DatabaseFailure = "unavailable" | "timeout" | "busy" | "text";

export function databaseFailureOf(error: unknown): DatabaseFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if (error instanceof Prisma.PrismaClientInitializationError) return "unavailable";
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (UNAVAILABLE_PRISMA_CODES.has(error.code)) return "unavailable";
    if (TIMEOUT_PRISMA_CODES.has(error.code)) return "timeout";
    const cause = (error.meta as { driverAdapterError?: { cause?: AdapterErrorCause } } | undefined)
      ?.driverAdapterError?.cause;
    return cause === undefined ? undefined : failureOfAdapterCause(cause);
  }
  const { name, cause } = error as { name?: unknown; cause?: AdapterErrorCause };
  if (name === "DriverAdapterError" && cause !== undefined) return failureOfAdapterCause(cause);
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (UNREACHABLE_SOCKET_CODES.has(code)) return "unavailable";
    const failure = failureOfSqlState(code);
    if (failure !== undefined) return failure;
  }
  if (typeof message !== "string") return undefined;
  if (message === POOL_WAIT_TIMED_OUT) return "busy";
  return UNAVAILABLE_DRIVER_MESSAGES.has(message) ? "unavailable" : undefined;
}

interface AdapterErrorCause {
  kind?: string;
  /** The SQLSTATE, for errors PostgreSQL reported. */
  originalCode?: string;
}

/** P1001 can't reach the server, P1002 timed out reaching it, P1017 it closed the connection. */
const UNAVAILABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1017"]);
/** P1008 an operation timed out, P2028 a transaction could not start or finish in time. */
const TIMEOUT_PRISMA_CODES = new Set(["P1008", "P2028"]);

/** The adapter's kinds for a server it could not reach or lost (see @prisma/adapter-pg). */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
]);

const UNREACHABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** pg-pool's error when no pooled connection came free within the connect timeout. */
const POOL_WAIT_TIMED_OUT = "timeout exceeded when trying to connect";

/** node-postgres's own errors (no SQLSTATE) for a connection that ended or never answered. */
const UNAVAILABLE_DRIVER_MESSAGES = new Set([
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "Connection terminated",
  "Query read timeout",
  "Client has encountered a connection error and is not queryable",
]);

function failureOfAdapterCause(cause: AdapterErrorCause): DatabaseFailure | undefined {
  if (UNAVAILABLE_ADAPTER_KINDS.has(cause.kind ?? "")) return "unavailable";
  return cause.originalCode === undefined ? undefined : failureOfSqlState(cause.originalCode);
}

/**
 * Class 08 connection exceptions; 57P01–57P03 (terminated by an administrator,
 * crash or shutdown, starting up); 57014 canceled (the statement timeout);
 * 53300 too many connections. 22021 and 22P05: text PostgreSQL cannot hold.
 */
function failureOfSqlState(sqlState: string): DatabaseFailure | undefined {
  if (/^08[0-9A-Z]{3}$/.test(sqlState)) return "unavailable";
  if (["57P01", "57P02", "57P03", "53300"].includes(sqlState)) return "unavailable";
  if (sqlState === "57014") return "timeout";
  if (sqlState === "22021" || sqlState === "22P05") return "text";
  return undefined;
}

/** How long a client is told to wait before trying a database that is down or busy again. */
const DATABASE_RETRY_AFTER_SECONDS = { unavailable: 5, busy: 1 } as const;

function fromDatabaseFailure(failure: DatabaseFailure): AppError {
  switch (failure) {
    case "unavailable":
    case "timeout":
      return new ServiceUnavailableError(
        { database: ["is unavailable, try again shortly"] },
        DATABASE_RETRY_AFTER_SECONDS.unavailable,
      );
    case "busy":
      return new ServiceUnavailableError(
        { database: ["is busy, try again shortly"] },
        DATABASE_RETRY_AFTER_SECONDS.busy,
      );
    case "text":
      return new ValidationError({
        request: ["contains a character that cannot be stored, such as NUL"],
      });
  }
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
