import type { Database } from "../../core/database/prisma";
import { inArticleTransaction } from "../articles/article-transaction";
import type { Transaction } from "../../core/database/repository";
import type { ArticleRef, DomainEvent, DomainEvents } from "../../core/events/domain-events";
import type { ArticleRecord } from "../articles/articles.repository";
import type { ArticlesService } from "../articles/articles.service";
import type { NotificationsService } from "../notifications/notifications.service";
import type { FavoritesRepository } from "./favorites.repository";

interface FavoritesServiceDeps {
  db: Database;
  favorites: FavoritesRepository;
  articles: ArticlesService;
  notifications: NotificationsService;
  events: DomainEvents;
}

/**
 * Favoriting. The favorite row and the article's count change in one
 * transaction, and only when the row really appears or disappears, so
 * repeated or concurrent requests never count twice. The answer is read in
 * that transaction too, so a change that committed is never answered with an
 * error from a later read.
 */
export class FavoritesService {
  constructor(private readonly deps: FavoritesServiceDeps) {}

  async favorite(userId: number, slug: string): Promise<ArticleRecord> {
    const { db, articles, events } = this.deps;
    const article = await articles.ref(slug);
    const { published, answer } = await inArticleTransaction(db, async (tx) => ({
      published: await this.add(tx, userId, article),
      answer: await articles.readInTransaction(tx, article.id, userId),
    }));
    events.publish(...published);
    return answer;
  }

  async unfavorite(userId: number, slug: string): Promise<ArticleRecord> {
    const { db, articles, events } = this.deps;
    const article = await articles.ref(slug);
    const { published, answer } = await inArticleTransaction(db, async (tx) => ({
      published: await this.remove(tx, userId, article),
      answer: await articles.readInTransaction(tx, article.id, userId),
    }));
    events.publish(...published);
    return answer;
  }

  /** The favorite, counted and announced to the author the first time; nothing when it exists. */
  private async add(tx: Transaction, userId: number, article: ArticleRef): Promise<DomainEvent[]> {
    const { favorites, notifications } = this.deps;
    if (!(await favorites.add(tx, userId, article.id))) return [];
    const favoritesCount = await favorites.adjustCount(tx, article.id, 1);
    return [
      { type: "article.favorited", article, userId, favoritesCount },
      ...(await notifications.notify(tx, {
        recipientId: article.authorId,
        actorId: userId,
        kind: "FAVORITE",
        articleId: article.id,
      })),
    ];
  }

  /** The favorite gone and uncounted; nothing when there was none. */
  private async remove(
    tx: Transaction,
    userId: number,
    article: ArticleRef,
  ): Promise<DomainEvent[]> {
    const { favorites } = this.deps;
    if (!(await favorites.remove(tx, userId, article.id))) return [];
    const favoritesCount = await favorites.adjustCount(tx, article.id, -1);
    return [{ type: "article.unfavorited", article, userId, favoritesCount }];
  }
}
