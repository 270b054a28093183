import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { registerBody, updateUserBody, userResponse } from "./users.schemas";

const tag = "User and authentication";
const user = { status: 200, description: "The signed-in user.", schema: userResponse } as const;

export const usersPaths: ZodOpenApiPathsObject = {
  "/api/users": {
    post: operation({
      tag,
      summary: "Register",
      description:
        "Creates the account and signs it in. 503 `server: is busy` when too many passwords are being hashed at once.",
      access: "public",
      body: registerBody,
      success: { status: 201, description: "The new user, signed in.", schema: userResponse },
      errors: [409, 503],
      limited: true,
    }),
  },
  "/api/user": {
    get: operation({ tag, summary: "The current user", access: "required", success: user }),
    put: operation({
      tag,
      summary: "Update the current user",
      description: [
        'Any subset of the fields; `bio` and `image` are cleared with null or "". A new password ends your other sessions.',
        "A new password, and an email other than the current one, each count against a per-user hourly allowance (PASSWORD_CHANGES_PER_USER_PER_HOUR, EMAIL_CHANGES_PER_USER_PER_HOUR); an email found taken (409) counts too, which limits probing for registered emails. Past it: 429.",
        "With REQUIRE_CURRENT_PASSWORD=true (off by default) such a change also needs `user.currentPassword`: missing is 422, wrong is 403 `currentPassword: is incorrect`, and wrong ones count as failed sign-ins (the account's lockout, 429, applies). It is off by default because the RealWorld contract changes both without it and RealWorld front ends send none; without it, whoever holds a live token can take the account over.",
      ].join("\n\n"),
      access: "required",
      body: updateUserBody,
      success: user,
      errors: [403, 409, 429, 503],
    }),
  },
};
