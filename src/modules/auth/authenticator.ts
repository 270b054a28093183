import type { Request } from "express";
import type { Role } from "../../generated/prisma/client";
import { AccessTokenError, type AccessTokens } from "./access-token";
import type { SessionStore } from "./session-store";
import type { TokenProblem } from "./token-problems";

/** Who is calling: established from a verified access token whose session is still live. */
export interface Principal {
  userId: number;
  /** The role the session holds (what permission checks use). */
  role: Role;
  sessionId: string;
  /** The access token as presented; RealWorld echoes it in the user body. */
  token: string;
  /** When the access token stops being accepted. */
  expiresAt: Date;
}

export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  constructor(readonly problem: TokenProblem) {
    super(`credentials are ${problem}`);
  }
}

/** `Token <jwt>` (the RealWorld scheme) or `Bearer <jwt>`, scheme case-insensitive. */
const AUTHORIZATION = /^(?:Token|Bearer) +([A-Za-z0-9_.-]+) *$/i;

/**
 * Turns a presented access token into a Principal, for REST requests and
 * socket handshakes alike. Revocation is checked on every call (one Redis
 * round trip, which also counts as use of the session), so a logged-out
 * session stops working on every instance at once.
 */
export class Authenticator {
  /** Each request's check, so that asking again costs nothing. */
  private readonly checked = new WeakMap<Request, Promise<Principal | undefined>>();

  constructor(
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionStore,
  ) {}

  /**
   * Undefined when the request carries no credentials at all. A request is
   * checked once however many layers ask (the idempotency layer, then the
   * route's access rule): one session check, one use of the session.
   */
  fromRequest(req: Request): Promise<Principal | undefined> {
    let principal = this.checked.get(req);
    if (principal === undefined) {
      principal = this.check(req);
      this.checked.set(req, principal);
    }
    return principal;
  }

  private async check(req: Request): Promise<Principal | undefined> {
    const header = req.get("authorization");
    if (header === undefined || header.trim() === "") return undefined;
    const match = AUTHORIZATION.exec(header);
    if (match === null) throw new AuthenticationError("invalid");
    return this.fromToken(match[1]!);
  }

  async fromToken(token: string): Promise<Principal> {
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof AccessTokenError) throw new AuthenticationError(error.problem);
      throw error;
    }
    // The role comes from the live session, never from the token: a token is
    // only as good as its signing key, and a session's role is the server's.
    const role = await this.sessions.use(claims.sessionId, claims.userId);
    if (role === undefined) throw new AuthenticationError("revoked");
    return {
      userId: claims.userId,
      role,
      sessionId: claims.sessionId,
      token,
      expiresAt: claims.expiresAt,
    };
  }

  /**
   * Whether the session is still live: for connections that outlast the
   * request that opened them. `use: false` for checks the client did not
   * cause, so an idle open connection does not keep its session alive.
   */
  isActive(
    { sessionId, userId }: { sessionId: string; userId: number },
    options: { use: boolean },
  ): Promise<boolean> {
    return this.sessions.isActive(sessionId, userId, options);
  }
}
