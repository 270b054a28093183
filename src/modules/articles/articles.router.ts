import { type RequestHandler, Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { offsetPaging } from "../../core/validation/paging";
import { type AccessRules, actorOf, principalOf, requirePrincipal } from "../auth/access";
import { articleSummaryView, articleView } from "./article.mapper";
import {
  articleChangesBody,
  articleListQuery,
  newArticleBody,
  slugParams,
} from "./articles.schemas";
import type { ArticlesService } from "./articles.service";

interface ArticlesRouterDeps {
  articles: ArticlesService;
  access: AccessRules;
  maxPageSize: number;
  writeLimit: RequestHandler;
}

/** RealWorld's article list, feed and article endpoints. */
export function articlesRouter({
  articles,
  access,
  maxPageSize,
  writeLimit,
}: ArticlesRouterDeps): Router {
  const router = Router();
  const listQuery = articleListQuery(maxPageSize);
  const feedQuery = offsetPaging(maxPageSize);

  router.get("/articles", access.optionalAuth, async (req, res) => {
    const { limit, offset, ...filter } = parseInput(listQuery, req.query);
    const page = await articles.list(filter, { limit, offset }, principalOf(req)?.userId);
    respond.page(res, "articles", page.articles.map(articleSummaryView), page.total);
  });

  // Declared before /articles/:slug, which would otherwise take "feed" for a slug.
  router.get("/articles/feed", access.requireAuth, async (req, res) => {
    const page = await articles.feed(
      requirePrincipal(req).userId,
      parseInput(feedQuery, req.query),
    );
    respond.page(res, "articles", page.articles.map(articleSummaryView), page.total);
  });

  router.post(
    "/articles",
    access.requirePermission("article:create"),
    writeLimit,
    async (req, res) => {
      const { article } = parseInput(newArticleBody, req.body);
      const created = await articles.create(actorOf(req), article);
      respond.created(res, { article: articleView(created) });
    },
  );

  router.get("/articles/:slug", access.optionalAuth, async (req, res) => {
    const { slug } = parseInput(slugParams, req.params);
    respond.ok(res, { article: articleView(await articles.get(slug, principalOf(req)?.userId)) });
  });

  router.put("/articles/:slug", access.requireAuth, writeLimit, async (req, res) => {
    const { slug } = parseInput(slugParams, req.params);
    const { article } = parseInput(articleChangesBody, req.body);
    const updated = await articles.update(actorOf(req), slug, article);
    respond.ok(res, { article: articleView(updated) });
  });

  router.delete("/articles/:slug", access.requireAuth, writeLimit, async (req, res) => {
    const { slug } = parseInput(slugParams, req.params);
    await articles.delete(actorOf(req), slug);
    respond.noContent(res);
  });

  return router;
}
