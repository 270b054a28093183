import { z } from "zod";
import { envelopeContent } from "../../core/validation/envelope";
import {
  BLANK,
  clearableHttpUrl,
  clearableText,
  requiredLine,
  stringType,
} from "../../core/validation/text";
import { passwordSchema, presentedPasswordSchema } from "../auth/password-policy";

export const USERNAME_MAX = 40;
const EMAIL_MAX = 254;
const BIO_MAX = 2_000;
const IMAGE_URL_MAX = 2_048;

/** Letters, digits, `_`, `.` and `-`, starting with a letter or digit: safe in a URL path. */
const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const USERNAME_RULE =
  "may only contain letters, digits, '_', '.' and '-', and must start with a letter or digit";

export const usernameSchema = requiredLine(USERNAME_MAX).regex(USERNAME_PATTERN, USERNAME_RULE);

/** A username in a path, matched as given: no trimming or normalising. */
export const usernameInPath = stringType
  .min(1, BLANK)
  .max(USERNAME_MAX, `is too long (maximum is ${USERNAME_MAX} characters)`)
  .regex(USERNAME_PATTERN, USERNAME_RULE);

export const emailSchema = requiredLine(EMAIL_MAX).pipe(z.email({ error: "is invalid" }));

export const registerBody = z.object({
  user: envelopeContent({ username: usernameSchema, email: emailSchema, password: passwordSchema }),
});

/**
 * Any subset of the fields; `bio` and `image` are cleared with null or "".
 * `currentPassword` changes nothing: it is the proof a password or email
 * change needs when the service requires re-authentication.
 */
export const updateUserBody = z.object({
  user: envelopeContent({
    email: emailSchema.optional(),
    username: usernameSchema.optional(),
    password: passwordSchema.optional(),
    bio: clearableText(BIO_MAX).optional(),
    image: clearableHttpUrl(IMAGE_URL_MAX).optional(),
    currentPassword: presentedPasswordSchema.optional().meta({
      description:
        "The current password. Required to change `email` or `password` when the service runs with REQUIRE_CURRENT_PASSWORD=true (off by default, since RealWorld front ends send none); ignored otherwise.",
    }),
  }).refine(
    ({ currentPassword, ...changes }) =>
      Object.values(changes).some((value) => value !== undefined),
    { message: "must change at least one of email, username, password, bio or image" },
  ),
});

export type RegisterInput = z.output<typeof registerBody>["user"];
export type UserChanges = z.output<typeof updateUserBody>["user"];

export const userResponse = z
  .object({
    user: z.object({
      email: z.string(),
      username: z.string(),
      bio: z.string().nullable(),
      image: z.string().nullable(),
      role: z.enum(["USER", "MODERATOR", "ADMIN"]),
      token: z.string().meta({ description: "The access token (`Authorization: Token <token>`)." }),
      refreshToken: z.string().optional().meta({
        description:
          "Issued by register, login and refresh; absent when the refresh token travels in its cookie (docs/auth.md).",
      }),
    }),
  })
  .meta({ id: "UserResponse" });
