import { type RequestHandler, Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { slugParams } from "../articles/articles.schemas";
import { type AccessRules, actorOf, principalOf, requirePrincipal } from "../auth/access";
import { commentView } from "./comment.mapper";
import { commentParams, newCommentBody } from "./comments.schemas";
import type { CommentsService } from "./comments.service";

interface CommentsRouterDeps {
  comments: CommentsService;
  access: AccessRules;
  commentLimit: RequestHandler;
}

/** RealWorld's comments on an article. */
export function commentsRouter({ comments, access, commentLimit }: CommentsRouterDeps): Router {
  const router = Router();

  router.get("/articles/:slug/comments", access.optionalAuth, async (req, res) => {
    const { slug } = parseInput(slugParams, req.params);
    const list = await comments.list(slug, principalOf(req)?.userId);
    respond.ok(res, { comments: list.map(commentView) });
  });

  router.post(
    "/articles/:slug/comments",
    access.requirePermission("comment:create"),
    commentLimit,
    async (req, res) => {
      const { slug } = parseInput(slugParams, req.params);
      const { comment } = parseInput(newCommentBody, req.body);
      const created = await comments.add(requirePrincipal(req).userId, slug, comment.body);
      respond.created(res, { comment: commentView(created) });
    },
  );

  router.delete(
    "/articles/:slug/comments/:id",
    access.requireAuth,
    commentLimit,
    async (req, res) => {
      const { slug, id } = parseInput(commentParams, req.params);
      await comments.delete(actorOf(req), slug, id);
      respond.noContent(res);
    },
  );

  return router;
}
