import type { Database } from "../../core/database/prisma";
import { inTransaction } from "../../core/database/repository";
import { ConflictError, ForbiddenError, NotFoundError } from "../../core/errors/app-error";
import type { OffsetPage } from "../../core/validation/paging";
import type { Prisma, Role, User, UserStatus } from "../../generated/prisma/client";
import type { AuditService } from "../audit/audit.service";
import type { AuthService } from "../auth/auth.service";
import { can, type Permission, ROLE_RANK } from "../auth/permissions";

interface AdminServiceDeps {
  db: Database;
  audit: AuditService;
  auth: AuthService;
}

export interface UserFilters {
  role?: Role;
  status?: UserStatus;
  q?: string;
}

interface LockedUser {
  id: number;
  role: Role;
  status: UserStatus;
}

/**
 * User administration. Each change runs in one transaction with its audit
 * entry, re-reads the actor's role under a row lock (a role taken away a
 * moment ago no longer counts), and ends the target's sessions once committed.
 */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  async listUsers(page: OffsetPage, filters: UserFilters) {
    const where: Prisma.UserWhereInput = {
      role: filters.role,
      status: filters.status,
      ...(filters.q === undefined
        ? {}
        : {
            OR: [
              { username: { contains: escapeLike(filters.q), mode: "insensitive" } },
              { email: { contains: escapeLike(filters.q), mode: "insensitive" } },
            ],
          }),
    };
    const [users, total] = await Promise.all([
      this.deps.db.user.findMany({
        where,
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        skip: page.offset,
        take: page.limit,
      }),
      this.deps.db.user.count({ where }),
    ]);
    return { users, total };
  }

  /**
   * Only a role holding `user:role:assign` (admins, the top rank) assigns
   * roles, so nobody can raise their own; the last active admin cannot be demoted.
   */
  async assignRole(actorId: number, username: string, role: Role): Promise<User> {
    const user = await inTransaction(this.deps.db, async (tx) => {
      const { actor, target, admins } = await lockActorAndTarget(tx, actorId, username);
      requireLive(actor, "user:role:assign");
      if (target.role === role) return target;
      const otherActiveAdmins = admins.filter(
        (admin) => admin.id !== target.id && admin.status === "ACTIVE",
      );
      if (target.role === "ADMIN" && otherActiveAdmins.length === 0) {
        throw new ConflictError("role", "cannot be taken from the last admin");
      }
      const updated = await tx.user.update({ where: { id: target.id }, data: { role } });
      await this.deps.audit.record(tx, {
        actorId: actor.id,
        action: "user.role.assign",
        targetType: "user",
        targetId: target.id,
        details: { username: target.username, from: target.role, to: role },
      });
      return updated;
    });
    // Sessions carry the role permission checks read, so they end with the change; also on a
    // repeated assignment, which finishes one whose revocation failed (Redis away).
    await this.deps.auth.endSessions(user.id);
    return user;
  }

  /** Bans (ending every session) or unbans a user ranked below the actor. */
  async setBanned(
    actorId: number,
    username: string,
    banned: boolean,
    reason?: string,
  ): Promise<User> {
    const status: UserStatus = banned ? "BANNED" : "ACTIVE";
    const user = await inTransaction(this.deps.db, async (tx) => {
      const { actor, target } = await lockActorAndTarget(tx, actorId, username);
      requireLive(actor, "user:ban");
      if (target.id === actor.id) throw new ForbiddenError("user", "cannot be yourself");
      if (ROLE_RANK[target.role] >= ROLE_RANK[actor.role]) {
        throw new ForbiddenError("user", "has the same or a higher role than yours");
      }
      if (target.status === status) return target;
      const updated = await tx.user.update({ where: { id: target.id }, data: { status } });
      await this.deps.audit.record(tx, {
        actorId: actor.id,
        action: banned ? "user.ban" : "user.unban",
        targetType: "user",
        targetId: target.id,
        details: { username: target.username, ...(reason === undefined ? {} : { reason }) },
      });
      return updated;
    });
    // Also on a repeated ban, which finishes one whose revocation failed.
    if (banned) await this.deps.auth.endSessions(user.id);
    return user;
  }
}

/**
 * Locks the actor, the target and every admin, in id order so that two
 * admins acting on each other at once queue instead of deadlocking.
 */
async function lockActorAndTarget(tx: Prisma.TransactionClient, actorId: number, username: string) {
  const target = await tx.user.findUnique({ where: { username } });
  if (target === null) throw new NotFoundError("user");
  const locked = await tx.$queryRaw<LockedUser[]>`
    SELECT id, role::text AS role, status::text AS status FROM users
    WHERE id IN (${actorId}, ${target.id}) OR role = 'ADMIN'
    ORDER BY id FOR UPDATE`;
  const actor = locked.find((row) => row.id === actorId);
  const lockedTarget = locked.find((row) => row.id === target.id);
  if (actor === undefined || lockedTarget === undefined) throw new NotFoundError("user");
  return {
    actor,
    target: { ...target, role: lockedTarget.role, status: lockedTarget.status },
    admins: locked.filter((row) => row.role === "ADMIN"),
  };
}

/** Prisma passes `contains` to LIKE as is; `%` and `_` in a search must match themselves. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function requireLive(actor: LockedUser, permission: Permission): void {
  if (actor.status !== "ACTIVE" || !can(actor, permission)) {
    throw new ForbiddenError(permission.split(":")[0]!);
  }
}
