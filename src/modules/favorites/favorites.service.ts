import type { Database } from "../../core/database/prisma";
import { inArticleTransaction } from "../articles/article-transaction";
import type { DomainEvent, DomainEvents } from "../../core/events/domain-events";
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
 * repeated or concurrent requests never count twice.
 */
export class FavoritesService {
  constructor(private readonly deps: FavoritesServiceDeps) {}

  async favorite(userId: number, slug: string): Promise<ArticleRecord> {
    const { db, favorites, articles, notifications, events } = this.deps;
    const article = await articles.ref(slug);
    const published = await inArticleTransaction(db, async (tx): Promise<DomainEvent[]> => {
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
    });
    events.publish(...published);
    return articles.getById(article.id, userId);
  }

  async unfavorite(userId: number, slug: string): Promise<ArticleRecord> {
    const { db, favorites, articles, events } = this.deps;
    const article = await articles.ref(slug);
    const published = await inArticleTransaction(db, async (tx): Promise<DomainEvent[]> => {
      if (!(await favorites.remove(tx, userId, article.id))) return [];
      const favoritesCount = await favorites.adjustCount(tx, article.id, -1);
      return [{ type: "article.unfavorited", article, userId, favoritesCount }];
    });
    events.publish(...published);
    return articles.getById(article.id, userId);
  }
}
