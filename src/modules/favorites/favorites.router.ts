import { type RequestHandler, Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { articleView } from "../articles/article.mapper";
import { slugParams } from "../articles/articles.schemas";
import { type AccessRules, requirePrincipal } from "../auth/access";
import type { FavoritesService } from "./favorites.service";

interface FavoritesRouterDeps {
  favorites: FavoritesService;
  access: AccessRules;
  favoriteLimit: RequestHandler;
}

/** RealWorld's favorite and unfavorite; both are idempotent. */
export function favoritesRouter({ favorites, access, favoriteLimit }: FavoritesRouterDeps): Router {
  const router = Router();
  const favorite = access.requirePermission("article:favorite");

  router.post("/articles/:slug/favorite", favorite, favoriteLimit, async (req, res) => {
    const { slug } = parseInput(slugParams, req.params);
    const article = await favorites.favorite(requirePrincipal(req).userId, slug);
    respond.ok(res, { article: articleView(article) });
  });

  router.delete("/articles/:slug/favorite", favorite, favoriteLimit, async (req, res) => {
    const { slug } = parseInput(slugParams, req.params);
    const article = await favorites.unfavorite(requirePrincipal(req).userId, slug);
    respond.ok(res, { article: articleView(article) });
  });

  return router;
}
