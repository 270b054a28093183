import {
  TooManyRequestsError,
  UnauthenticatedError,
  NotFoundError,
  ForbiddenError,
} from "../../core/errors/app-error";
import type { Database } from "../../core/database/prisma";
import type { Logger } from "../../core/logging/logger";
import type { User } from "../../generated/prisma/client";
import type { AccessTokens } from "./access-token";
import { ipLimitKey } from "./client-info";
import type { Principal } from "./authenticator";
import type { LoginThrottle } from "./login-throttle";
import type { PasswordHasher } from "./password-hasher";
import type { ClientInfo, Session, SessionStore } from "./session-store";

export interface SignedIn {
  user: User;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

export interface Credentials {
  email: string;
  password: string;
}

export interface SessionView extends Session {
  current: boolean;
}

interface AuthServiceDeps {
  db: Database;
  logger: Logger;
  hasher: PasswordHasher;
  tokens: AccessTokens;
  sessions: SessionStore;
  throttle: LoginThrottle;
}

/**
 * Sign-in, sessions and their tokens. Every way a session ends goes through
 * here, so a later real-time layer has one place to learn of it.
 */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  /**
   * Checks credentials with the same answer and about the same work whether
   * or not the email exists, behind per-account and per-IP lockouts.
   */
  async login(credentials: Credentials, client: ClientInfo): Promise<SignedIn> {
    const { db, hasher, throttle, logger } = this.deps;
    const ipKey = ipLimitKey(client.ip);
    const admission = await throttle.admit(credentials.email, ipKey);
    if (!admission.admitted) {
      logger.warn({ event: "auth.login_locked", ip: client.ip }, "sign-in refused while locked");
      throw new TooManyRequestsError(
        admission.retryAfterSeconds,
        "login",
        "is temporarily locked after too many failed attempts",
      );
    }

    const user = await db.user.findUnique({ where: { email: credentials.email } });
    const valid =
      user === null
        ? (await hasher.verifyDecoy(credentials.password), false)
        : await hasher.verify(user.passwordHash, credentials.password);
    if (user === null || !valid) {
      logger.info(
        { event: "auth.login_failed", userId: user?.id, ip: client.ip },
        "sign-in failed",
      );
      throw new UnauthenticatedError("credentials", "invalid");
    }

    await throttle.succeeded(credentials.email, ipKey);
    if (user.status === "BANNED") throw new ForbiddenError("user", "is banned");
    let passwordHash = user.passwordHash;
    if (hasher.needsRehash(passwordHash)) {
      const upgraded = await hasher.hash(credentials.password);
      // Only over the hash just verified: a password changed meanwhile must stand.
      const { count } = await db.user.updateMany({
        where: { id: user.id, passwordHash },
        data: { passwordHash: upgraded },
      });
      if (count === 1) passwordHash = upgraded;
    }

    const session = await this.startSession(user, client);
    // A password change, ban or role change that committed while the password
    // was being checked ended the user's sessions before this one existed.
    // Reading the user again now, with the session in place, closes that gap:
    // either this read sees the change, or the change's revocation sees the session.
    const current = await db.user.findUnique({ where: { id: user.id } });
    if (
      current === null ||
      current.passwordHash !== passwordHash ||
      current.status !== "ACTIVE" ||
      current.role !== user.role
    ) {
      await this.deps.sessions.revoke(user.id, session.sessionId);
      throw new UnauthenticatedError("credentials", "changed while signing in; try again");
    }
    return { user: current, ...session };
  }

  async startSession(
    user: Pick<User, "id" | "role">,
    client: ClientInfo,
  ): Promise<{ sessionId: string; accessToken: string; refreshToken: string }> {
    const { sessionId, refreshToken, expiresAt } = await this.deps.sessions.create(user.id, client);
    const accessToken = await this.deps.tokens.sign({
      userId: user.id,
      sessionId,
      role: user.role,
      sessionExpiresAt: expiresAt,
    });
    return { sessionId, accessToken, refreshToken };
  }

  /**
   * Trades a refresh token for a new pair. A token used a second time ends
   * its session (someone else holds a copy), except within the grace window,
   * where a duplicate of a concurrent refresh gets that refresh's successor.
   */
  async refresh(presented: string): Promise<SignedIn> {
    const { db, sessions, tokens, logger } = this.deps;
    const rotation = await sessions.rotate(presented);
    if (rotation.outcome === "invalid") {
      throw new UnauthenticatedError("refreshToken", "is invalid or expired");
    }
    if (rotation.outcome === "reused") {
      logger.warn(
        {
          event: "auth.refresh_token_reuse",
          userId: rotation.userId,
          sessionId: rotation.sessionId,
        },
        "a used refresh token was presented again; its session is revoked",
      );
      throw new UnauthenticatedError(
        "refreshToken",
        "was already used; the session has been ended",
      );
    }
    const user = await db.user.findUnique({ where: { id: rotation.userId } });
    if (user === null || user.status !== "ACTIVE") {
      await sessions.revoke(rotation.userId, rotation.sessionId);
      throw new UnauthenticatedError("refreshToken", "is invalid or expired");
    }
    const accessToken = await tokens.sign({
      userId: user.id,
      sessionId: rotation.sessionId,
      role: user.role,
      sessionExpiresAt: rotation.expiresAt,
    });
    return {
      user,
      sessionId: rotation.sessionId,
      accessToken,
      refreshToken: rotation.refreshToken,
    };
  }

  async logout(principal: Principal): Promise<void> {
    await this.deps.sessions.revoke(principal.userId, principal.sessionId);
  }

  /** Ends every session of the user, or every one but `except`. */
  async endSessions(userId: number, except?: string): Promise<void> {
    await this.deps.sessions.revokeAll(userId, except);
  }

  async listSessions(principal: Principal): Promise<SessionView[]> {
    const sessions = await this.deps.sessions.list(principal.userId);
    return sessions.map((session) => ({ ...session, current: session.id === principal.sessionId }));
  }

  async endSession(principal: Principal, sessionId: string): Promise<void> {
    if (!(await this.deps.sessions.revoke(principal.userId, sessionId))) {
      throw new NotFoundError("session");
    }
  }
}
