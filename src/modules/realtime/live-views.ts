import type { ArticleRecord, ArticleSummary } from "../articles/articles.repository";
import type { CommentRecord } from "../comments/comments.repository";
import type { ProfileRecord } from "../profiles/profile.record";
import type {
  LiveArticle,
  LiveArticleSummary,
  LiveComment,
  LiveProfile,
} from "./realtime.protocol";

/*
 * A live event goes to everyone in a room at once, so it carries only what
 * every viewer sees alike: no `favorited`, no `following`.
 */

function liveProfile(profile: ProfileRecord): LiveProfile {
  return { username: profile.username, bio: profile.bio, image: profile.image };
}

export function liveArticleSummary(article: ArticleSummary): LiveArticleSummary {
  return {
    slug: article.slug,
    title: article.title,
    description: article.description,
    tagList: article.tagList,
    createdAt: article.createdAt.toISOString(),
    updatedAt: article.updatedAt.toISOString(),
    favoritesCount: article.favoritesCount,
    author: liveProfile(article.author),
  };
}

export function liveArticle(article: ArticleRecord): LiveArticle {
  return { ...liveArticleSummary(article), body: article.body };
}

export function liveComment(comment: CommentRecord): LiveComment {
  return {
    id: comment.id,
    createdAt: comment.createdAt.toISOString(),
    updatedAt: comment.updatedAt.toISOString(),
    body: comment.body,
    author: liveProfile(comment.author),
  };
}
