import type { z } from "zod";
import { profileView } from "../profiles/profile.mapper";
import type { ArticleRecord, ArticleSummary } from "./articles.repository";
import type { articleSchema, articleSummarySchema } from "./articles.schemas";

export function articleSummaryView(article: ArticleSummary): z.output<typeof articleSummarySchema> {
  return {
    slug: article.slug,
    title: article.title,
    description: article.description,
    tagList: article.tagList,
    createdAt: article.createdAt.toISOString(),
    updatedAt: article.updatedAt.toISOString(),
    favorited: article.favorited,
    favoritesCount: article.favoritesCount,
    author: profileView(article.author),
  };
}

export function articleView(article: ArticleRecord): z.output<typeof articleSchema> {
  return { ...articleSummaryView(article), body: article.body };
}
