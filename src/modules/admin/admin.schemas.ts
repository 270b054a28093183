import { z } from "zod";
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
