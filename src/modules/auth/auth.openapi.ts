import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { userResponse } from "../users/users.schemas";
import { loginBody, refreshBody, sessionIdParams, sessionListResponse } from "./auth.schemas";

const tag = "User and authentication";
const signedOut = { status: 204, description: "Signed out." } as const;

export const authPaths: ZodOpenApiPathsObject = {
  "/api/users/login": {
    post: operation({
      tag,
      summary: "Sign in",
      description:
        "Wrong credentials give 401 `credentials: invalid`; repeated failures lock the account and IP for a while (429).",
      access: "public",
      body: loginBody,
      success: { status: 200, description: "The user, signed in.", schema: userResponse },
      errors: [401, 429],
    }),
  },
  "/api/users/refresh": {
    post: operation({
      tag,
      summary: "Exchange a refresh token for new tokens",
      description:
        "Single use: the answer carries the successor. A reused refresh token ends its session. In cookie mode the token comes from the cookie and the request must be JSON.",
      access: "public",
      body: refreshBody,
      success: { status: 200, description: "The user with new tokens.", schema: userResponse },
      errors: [401, 415],
      limited: true,
    }),
  },
  "/api/users/logout": {
    post: operation({ tag, summary: "End this session", access: "required", success: signedOut }),
  },
  "/api/users/logout-all": {
    post: operation({
      tag,
      summary: "End all your sessions",
      access: "required",
      success: signedOut,
    }),
  },
  "/api/user/sessions": {
    get: operation({
      tag,
      summary: "Your sessions",
      access: "required",
      success: { status: 200, description: "Live sessions.", schema: sessionListResponse },
    }),
  },
  "/api/user/sessions/{id}": {
    delete: operation({
      tag,
      summary: "End one of your sessions",
      access: "required",
      params: sessionIdParams,
      success: { status: 204, description: "Ended." },
      errors: [404],
    }),
  },
};
