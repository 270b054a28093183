import { z } from "zod";
import { timestampSchema } from "../../core/openapi/operation";
import { BLANK, identifier, stringType } from "../../core/validation/text";
import { envelopeContent } from "../../core/validation/envelope";
import { emailSchema } from "../users/users.schemas";
import { presentedPasswordSchema } from "./password-policy";

const requiredString = (max: number) =>
  stringType
    .min(1, { message: BLANK, abort: true })
    .max(max, `is too long (maximum is ${max} characters)`);

export const loginBody = z.object({
  // The same email rule as registration: every stored email passes it, and
  // the throttle's key and the database's case folding then agree.
  user: envelopeContent({ email: emailSchema, password: presentedPasswordSchema }),
});

/**
 * Ending other sessions: with REQUIRE_CURRENT_PASSWORD the current password
 * comes along (docs/auth.md#re-authentication); otherwise nothing is needed.
 */
export const endSessionsBody = z.object({
  currentPassword: presentedPasswordSchema.optional().meta({
    description:
      "The caller's password. Required when the service runs with REQUIRE_CURRENT_PASSWORD=true (off by default); ignored otherwise.",
  }),
});

/** The refresh token comes in the body or, when the cookie is configured, in the cookie. */
export const refreshBody = z.object({ refreshToken: requiredString(256).optional() });

export const sessionIdParams = z.object({ id: identifier(64) });

export const sessionListResponse = z
  .object({
    sessions: z.array(
      z.object({
        id: z.string(),
        createdAt: timestampSchema,
        lastUsedAt: timestampSchema,
        expiresAt: timestampSchema,
        userAgent: z.string().nullable(),
        ip: z.string().nullable(),
        current: z.boolean().meta({ description: "The session of this request's token." }),
      }),
    ),
  })
  .meta({ id: "SessionList" });
