import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";
import { tagListResponse } from "./tags.schemas";

export const tagsPaths: ZodOpenApiPathsObject = {
  "/api/tags": {
    get: operation({
      tag: "Tags",
      summary: "All tags",
      access: "public",
      success: { status: 200, description: "Every tag in use, sorted.", schema: tagListResponse },
    }),
  },
};
