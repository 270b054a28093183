import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * A refresh token is `<session id>.<secret>` (the split-token pattern): the
 * session id finds the session, and only a SHA-256 of the 256-bit secret is
 * stored, so a copy of Redis holds nothing that can be replayed.
 */
export interface RefreshToken {
  sessionId: string;
  secret: string;
}

const SESSION_ID_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function newSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString("base64url");
}

export function newRefreshToken(sessionId: string): RefreshToken {
  return { sessionId, secret: randomBytes(SECRET_BYTES).toString("base64url") };
}

export function formatRefreshToken(token: RefreshToken): string {
  return `${token.sessionId}.${token.secret}`;
}

/** Undefined for anything that cannot be a refresh token, before Redis is asked. */
export function parseRefreshToken(value: string): RefreshToken | undefined {
  const match = TOKEN_PATTERN.exec(value);
  if (match === null) return undefined;
  return { sessionId: match[1]!, secret: match[2]! };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}

/**
 * The successor of a rotated token, encrypted with a key only the rotated
 * token's secret yields. A duplicate refresh inside the grace window can get
 * the same successor back, and yet Redis never holds a usable token.
 */
export function sealSuccessor(rotatedSecret: string, successor: RefreshToken): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", successorKey(rotatedSecret), iv);
  const sealed = Buffer.concat([cipher.update(formatRefreshToken(successor)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
}

export function openSuccessor(rotatedSecret: string, sealed: string): RefreshToken | undefined {
  try {
    const bytes = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv(
      "aes-256-gcm",
      successorKey(rotatedSecret),
      bytes.subarray(0, 12),
    );
    decipher.setAuthTag(bytes.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    return parseRefreshToken(plain.toString("utf8"));
  } catch {
    return undefined;
  }
}

function successorKey(secret: string): Buffer {
  return createHash("sha256").update(`successor:${secret}`).digest();
}
