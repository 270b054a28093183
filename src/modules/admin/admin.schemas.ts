import { z } from "zod";
import { timestampSchema } from "../../core/openapi/operation";
import { requiredLine } from "../../core/validation/text";
import { ROLES } from "../auth/permissions";

export const usernameParams = z.object({ username: requiredLine(100) });

export const userFilters = z.object({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` }).optional(),
  status: z.enum(["ACTIVE", "BANNED"], { error: "must be ACTIVE or BANNED" }).optional(),
  /** Part of a username or email, any case. */
  q: requiredLine(100).optional(),
});

export const auditFilters = z.object({ action: requiredLine(100).optional() });

export const roleBody = z.object({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` }),
});

export const banBody = z.object({ reason: requiredLine(500).optional() });

const adminUser = z
  .object({
    username: z.string(),
    email: z.string(),
    bio: z.string().nullable(),
    image: z.string().nullable(),
    role: z.enum(ROLES),
    status: z.enum(["ACTIVE", "BANNED"]),
    createdAt: timestampSchema,
  })
  .meta({ id: "AdminUser" });

export const adminUserResponse = z.object({ user: adminUser }).meta({ id: "AdminUserResponse" });
export const adminUserListResponse = z
  .object({ users: z.array(adminUser), usersCount: z.number().int() })
  .meta({ id: "AdminUserList" });
export const auditLogResponse = z
  .object({
    entries: z.array(
      z.object({
        id: z.number().int(),
        action: z.string().meta({ example: "article.delete" }),
        actor: z.string().nullable().meta({ description: "Username; null for commands." }),
        targetType: z.string(),
        targetId: z.string(),
        details: z.record(z.string(), z.unknown()),
        createdAt: timestampSchema,
      }),
    ),
    entriesCount: z.number().int(),
  })
  .meta({ id: "AuditLog" });
