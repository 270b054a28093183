import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { offsetPaging } from "../../core/validation/paging";
import {
  articleChangesBody,
  articleListQuery,
  articleListResponse,
  articleResponse,
  newArticleBody,
  slugParams,
} from "./articles.schemas";

const tag = "Articles";
const list = {
  status: 200,
  description: "A page of articles.",
  schema: articleListResponse,
} as const;
const article = { status: 200, description: "The article.", schema: articleResponse } as const;

export function articlesPaths(maxPageSize: number): ZodOpenApiPathsObject {
  return {
    "/api/articles": {
      get: operation({
        tag,
        summary: "List articles",
        description: "Newest first. Filters combine. Items leave out `body`.",
        access: "optional",
        query: articleListQuery(maxPageSize),
        success: list,
      }),
      post: operation({
        tag,
        summary: "Create an article",
        description:
          "The slug comes from the title, with a random suffix when taken. The body is Markdown; raw HTML in it is escaped and links must be http(s), mailto or relative.",
        access: { permission: "article:create" },
        body: newArticleBody,
        success: { status: 201, description: "The new article.", schema: articleResponse },
        errors: [503],
        limited: true,
      }),
    },
    "/api/articles/feed": {
      get: operation({
        tag,
        summary: "Articles by the authors you follow",
        access: "required",
        query: offsetPaging(maxPageSize),
        success: list,
      }),
    },
    "/api/articles/{slug}": {
      get: operation({
        tag,
        summary: "Get an article",
        access: "optional",
        params: slugParams,
        success: article,
        errors: [404],
      }),
      put: operation({
        tag,
        summary: "Update an article",
        description:
          "Partial. A new title gives a new slug. A missing `tagList` keeps the tags, `[]` clears them, `null` is refused. The author, or an admin.",
        access: "required",
        params: slugParams,
        body: articleChangesBody,
        success: article,
        errors: [403, 404, 503],
        limited: true,
      }),
      delete: operation({
        tag,
        summary: "Delete an article",
        description:
          "With its comments and favorites. The author, a moderator or an admin; deleting someone else's article is written to the audit log.",
        access: "required",
        params: slugParams,
        success: { status: 204, description: "Deleted." },
        errors: [403, 404],
        limited: true,
      }),
    },
  };
}
