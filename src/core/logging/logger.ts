import pino, { type Logger, type LoggerOptions } from "pino";
import { currentRequestContext } from "../context/request-context";

export type { Logger } from "pino";

/** Keys whose values never reach a log line, at any of the depths we log. */
const SECRET_KEYS = [
  "password",
  "passwordHash",
  "token",
  "accessToken",
  "refreshToken",
  "authorization",
  "cookie",
  "set-cookie",
  "secret",
  "jwtSecret",
];

/** Header names arrive in any case: `Authorization`, `Set-Cookie`. */
const SPELLINGS = SECRET_KEYS.flatMap((key) => {
  const capitalised = key.replace(
    /(^|-)([a-z])/g,
    (_match, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
  return capitalised === key ? [key] : [key, capitalised];
});

const REDACTED_PATHS = ["", "*.", "*.*.", "*.*.*."].flatMap((prefix) =>
  SPELLINGS.map((key) => (key.includes("-") ? `${prefix}["${key}"]` : `${prefix}${key}`)),
);

export interface LoggerSettings {
  level: string;
  pretty: boolean;
}

/**
 * The process-wide logger. A mixin adds the current request id to every line
 * written while serving a request, so no caller passes it by hand.
 */
export function createLogger(
  settings: LoggerSettings,
  destination?: pino.DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    mixin: () => {
      const context = currentRequestContext();
      return context ? { requestId: context.requestId } : {};
    },
    serializers: { err: serializeError },
  };
  if (destination) return pino(options, destination);
  if (settings.pretty) {
    return pino({
      ...options,
      transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l" } },
    });
  }
  return pino(options);
}

/**
 * pino's error serializer, minus what may hold secrets: the raw request body
 * that body-parser attaches, and the call arguments Prisma quotes in its
 * validation messages (whose last line says what was wrong).
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as Record<string, unknown>;
  delete serialized.body;
  if (serialized.type === "PrismaClientValidationError" && typeof serialized.message === "string") {
    const reason = serialized.message.trim().split("\n").at(-1) ?? "";
    serialized.message = reason;
    serialized.stack = `${String(serialized.type)}: ${reason}`;
  }
  return serialized;
}

/** Query parameters whose values are credentials in some clients. */
const SECRET_QUERY_PARAMETERS =
  /([?&](?:token|access_token|refresh_token|refreshToken|password)=)[^&]*/gi;

/** A URL for the logs: the path and query, with credential parameters redacted. */
export function loggableUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMETERS, "$1[redacted]");
}
