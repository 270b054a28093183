import { Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { offsetPaging } from "../../core/validation/paging";
import type { AuditService } from "../audit/audit.service";
import { type AccessRules, requirePrincipal } from "../auth/access";
import type { User } from "../../generated/prisma/client";
import { auditFilters, banBody, roleBody, userFilters, usernameParams } from "./admin.schemas";
import type { AdminService } from "./admin.service";

interface AdminRouterDeps {
  admin: AdminService;
  audit: AuditService;
  access: AccessRules;
  maxPageSize: number;
}

/** `/admin/...`: user administration and the audit log, for moderators and admins. */
export function adminRouter({ admin, audit, access, maxPageSize }: AdminRouterDeps): Router {
  const router = Router();
  const usersQuery = offsetPaging(maxPageSize).extend(userFilters.shape);
  const auditQuery = offsetPaging(maxPageSize).extend(auditFilters.shape);

  router.get("/admin/users", access.requirePermission("user:read:any"), async (req, res) => {
    const { limit, offset, ...filters } = parseInput(usersQuery, req.query);
    const { users, total } = await admin.listUsers({ limit, offset }, filters);
    respond.page(res, "users", users.map(adminUserBody), total);
  });

  router.patch(
    "/admin/users/:username/role",
    access.requirePermission("user:role:assign"),
    async (req, res) => {
      const { username } = parseInput(usernameParams, req.params);
      const { role } = parseInput(roleBody, req.body);
      const user = await admin.assignRole(requirePrincipal(req).userId, username, role);
      respond.ok(res, { user: adminUserBody(user) });
    },
  );

  router.post(
    "/admin/users/:username/ban",
    access.requirePermission("user:ban"),
    async (req, res) => {
      const { username } = parseInput(usernameParams, req.params);
      const { reason } = parseInput(banBody, req.body);
      const user = await admin.setBanned(requirePrincipal(req).userId, username, true, reason);
      respond.ok(res, { user: adminUserBody(user) });
    },
  );

  router.post(
    "/admin/users/:username/unban",
    access.requirePermission("user:ban"),
    async (req, res) => {
      const { username } = parseInput(usernameParams, req.params);
      const user = await admin.setBanned(requirePrincipal(req).userId, username, false);
      respond.ok(res, { user: adminUserBody(user) });
    },
  );

  router.get("/admin/audit-log", access.requirePermission("audit:read"), async (req, res) => {
    const { limit, offset, action } = parseInput(auditQuery, req.query);
    const { entries, total } = await audit.list({ limit, offset }, { action });
    respond.page(
      res,
      "entries",
      entries.map((entry) => ({
        id: entry.id,
        action: entry.action,
        actor: entry.actor?.username ?? null,
        targetType: entry.targetType,
        targetId: entry.targetId,
        details: entry.details,
        createdAt: entry.createdAt.toISOString(),
      })),
      total,
    );
  });

  return router;
}

function adminUserBody(user: User) {
  return {
    username: user.username,
    email: user.email,
    bio: user.bio,
    image: user.image,
    role: user.role,
    status: user.status,
    createdAt: user.createdAt.toISOString(),
  };
}
