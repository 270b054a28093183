import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { articleResponse, slugParams } from "../articles/articles.schemas";

const shared = {
  tag: "Favorites",
  access: { permission: "article:favorite" },
  params: slugParams,
  errors: [404, 409],
  limited: true,
} as const;

export const favoritesPaths: ZodOpenApiPathsObject = {
  "/api/articles/{slug}/favorite": {
    post: operation({
      ...shared,
      summary: "Favorite an article",
      description: "Idempotent. Notifies the author the first time.",
      success: { status: 200, description: "The article, favorited.", schema: articleResponse },
    }),
    delete: operation({
      ...shared,
      summary: "Unfavorite an article",
      description: "Idempotent.",
      success: { status: 200, description: "The article, not favorited.", schema: articleResponse },
    }),
  },
};
