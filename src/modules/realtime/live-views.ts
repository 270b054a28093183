import { articleSummaryView } from "../articles/article.mapper";
import type { ArticleRecord, ArticleSummary } from "../articles/articles.repository";
import { commentView } from "../comments/comment.mapper";
import type { CommentRecord } from "../comments/comments.repository";
import type {
  LiveArticle,
  LiveArticleSummary,
  LiveComment,
  LiveProfile,
} from "./realtime.protocol";

/*
 * A live event goes to everyone in a room at once, so it carries only what
 * every viewer sees alike: the REST views without `favorited` and without the
 * author's `following`.
 */

function liveProfile({ username, bio, image }: LiveProfile): LiveProfile {
  return { username, bio, image };
}

export function liveArticleSummary(article: ArticleSummary): LiveArticleSummary {
  const { favorited, author, ...rest } = articleSummaryView(article);
  return { ...rest, author: liveProfile(author) };
}

export function liveArticle(article: ArticleRecord): LiveArticle {
  return { ...liveArticleSummary(article), body: article.body };
}

export function liveComment(comment: CommentRecord): LiveComment {
  const { author, ...rest } = commentView(comment);
  return { ...rest, author: liveProfile(author) };
}
