import { Router } from "express";
import { respond } from "../../core/http/respond";
import type { AccessRules } from "../auth/access";
import type { TagsService } from "./tags.service";

export function tagsRouter({ tags, access }: { tags: TagsService; access: AccessRules }): Router {
  const router = Router();
  router.get("/tags", access.public, async (_req, res) => {
    respond.ok(res, { tags: await tags.all() });
  });
  return router;
}
