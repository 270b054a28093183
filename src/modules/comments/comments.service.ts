import type { Database } from "../../core/database/prisma";
import { inTransaction } from "../../core/database/repository";
import { inArticleTransaction } from "../articles/article-transaction";
import { ForbiddenError, NotFoundError } from "../../core/errors/app-error";
import type { DomainEvents } from "../../core/events/domain-events";
import type { ArticlesService } from "../articles/articles.service";
import { type Actor, can } from "../auth/permissions";
import type { ModerationService } from "../moderation/moderation.service";
import type { NotificationsService } from "../notifications/notifications.service";
import type { CommentRecord, CommentsRepository } from "./comments.repository";

interface CommentsServiceDeps {
  db: Database;
  comments: CommentsRepository;
  articles: ArticlesService;
  notifications: NotificationsService;
  moderation: ModerationService;
  events: DomainEvents;
}

/** Comments on articles. The comment's author, a moderator or an admin may delete one. */
export class CommentsService {
  constructor(private readonly deps: CommentsServiceDeps) {}

  async list(slug: string, viewerId?: number): Promise<CommentRecord[]> {
    const article = await this.deps.articles.ref(slug);
    return this.deps.comments.listForArticle(article.id, viewerId);
  }

  /** A comment as anyone sees it (no viewer), or null once it is gone. */
  find(commentId: number): Promise<CommentRecord | null> {
    return this.deps.comments.find(commentId);
  }

  async add(authorId: number, slug: string, body: string): Promise<CommentRecord> {
    const { db, comments, articles, notifications, events } = this.deps;
    const article = await articles.ref(slug);
    const { comment, published } = await inArticleTransaction(db, async (tx) => {
      const created = await comments.create(tx, { articleId: article.id, authorId, body });
      const notified = await notifications.notify(tx, {
        recipientId: article.authorId,
        actorId: authorId,
        kind: "COMMENT",
        articleId: article.id,
        commentId: created.id,
      });
      return { comment: created, published: notified };
    });
    events.publish(
      { type: "comment.created", article, commentId: comment.id, authorId },
      ...published,
    );
    return comment;
  }

  /** Deleting someone else's comment is moderation and is audited in the same transaction. */
  async delete(actor: Actor, slug: string, commentId: number): Promise<void> {
    const { db, comments, articles, moderation, events } = this.deps;
    const article = await articles.ref(slug);
    const comment = await comments.findOwnerInArticle(article.id, commentId);
    if (comment === null) throw new NotFoundError("comment");
    if (!can(actor, "comment:delete", { ownerId: comment.authorId })) {
      throw new ForbiddenError("comment");
    }
    await inTransaction(db, async (tx) => {
      await comments.delete(tx, commentId);
      await moderation.record(tx, actor, "delete", {
        type: "comment",
        id: commentId,
        ownerId: comment.authorId,
        details: { articleSlug: article.slug },
      });
    });
    events.publish({ type: "comment.deleted", article, commentId, deletedBy: actor.id });
  }
}
