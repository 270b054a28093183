import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
} from "zod-openapi";
import { z } from "zod";
import { adminPaths } from "../admin/admin.openapi";
import { articlesPaths } from "../articles/articles.openapi";
import { authPaths } from "../auth/auth.openapi";
import { commentsPaths } from "../comments/comments.openapi";
import { favoritesPaths } from "../favorites/favorites.openapi";
import { healthPaths } from "../health/health.openapi";
import { IDEMPOTENCY_KEY_MAX_LENGTH } from "../idempotency/idempotency-key";
import { metricsPaths } from "../metrics/metrics.openapi";
import { notificationsPaths } from "../notifications/notifications.openapi";
import { profilesPaths } from "../profiles/profiles.openapi";
import { tagsPaths } from "../tags/tags.openapi";
import { usersPaths } from "../users/users.openapi";

export const API_VERSION = "0.1.0";

const DESCRIPTION = `The RealWorld ("Conduit") API, and sessions, administration, moderation and
notifications beyond it. Conventions (errors, paging, rate limits, content rules): docs/api.md.

Authenticate with \`Authorization: Token <jwt>\` (RealWorld's scheme) or \`Bearer <jwt>\`. The token
from sign-in is accepted as long as its session lives (while used, up to 30 days by default), so a
client never has to refresh; refreshing is there for clients that want it (docs/auth.md).
Every error has the body \`{"errors": {"<field>": ["<message>"]}, "code": "...", "requestId": "..."}\`;
a known path called with a method it does not serve is 405 with \`Allow\`.

Live events (new comments, notifications, presence) come over Socket.IO 4 at \`/socket.io\` on the
same port, authenticated with the same access token: docs/realtime.md.`;

/**
 * The OpenAPI 3.1 document, generated from the Zod schemas the routes
 * validate with; nothing in it is written by hand twice.
 */
export function buildOpenApiDocument(maxPageSize: number): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: "3.1.0",
    info: { title: "Conduit API", version: API_VERSION, description: DESCRIPTION },
    tags: [
      { name: "User and authentication" },
      { name: "Profiles" },
      { name: "Articles" },
      { name: "Favorites" },
      { name: "Comments" },
      { name: "Tags" },
      { name: "Notifications" },
      { name: "Administration" },
      { name: "Health" },
      { name: "Operations" },
      { name: "Documentation" },
    ],
    components: {
      securitySchemes: {
        token: {
          type: "apiKey",
          in: "header",
          name: "Authorization",
          description: "RealWorld's scheme: the header value is `Token <access token>`.",
        },
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        metricsToken: {
          type: "http",
          scheme: "bearer",
          description: "The operator's `METRICS_TOKEN`, for GET /metrics only.",
        },
      },
    },
    paths: {
      ...healthPaths,
      ...metricsPaths,
      ...usersPaths,
      ...authPaths,
      ...acceptingIdempotencyKeys({
        ...profilesPaths,
        ...articlesPaths(maxPageSize),
        ...favoritesPaths,
        ...commentsPaths,
        ...tagsPaths,
        ...notificationsPaths(maxPageSize),
        ...adminPaths(maxPageSize),
      }),
      ...documentationPaths,
    },
  });
}

const idempotencyKeyHeader = z.object({
  "Idempotency-Key": z.string().max(IDEMPOTENCY_KEY_MAX_LENGTH).optional().meta({
    description:
      "Makes a retry safe: a retry with the same key and request gets the first answer (marked `Idempotent-Replayed: true`) without writing again; the same key with another request is 422, and while the first is still running 409. Keys are per user and expire (docs/api.md).",
  }),
});

/**
 * Signed-in writes beyond the account routes accept Idempotency-Key (the
 * routes mounted after the idempotency middleware, ADR 0023).
 */
function acceptingIdempotencyKeys(paths: ZodOpenApiPathsObject): ZodOpenApiPathsObject {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item).map(([method, operation]: [string, ZodOpenApiOperationObject]) => {
          const signedInWrite = WRITE_METHODS.has(method) && (operation.security ?? []).length > 0;
          if (!signedInWrite) return [method, operation];
          const requestParams = { ...operation.requestParams, header: idempotencyKeyHeader };
          return [method, { ...operation, requestParams }];
        }),
      ),
    ]),
  );
}

const WRITE_METHODS = new Set(["post", "put", "patch", "delete"]);

const documentationPaths = {
  "/api/openapi.json": {
    get: {
      tags: ["Documentation"],
      summary: "This document",
      security: [],
      responses: {
        "200": {
          description: "OpenAPI 3.1.",
          content: { "application/json": { schema: z.object({ openapi: z.string() }).loose() } },
        },
      },
    },
  },
  "/docs": {
    get: {
      tags: ["Documentation"],
      summary: "An interactive page for this document",
      security: [],
      responses: {
        "200": { description: "HTML.", content: { "text/html": { schema: z.string() } } },
      },
    },
  },
};
