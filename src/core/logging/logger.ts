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

export const REDACTED_PATHS = ["", "*.", "*.*.", "*.*.*."].flatMap((prefix) =>
  SECRET_KEYS.map((key) => (key.includes("-") ? `${prefix}["${key}"]` : `${prefix}${key}`)),
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

/** pino's error serializer, minus the raw request body that body-parser attaches. */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as Record<string, unknown>;
  delete serialized.body;
  return serialized;
}
