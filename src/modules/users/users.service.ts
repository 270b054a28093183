import type { Database } from "../../core/database/prisma";
import type { User } from "../../generated/prisma/client";
import { unusableToken } from "../auth/token-problems";
import type { AuthService, SignedIn } from "../auth/auth.service";
import type { Principal } from "../auth/authenticator";
import type { PasswordHasher } from "../auth/password-hasher";
import type { ClientInfo } from "../auth/session-store";
import type { RegisterInput, UserChanges } from "./users.schemas";

interface UsersServiceDeps {
  db: Database;
  hasher: PasswordHasher;
  auth: AuthService;
}

/** Accounts: registration and the signed-in user's own details. */
export class UsersService {
  constructor(private readonly deps: UsersServiceDeps) {}

  /** Creates the account and signs it in. A taken email or username is a 409 naming it. */
  async register(input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
    const { db, hasher, auth } = this.deps;
    const user = await db.user.create({
      data: {
        username: input.username,
        email: input.email,
        passwordHash: await hasher.hash(input.password),
      },
    });
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
   * Applies the changes. A new password ends every other session of the user,
   * so whoever else held one is signed out; the caller's session goes on.
   */
  async update(principal: Principal, changes: UserChanges): Promise<User> {
    const { db, hasher, auth } = this.deps;
    await this.current(principal);
    const { password, ...rest } = changes;
    const user = await db.user.update({
      where: { id: principal.userId },
      data: {
        ...rest,
        ...(password === undefined ? {} : { passwordHash: await hasher.hash(password) }),
      },
    });
    if (password !== undefined) await auth.endSessions(user.id, principal.sessionId);
    return user;
  }
}
