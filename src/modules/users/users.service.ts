import type { Database } from "../../core/database/prisma";
import { ConflictError } from "../../core/errors/app-error";
import { Prisma, type User } from "../../generated/prisma/client";
import { unusableToken } from "../auth/token-problems";
import type { AuthService, SignedIn } from "../auth/auth.service";
import type { Principal } from "../auth/authenticator";
import type { PasswordHasher } from "../auth/password-hasher";
import type { PasswordPolicy } from "../auth/password-policy";
import type { ClientInfo } from "../auth/session-store";
import type { RegisterInput, UserChanges } from "./users.schemas";

/** Changes that take over an account if made with a stolen token; each is limited per user. */
export type SensitiveChange = "password" | "email";

/** Counts one such change against the caller's allowance; throws (429) when it is spent. */
export type CountChange = (change: SensitiveChange) => Promise<void>;

interface UsersServiceDeps {
  db: Database;
  hasher: PasswordHasher;
  passwords: PasswordPolicy;
  auth: AuthService;
}

/** Accounts: registration and the signed-in user's own details. */
export class UsersService {
  constructor(private readonly deps: UsersServiceDeps) {}

  /** Creates the account and signs it in. A taken email or username is a 409 naming each one taken. */
  async register(input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
    const { db, hasher, passwords, auth } = this.deps;
    passwords.assertAcceptable(input.password);
    const passwordHash = await hasher.hash(input.password);
    const user = await this.explainingConflicts(input, () =>
      db.user.create({ data: { username: input.username, email: input.email, passwordHash } }),
    );
    return { user, ...(await auth.startSession(user, client)) };
  }

  async current(principal: Principal): Promise<User> {
    const user = await this.deps.db.user.findUnique({ where: { id: principal.userId } });
    // A live session for a user that is gone or banned should not exist; refuse it anyway.
    if (user === null || user.status !== "ACTIVE") {
      throw unusableToken("revoked");
    }
    return user;
  }

  /**
   * Applies the changes. A new password or email is counted against the
   * caller's allowance for such changes (whether or not the email turns out
   * taken, so probing for registered emails is limited too) and, with
   * REQUIRE_CURRENT_PASSWORD, needs the current password. A new password ends
   * every other session of the user, so whoever else held one is signed out;
   * the caller's session goes on.
   */
  async update(
    principal: Principal,
    changes: UserChanges,
    { client, countChange }: { client: ClientInfo; countChange: CountChange },
  ): Promise<User> {
    const { db, hasher, passwords, auth } = this.deps;
    const { password, currentPassword, ...rest } = changes;
    if (password !== undefined) passwords.assertAcceptable(password);
    const before = await this.current(principal);
    const sensitive: SensitiveChange[] = [];
    if (password !== undefined) sensitive.push("password");
    if (rest.email !== undefined && rest.email !== before.email) sensitive.push("email");
    for (const field of sensitive) await countChange(field);
    if (sensitive.length > 0) await auth.reauthenticate(principal, { currentPassword, client });

    const passwordHash = password === undefined ? undefined : await hasher.hash(password);
    const user = await this.explainingConflicts({ ...rest, exceptUserId: principal.userId }, () =>
      db.user.update({ where: { id: principal.userId }, data: { ...rest, passwordHash } }),
    );
    if (password !== undefined) await auth.endSessions(user.id, principal.sessionId);
    return user;
  }

  /**
   * Runs a write that may collide on email or username. The database names
   * only the first unique value it found taken, so a collision is answered
   * after one read that names every one taken ("email has already been taken"
   * and "username has already been taken" together).
   */
  private async explainingConflicts(
    wanted: { email?: string; username?: string; exceptUserId?: number },
    write: () => Promise<User>,
  ): Promise<User> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== "P2002") {
        throw error;
      }
      // If the explaining read fails, the database's own answer (a 409 naming one field) stands.
      const taken = await this.takenFields(wanted).catch(() => []);
      throw taken.length > 0 ? new ConflictError(taken) : error;
    }
  }

  private async takenFields({
    email,
    username,
    exceptUserId,
  }: {
    email?: string;
    username?: string;
    exceptUserId?: number;
  }): Promise<("email" | "username")[]> {
    const holders = await this.deps.db.user.findMany({
      where: {
        OR: [
          ...(email === undefined ? [] : [{ email }]),
          ...(username === undefined ? [] : [{ username }]),
        ],
        ...(exceptUserId === undefined ? {} : { NOT: { id: exceptUserId } }),
      },
      select: { email: true, username: true },
    });
    // citext compares without case; so must this.
    const same = (a: string, b: string | undefined) => a.toLowerCase() === b?.toLowerCase();
    return [
      ...(holders.some((holder) => same(holder.email, email)) ? ["email" as const] : []),
      ...(holders.some((holder) => same(holder.username, username)) ? ["username" as const] : []),
    ];
  }
}
