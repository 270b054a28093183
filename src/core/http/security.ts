import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";
import { REQUEST_ID_HEADER } from "./request-id";

/** helmet's defaults, minus the content policy, which is for HTML pages rather than a JSON API. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: "cross-origin" },
  });
}

/**
 * CORS from the configured allow-list (`*` allows every origin). Preflights are
 * answered here, so RealWorld front ends on other origins can send
 * `Authorization` and `Content-Type` on every call.
 */
export function corsPolicy(allowedOrigins: readonly string[]): RequestHandler {
  const anyOrigin = allowedOrigins.includes("*");
  const allowed = originPolicy(allowedOrigins);
  return cors({
    origin: anyOrigin ? "*" : (origin, callback) => callback(null, allowed(origin)),
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["Authorization", "Content-Type", REQUEST_ID_HEADER, "Idempotency-Key"],
    exposedHeaders: [
      REQUEST_ID_HEADER,
      "Idempotent-Replayed",
      "Retry-After",
      "RateLimit",
      "RateLimit-Policy",
      "WWW-Authenticate",
    ],
    maxAge: 600,
    // Lets browsers send the refresh cookie cross-origin; never with `*`,
    // which browsers refuse to combine with credentials anyway.
    credentials: !anyOrigin,
  });
}

/** Whether pages on `origin` may call the API: the allow-list CORS and socket handshakes share. */
export function originPolicy(allowedOrigins: readonly string[]): (origin?: string) => boolean {
  const allowList = new Set(allowedOrigins);
  if (allowList.has("*")) return () => true;
  return (origin) => origin !== undefined && allowList.has(origin);
}
