import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { slugParams } from "../articles/articles.schemas";
import {
  commentListResponse,
  commentParams,
  commentResponse,
  newCommentBody,
} from "./comments.schemas";

const tag = "Comments";

export const commentsPaths: ZodOpenApiPathsObject = {
  "/api/articles/{slug}/comments": {
    get: operation({
      tag,
      summary: "Comments on an article",
      access: "optional",
      params: slugParams,
      success: {
        status: 200,
        description: "All comments, oldest first.",
        schema: commentListResponse,
      },
      errors: [404],
    }),
    post: operation({
      tag,
      summary: "Comment on an article",
      description: "Plain text. Notifies the article's author.",
      access: { permission: "comment:create" },
      params: slugParams,
      body: newCommentBody,
      success: { status: 201, description: "The new comment.", schema: commentResponse },
      errors: [404, 409],
      limited: true,
    }),
  },
  "/api/articles/{slug}/comments/{id}": {
    delete: operation({
      tag,
      summary: "Delete a comment",
      description:
        "The comment's author, a moderator or an admin; deleting someone else's comment is written to the audit log.",
      access: "required",
      params: commentParams,
      success: { status: 204, description: "Deleted." },
      errors: [403, 404],
      limited: true,
    }),
  },
};
