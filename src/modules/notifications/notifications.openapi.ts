import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import {
  markReadBody,
  markReadResponse,
  notificationListQuery,
  notificationListResponse,
} from "./notifications.schemas";

const tag = "Notifications";

export function notificationsPaths(maxPageSize: number): ZodOpenApiPathsObject {
  return {
    "/api/notifications": {
      get: operation({
        tag,
        summary: "Your notifications",
        description:
          "Newest first, with the unread count. Follows, favorites of your articles and comments on them; never your own actions.",
        access: "required",
        query: notificationListQuery(maxPageSize),
        success: { status: 200, description: "A page.", schema: notificationListResponse },
      }),
    },
    "/api/notifications/read": {
      post: operation({
        tag,
        summary: "Mark notifications read",
        description: '`{"ids": [...]}` marks those of yours; `{"all": true}` marks all.',
        access: "required",
        body: markReadBody,
        success: { status: 200, description: "What changed.", schema: markReadResponse },
      }),
    },
  };
}
