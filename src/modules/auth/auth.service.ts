import {
  TooManyRequestsError,
  UnauthenticatedError,
  NotFoundError,
  ForbiddenError,
  ValidationError,
} from "../../core/errors/app-error";
import type { Database } from "../../core/database/prisma";
import type { Logger } from "../../core/logging/logger";
import type { User } from "../../generated/prisma/client";
import type { AccessTokens } from "./access-token";
import { ipLimitKey } from "./client-info";
import type { Principal } from "./authenticator";
import { PasswordHashingBusyError } from "./hashing-queue";
import type { LoginThrottle } from "./login-throttle";
import type { PasswordHasher } from "./password-hasher";
import type { ClientInfo, Session, SessionStore } from "./session-store";
import { unusableToken } from "./token-problems";

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

/**
 * What a caller offers to prove it is still the account's owner before a
 * sensitive change: the current password (when the setting asks for it) and
 * where the request came from (for the lockouts).
 */
export interface Reauthentication {
  currentPassword: string | undefined;
  client: ClientInfo;
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
  /** REQUIRE_CURRENT_PASSWORD: password and email changes, and ending other sessions, need it. */
  requireCurrentPassword: boolean;
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
    const { db, logger } = this.deps;
    const { user, valid } = await this.checkPassword(credentials.email, credentials.password, {
      client,
      findUser: () => db.user.findUnique({ where: { email: credentials.email } }),
    });
    if (user === null || !valid) {
      logger.info(
        { event: "auth.login_failed", userId: user?.id, ip: client.ip },
        "sign-in failed",
      );
      throw new UnauthenticatedError("credentials", "invalid");
    }

    if (user.status === "BANNED") throw new ForbiddenError("user", "is banned");
    const passwordHash = await this.upgradedHash(user, credentials.password);

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

  /**
   * With REQUIRE_CURRENT_PASSWORD, the caller proves again that it knows the
   * password before a change that would let a stolen token keep the account
   * (a new password or email, ending other sessions). The check goes through
   * the sign-in lockouts: a wrong password counts as a failed sign-in, and a
   * locked account or address is refused. Without the setting it asks nothing.
   */
  async reauthenticate(principal: Principal, proof: Reauthentication): Promise<void> {
    if (!this.deps.requireCurrentPassword) return;
    if (proof.currentPassword === undefined) {
      throw new ValidationError({ currentPassword: ["is required for this change"] });
    }
    const user = await this.deps.db.user.findUnique({ where: { id: principal.userId } });
    if (user === null || user.status !== "ACTIVE") throw unusableToken("revoked");
    const { valid } = await this.checkPassword(user.email, proof.currentPassword, {
      client: proof.client,
      findUser: () => Promise.resolve(user),
    });
    if (!valid) {
      this.deps.logger.info(
        { event: "auth.reauthentication_failed", userId: user.id, ip: proof.client.ip },
        "re-authentication failed",
      );
      // Not 401: the caller's token is fine, and a front end answers 401 by signing out.
      throw new ForbiddenError("currentPassword", "is incorrect");
    }
  }

  /**
   * One password check behind the lockouts. The attempt counts as a failure
   * for the account and the address until the password proves right. The
   * hashing-queue place is taken first, so a busy answer (503) never counts
   * as a failed guess.
   */
  private async checkPassword(
    email: string,
    password: string,
    { client, findUser }: { client: ClientInfo; findUser: () => Promise<User | null> },
  ): Promise<{ user: User | null; valid: boolean }> {
    const { hasher, throttle, logger } = this.deps;
    const ipKey = ipLimitKey(client.ip);
    const place = hasher.reserve();
    try {
      const admission = await throttle.admit(email, ipKey);
      if (!admission.admitted) {
        logger.warn({ event: "auth.login_locked", ip: client.ip }, "sign-in refused while locked");
        throw new TooManyRequestsError(
          admission.retryAfterSeconds,
          "login",
          "is temporarily locked after too many failed attempts",
        );
      }
      const user = await findUser();
      const valid =
        user === null
          ? (await hasher.verifyDecoy(password, place), false)
          : await hasher.verify(user.passwordHash, password, place);
      if (valid) await throttle.succeeded(email, ipKey);
      return { user, valid };
    } finally {
      place.leave();
    }
  }

  /**
   * The stored hash, upgraded first if it was made with other parameters than
   * today's: only over the hash just verified (a password changed meanwhile
   * stands), and not while hashing is busy (the next sign-in upgrades it).
   */
  private async upgradedHash(user: User, password: string): Promise<string> {
    const { db, hasher } = this.deps;
    if (!hasher.needsRehash(user.passwordHash)) return user.passwordHash;
    let upgraded: string;
    try {
      upgraded = await hasher.hash(password);
    } catch (error) {
      if (error instanceof PasswordHashingBusyError) return user.passwordHash;
      throw error;
    }
    const { count } = await db.user.updateMany({
      where: { id: user.id, passwordHash: user.passwordHash },
      data: { passwordHash: upgraded },
    });
    return count === 1 ? upgraded : user.passwordHash;
  }

  async startSession(
    user: Pick<User, "id" | "role">,
    client: ClientInfo,
  ): Promise<{ sessionId: string; accessToken: string; refreshToken: string }> {
    const { sessionId, refreshToken, expiresAt } = await this.deps.sessions.create(user, client);
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

  /** Logout-all: ends every session of the caller, this one included. */
  async signOutEverywhere(principal: Principal, proof: Reauthentication): Promise<void> {
    await this.reauthenticate(principal, proof);
    await this.endSessions(principal.userId);
  }

  /** Ends one of the caller's sessions; another than this one only after re-authentication. */
  async endSession(
    principal: Principal,
    sessionId: string,
    proof: Reauthentication,
  ): Promise<void> {
    if (sessionId !== principal.sessionId) await this.reauthenticate(principal, proof);
    if (!(await this.deps.sessions.revoke(principal.userId, sessionId))) {
      throw new NotFoundError("session");
    }
  }
}
