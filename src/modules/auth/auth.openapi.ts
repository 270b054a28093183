import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { userResponse } from "../users/users.schemas";
import {
  endSessionsBody,
  loginBody,
  refreshBody,
  sessionIdParams,
  sessionListResponse,
} from "./auth.schemas";

const tag = "User and authentication";
const signedOut = { status: 204, description: "Signed out." } as const;

/** What the session-ending operations say about REQUIRE_CURRENT_PASSWORD (docs/auth.md#re-authentication). */
const reauthentication =
  "With REQUIRE_CURRENT_PASSWORD=true (off by default) the body must carry `currentPassword`: missing is 422, wrong is 403 `currentPassword: is incorrect`, and wrong ones count as failed sign-ins, so the account's lockout (429) applies.";

export const authPaths: ZodOpenApiPathsObject = {
  "/api/users/login": {
    post: operation({
      tag,
      summary: "Sign in",
      description:
        "Wrong credentials give 401 `credentials: invalid`; repeated failures lock the account and IP for a while (429). Sign-ins are also counted per address (SIGN_INS_PER_IP_PER_HOUR; wrong credentials give their count back). 503 `server: is busy` when too many passwords are being checked at once.",
      access: "public",
      body: loginBody,
      success: { status: 200, description: "The user, signed in.", schema: userResponse },
      errors: [401, 403, 503],
      limited: true,
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
      description: reauthentication,
      access: "required",
      body: endSessionsBody,
      success: signedOut,
      errors: [403, 429, 503],
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
      description: `Ending this request's own session needs nothing more; ending another one: ${reauthentication}`,
      access: "required",
      params: sessionIdParams,
      body: endSessionsBody,
      success: { status: 204, description: "Ended." },
      errors: [403, 404, 429, 503],
    }),
  },
};
