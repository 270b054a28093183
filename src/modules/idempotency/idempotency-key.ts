import { createHash } from "node:crypto";
import type { Request } from "express";
import { BadRequestError } from "../../core/errors/app-error";

/** The request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field"). */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/** Longest key accepted; a UUID needs 36 characters. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * Visible ASCII without `"`, `\` and `,`: what a structured-field string can
 * carry without escapes, and no comma, so two Idempotency-Key headers (which
 * arrive joined by ", ") are refused rather than read as one key.
 */
const KEY = new RegExp(
  `^[\\x21\\x23-\\x2b\\x2d-\\x5b\\x5d-\\x7e]{1,${IDEMPOTENCY_KEY_MAX_LENGTH}}$`,
);

/**
 * The request's Idempotency-Key, or undefined when it has none. The draft
 * sends it as a structured-field string (`"…"`); a bare token is accepted too,
 * as most clients send one. Anything else is a 400.
 */
export function readIdempotencyKey(req: Request): string | undefined {
  const raw = req.get(IDEMPOTENCY_KEY_HEADER);
  if (raw === undefined) return undefined;
  const quoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"');
  const key = quoted ? raw.slice(1, -1) : raw;
  if (!KEY.test(key)) {
    throw new BadRequestError(
      IDEMPOTENCY_KEY_HEADER,
      `must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters, without quotes, backslashes or commas`,
    );
  }
  return key;
}

/**
 * What makes two requests "the same" for one key: method, path with query,
 * and the JSON body with its object keys in a fixed order (so a client that
 * serialises the same body differently is not told it changed).
 */
export function requestFingerprint(req: Request): string {
  let identity: string;
  try {
    identity = JSON.stringify([req.method, req.originalUrl, canonical(req.body)]);
  } catch (error) {
    // A body nested deeper than the stack allows; no schema accepts one.
    if (error instanceof RangeError) throw new BadRequestError("body", "is nested too deeply");
    throw error;
  }
  return createHash("sha256").update(identity).digest("hex");
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((name) => [name, canonical((value as Record<string, unknown>)[name])]),
    );
  }
  return value;
}
