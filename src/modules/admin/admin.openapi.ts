import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { offsetPaging } from "../../core/validation/paging";
import {
  adminUserListResponse,
  adminUserResponse,
  auditFilters,
  auditLogResponse,
  banBody,
  roleBody,
  userFilters,
  usernameParams,
} from "./admin.schemas";

const tag = "Administration";
const changedUser = {
  status: 200,
  description: "The user after the change.",
  schema: adminUserResponse,
} as const;

export function adminPaths(maxPageSize: number): ZodOpenApiPathsObject {
  return {
    "/api/admin/users": {
      get: operation({
        tag,
        summary: "List users",
        access: { permission: "user:read:any" },
        query: offsetPaging(maxPageSize).extend(userFilters.shape),
        success: { status: 200, description: "A page of users.", schema: adminUserListResponse },
      }),
    },
    "/api/admin/users/{username}/role": {
      patch: operation({
        tag,
        summary: "Assign a role",
        description:
          "Ends the user's sessions (the role is in the token). The last active admin cannot be demoted (409).",
        access: { permission: "user:role:assign" },
        params: usernameParams,
        body: roleBody,
        success: changedUser,
        errors: [404, 409],
      }),
    },
    "/api/admin/users/{username}/ban": {
      post: operation({
        tag,
        summary: "Ban a user",
        description: "Ends all their sessions. Only users of a lower rank may be banned.",
        access: { permission: "user:ban" },
        params: usernameParams,
        body: banBody,
        success: changedUser,
        errors: [404],
      }),
    },
    "/api/admin/users/{username}/unban": {
      post: operation({
        tag,
        summary: "Lift a ban",
        access: { permission: "user:ban" },
        params: usernameParams,
        success: changedUser,
        errors: [404],
      }),
    },
    "/api/admin/audit-log": {
      get: operation({
        tag,
        summary: "The audit log",
        description: "Newest first: role changes, bans and moderators' removals.",
        access: { permission: "audit:read" },
        query: offsetPaging(maxPageSize).extend(auditFilters.shape),
        success: { status: 200, description: "A page of entries.", schema: auditLogResponse },
      }),
    },
  };
}
