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
      description: "Creates the account and signs it in.",
      access: "public",
      body: registerBody,
      success: { status: 201, description: "The new user, signed in.", schema: userResponse },
      errors: [409],
      limited: true,
    }),
  },
  "/api/user": {
    get: operation({ tag, summary: "The current user", access: "required", success: user }),
    put: operation({
      tag,
      summary: "Update the current user",
      description:
        'Any subset of the fields; `bio` and `image` are cleared with null or "". A new password ends your other sessions.',
      access: "required",
      body: updateUserBody,
      success: user,
      errors: [409],
    }),
  },
};
