import { z } from "zod";
import { BLANK } from "../../core/validation/text";
import { emailSchema } from "../users/users.schemas";

const requiredString = (max: number) =>
  z
    .string({ error: (issue) => (issue.input == null ? BLANK : "must be a string") })
    .min(1, { message: BLANK, abort: true })
    .max(max, `is too long (maximum is ${max} characters)`);

export const loginBody = z.object({
  user: z.object(
    // The same rule as registration: every stored email passes it, and the
    // throttle's key and the database's case folding then agree.
    { email: emailSchema, password: requiredString(1_024) },
    { error: (issue) => (issue.input == null ? BLANK : "must be an object") },
  ),
});

/** The refresh token comes in the body or, when the cookie is configured, in the cookie. */
export const refreshBody = z.object({ refreshToken: requiredString(256).optional() });

export const sessionIdParams = z.object({ id: z.string().max(64) });
