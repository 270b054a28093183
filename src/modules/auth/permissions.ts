import type { Role } from "../../generated/prisma/client";

/**
 * What each role may do, as data. `docs/permissions.md` shows this table and a
 * test keeps the two in step. `:own` permissions apply to the actor's own
 * resources, `:any` to everyone's.
 */
export const PERMISSIONS = [
  "article:create",
  "article:update:own",
  "article:update:any",
  "article:delete:own",
  "article:delete:any",
  "article:favorite",
  "comment:create",
  "comment:delete:own",
  "comment:delete:any",
  "profile:follow",
  "user:read:any",
  "user:ban",
  "user:role:assign",
  "audit:read",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["USER", "MODERATOR", "ADMIN"] as const satisfies readonly Role[];

const USER: readonly Permission[] = [
  "article:create",
  "article:update:own",
  "article:delete:own",
  "article:favorite",
  "comment:create",
  "comment:delete:own",
  "profile:follow",
];

const MODERATOR: readonly Permission[] = [
  ...USER,
  "article:delete:any",
  "comment:delete:any",
  "user:read:any",
  "user:ban",
];

const ADMIN: readonly Permission[] = [
  ...MODERATOR,
  "article:update:any",
  "user:role:assign",
  "audit:read",
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  USER: new Set(USER),
  MODERATOR: new Set(MODERATOR),
  ADMIN: new Set(ADMIN),
};

/** Higher ranks outrank lower ones: a moderator may ban users, never moderators or admins. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { USER: 0, MODERATOR: 1, ADMIN: 2 };

export interface Actor {
  id: number;
  role: Role;
}

/** Actions that depend on whose resource it is; each has an `:own` and an `:any` permission. */
export type OwnedAction = "article:update" | "article:delete" | "comment:delete";

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/**
 * The one access check services use, for REST and WebSocket handlers alike:
 * `can(actor, "user:ban")`, or with a resource for ownership rules,
 * `can(actor, "article:update", { ownerId: article.authorId })`.
 */
export function can(actor: Actor | undefined, permission: Permission): boolean;
export function can(
  actor: Actor | undefined,
  action: OwnedAction,
  resource: { ownerId: number },
): boolean;
export function can(
  actor: Actor | undefined,
  action: Permission | OwnedAction,
  resource?: { ownerId: number },
): boolean {
  if (actor === undefined) return false;
  if (resource === undefined) return hasPermission(actor.role, action as Permission);
  const owned = action as OwnedAction;
  return (
    hasPermission(actor.role, `${owned}:any`) ||
    (resource.ownerId === actor.id && hasPermission(actor.role, `${owned}:own`))
  );
}
