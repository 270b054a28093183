import { z } from "zod";
import { timestampSchema } from "../../core/openapi/operation";
import { BLANK, stringType } from "../../core/validation/text";
import { envelopeContent } from "../../core/validation/envelope";
import { emailSchema } from "../users/users.schemas";

const requiredString = (max: number) =>
  stringType
    .min(1, { message: BLANK, abort: true })
    .max(max, `is too long (maximum is ${max} characters)`);

export const loginBody = z.object({
  // The same email rule as registration: every stored email passes it, and
  // the throttle's key and the database's case folding then agree.
  user: envelopeContent({ email: emailSchema, password: requiredString(1_024) }),
});

/** The refresh token comes in the body or, when the cookie is configured, in the cookie. */
export const refreshBody = z.object({ refreshToken: requiredString(256).optional() });

export const sessionIdParams = z.object({ id: z.string().max(64, "is not a session id") });

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
