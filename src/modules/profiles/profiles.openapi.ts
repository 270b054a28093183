import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { profileResponse, usernameParams } from "./profiles.schemas";

const tag = "Profiles";
const profile = { status: 200, description: "The profile.", schema: profileResponse } as const;

export const profilesPaths: ZodOpenApiPathsObject = {
  "/api/profiles/{username}": {
    get: operation({
      tag,
      summary: "Get a profile",
      access: "optional",
      params: usernameParams,
      success: profile,
      errors: [404],
    }),
  },
  "/api/profiles/{username}/follow": {
    post: operation({
      tag,
      summary: "Follow a user",
      description: "Idempotent. Following yourself is refused (422). Notifies the followed user.",
      access: { permission: "profile:follow" },
      params: usernameParams,
      success: profile,
      errors: [404],
      limited: true,
    }),
    delete: operation({
      tag,
      summary: "Unfollow a user",
      description: "Idempotent.",
      access: { permission: "profile:follow" },
      params: usernameParams,
      success: profile,
      errors: [404],
      limited: true,
    }),
  },
};
