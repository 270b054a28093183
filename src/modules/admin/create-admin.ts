import { randomBytes } from "node:crypto";
import type { Container } from "../../container";
import { Prisma, type Role, type User, type UserStatus } from "../../generated/prisma/client";
import { PasswordHasher } from "../auth/password-hasher";
import { emailSchema, USERNAME_MAX, usernameSchema } from "../users/users.schemas";

/** 18 random bytes are 24 base64url characters: 144 bits. */
const PASSWORD_BYTES = 18;
const SUFFIX_ATTEMPTS = 5;

export interface CreateAdminInput {
  email: string;
  /** Only used when a new account is created. */
  username?: string;
}

export type CreateAdminResult =
  /** A new account; `password` is shown to the operator once and never stored in clear. */
  | { outcome: "created"; user: User; password: string }
  /** An existing account made ADMIN (and ACTIVE); its sessions have ended. */
  | { outcome: "promoted"; user: User; from: { role: Role; status: UserStatus } }
  /** The account was already an active admin; nothing was written. */
  | { outcome: "unchanged"; user: User };

/** Input the command cannot use: the operator should fix the arguments. */
export class CreateAdminInputError extends Error {
  override readonly name = "CreateAdminInputError";
}

/** Something that stopped the command after its input was accepted. */
export class CreateAdminError extends Error {
  override readonly name = "CreateAdminError";
}

type AdminDeps = Pick<Container, "config" | "db" | "services">;

/** Validates the command's input the way the API validates the same fields. */
export function parseCreateAdminInput(input: CreateAdminInput): CreateAdminInput {
  const email = emailSchema.safeParse(input.email);
  if (!email.success) {
    throw new CreateAdminInputError(`email ${firstMessage(email.error)}: "${input.email}"`);
  }
  if (input.username === undefined) return { email: email.data };
  const username = usernameSchema.safeParse(input.username);
  if (!username.success) {
    throw new CreateAdminInputError(
      `username ${firstMessage(username.error)}: "${input.username}"`,
    );
  }
  return { email: email.data, username: username.data };
}

/**
 * `npm run admin:create`: makes the account with this email an active ADMIN,
 * or creates one with a random password. Either way an audit entry with no
 * actor is written in the same transaction as the change, and a promoted
 * user's sessions end (their access tokens carry the old role).
 */
export async function createAdmin(
  deps: AdminDeps,
  input: CreateAdminInput,
): Promise<CreateAdminResult> {
  const { email, username } = parseCreateAdminInput(input);
  const existing = await deps.db.user.findUnique({ where: { email } });
  return existing === null
    ? createAccount(deps, email, username)
    : promoteAccount(deps, existing.id);
}

async function promoteAccount(deps: AdminDeps, userId: number): Promise<CreateAdminResult> {
  const { db, services } = deps;
  const result = await db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ role: Role; status: UserStatus }[]>`
      SELECT role::text AS role, status::text AS status FROM users WHERE id = ${userId} FOR UPDATE`;
    if (locked === undefined) {
      throw new CreateAdminError("the account was deleted while being promoted; run again");
    }
    if (locked.role === "ADMIN" && locked.status === "ACTIVE") {
      return {
        changed: false as const,
        user: await tx.user.findUniqueOrThrow({ where: { id: userId } }),
      };
    }
    const user = await tx.user.update({
      where: { id: userId },
      data: { role: "ADMIN", status: "ACTIVE" },
    });
    await services.audit.record(tx, {
      actorId: null,
      action: "user.role.assign",
      targetType: "user",
      targetId: userId,
      details: {
        username: user.username,
        from: locked.role,
        to: "ADMIN",
        via: "cli",
        ...(locked.status === "ACTIVE" ? {} : { fromStatus: locked.status, toStatus: "ACTIVE" }),
      },
    });
    return { changed: true as const, user, from: locked };
  });
  if (!result.changed) return { outcome: "unchanged", user: result.user };
  try {
    await services.auth.endSessions(userId);
  } catch (error) {
    throw new CreateAdminError(
      `${result.user.username} is now an ADMIN, but their sessions could not be ended ` +
        `(${error instanceof Error ? error.message : String(error)}); ` +
        "run the command again once Redis answers",
      { cause: error },
    );
  }
  return { outcome: "promoted", user: result.user, from: result.from };
}

async function createAccount(
  deps: AdminDeps,
  email: string,
  requested: string | undefined,
): Promise<CreateAdminResult> {
  const { config, db, services } = deps;
  const username = requested ?? (await freeUsername(deps, usernameFromEmail(email)));
  if (requested !== undefined && (await db.user.findUnique({ where: { username } })) !== null) {
    throw new CreateAdminError(`username "${username}" is already taken; choose another`);
  }
  const password = randomBytes(PASSWORD_BYTES).toString("base64url");
  const passwordHash = await new PasswordHasher(config.auth.argon2).hash(password);
  try {
    const user = await db.$transaction(async (tx) => {
      const created = await tx.user.create({
        data: { email, username, passwordHash, role: "ADMIN" },
      });
      await services.audit.record(tx, {
        actorId: null,
        action: "user.role.assign",
        targetType: "user",
        targetId: created.id,
        details: { username, from: null, to: "ADMIN", via: "cli", created: true },
      });
      return created;
    });
    return { outcome: "created", user, password };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new CreateAdminError(
        "the email or username was taken by another account meanwhile; run again",
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The email's local part as a username: accents dropped, anything but
 * letters, digits, `_`, `.` and `-` turned into `_`, starting with a letter
 * or digit. `admin` when nothing usable is left.
 */
export function usernameFromEmail(email: string): string {
  const local = email.slice(0, email.lastIndexOf("@"));
  const safe = local
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^A-Za-z0-9_.-]+/g, "_")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, USERNAME_MAX);
  return safe === "" ? "admin" : safe;
}

/** `base`, or `base` with a short random suffix when it is taken. */
async function freeUsername(deps: AdminDeps, base: string): Promise<string> {
  let candidate = base;
  for (let attempt = 0; attempt < SUFFIX_ATTEMPTS; attempt++) {
    if ((await deps.db.user.findUnique({ where: { username: candidate } })) === null) {
      return candidate;
    }
    const suffix = `_${randomBytes(3).toString("hex")}`;
    candidate = base.slice(0, USERNAME_MAX - suffix.length) + suffix;
  }
  throw new CreateAdminError(`no free username near "${base}"; pass one with --username`);
}

function firstMessage(error: { issues: { message: string }[] }): string {
  return error.issues[0]?.message ?? "is invalid";
}
