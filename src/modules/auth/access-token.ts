import { errors, jwtVerify, SignJWT } from "jose";
import type { Role } from "../../generated/prisma/client";
import { ROLES } from "./permissions";

export interface AccessTokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  /** Undefined: a token is accepted until its session's absolute end (ADR 0021). */
  ttlSeconds: number | undefined;
}

/**
 * What a verified access token says about its bearer. Its `role` claim is
 * left out on purpose: permission checks take the role from the session.
 */
export interface AccessClaims {
  userId: number;
  sessionId: string;
  expiresAt: Date;
}

export type AccessTokenProblem = "expired" | "invalid";

export class AccessTokenError extends Error {
  override readonly name = "AccessTokenError";
  constructor(readonly problem: AccessTokenProblem) {
    super(`access token is ${problem}`);
  }
}

/** The one algorithm accepted: a token naming any other (or `none`) is refused before its signature is read. */
const ALGORITHM = "HS256";

/**
 * JWTs that name their session (`sid`). Every use checks that session in
 * Redis, so ending the session ends the token at once, long before `exp`; and
 * `exp` is never later than the session's own absolute end.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(private readonly settings: AccessTokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
  }

  sign(claims: {
    userId: number;
    sessionId: string;
    /** For clients that read the token; the service never takes it from a token it is shown. */
    role: Role;
    /** When the session ends at the latest. */
    sessionExpiresAt: Date;
  }): Promise<string> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const sessionEnd = Math.floor(claims.sessionExpiresAt.getTime() / 1000);
    const { ttlSeconds } = this.settings;
    const expiresAt =
      ttlSeconds === undefined ? sessionEnd : Math.min(issuedAt + ttlSeconds, sessionEnd);
    return new SignJWT({ sid: claims.sessionId, role: claims.role })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(String(claims.userId))
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ["sub", "sid", "exp", "iat"],
      }));
    } catch (error) {
      throw new AccessTokenError(error instanceof errors.JWTExpired ? "expired" : "invalid");
    }
    const userId = Number(payload.sub);
    const { sid, role, exp } = payload;
    if (
      !Number.isSafeInteger(userId) ||
      userId < 1 ||
      typeof sid !== "string" ||
      typeof role !== "string" ||
      !(ROLES as readonly string[]).includes(role) ||
      exp === undefined
    ) {
      throw new AccessTokenError("invalid");
    }
    return { userId, sessionId: sid, expiresAt: new Date(exp * 1000) };
  }
}
