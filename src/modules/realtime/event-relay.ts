import type { DomainEvent } from "../../core/events/domain-events";
import type { Metrics } from "../../core/metrics/metrics";
import type { ArticlesService } from "../articles/articles.service";
import type { CommentsService } from "../comments/comments.service";
import { notificationView } from "../notifications/notification.mapper";
import type { NotificationsService } from "../notifications/notifications.service";
import type { ProfilesService } from "../profiles/profiles.service";
import type { ArticleRooms } from "./article-rooms";
import { liveArticle, liveArticleSummary, liveComment } from "./live-views";
import {
  type LiveEventName,
  type LiveServer,
  rooms,
  type ServerToClientEvents,
} from "./realtime.protocol";

interface EventRelayDeps {
  io: LiveServer;
  articleRooms: ArticleRooms;
  metrics: Metrics;
  articles: ArticlesService;
  comments: CommentsService;
  notifications: NotificationsService;
  profiles: ProfilesService;
}

/** Followers are addressed in batches, so one broadcast never names an unbounded list of rooms. */
const FOLLOWER_BATCH = 1_000;

/**
 * Turns committed changes (domain events) into live events for the rooms that
 * should see them. Events arrive only after their transaction committed, from
 * whichever entry point made the change; the adapter carries each emit to
 * every instance.
 */
export class EventRelay {
  constructor(private readonly deps: EventRelayDeps) {}

  async relay(event: DomainEvent): Promise<void> {
    const { articles, comments, notifications, articleRooms } = this.deps;
    switch (event.type) {
      case "article.created":
        await this.toFollowers(event.article.authorId, async () => ({
          article: liveArticleSummary(await articles.getById(event.article.id)),
        }));
        return;
      case "article.updated": {
        const article = await articles.getById(event.article.id);
        if (event.previousSlug !== article.slug) this.renamed(article.id, article.slug);
        this.send(rooms.article(article.id), "article:updated", {
          previousSlug: event.previousSlug,
          article: liveArticle(article),
        });
        return;
      }
      case "article.deleted":
        this.send(rooms.article(event.article.id), "article:deleted", {
          slug: event.article.slug,
        });
        await articleRooms.closeRoom(event.article.id);
        return;
      case "article.favorited":
      case "article.unfavorited":
        this.send(
          rooms.article(event.article.id),
          event.type === "article.favorited" ? "article:favorited" : "article:unfavorited",
          { slug: event.article.slug, favoritesCount: event.favoritesCount },
        );
        return;
      case "comment.created": {
        // Null when the comment was deleted before it could be read: nothing to show.
        const comment = await comments.find(event.commentId);
        if (comment === null) return;
        this.send(rooms.article(event.article.id), "comment:created", {
          slug: event.article.slug,
          comment: liveComment(comment),
        });
        return;
      }
      case "comment.deleted":
        this.send(rooms.article(event.article.id), "comment:deleted", {
          slug: event.article.slug,
          commentId: event.commentId,
        });
        return;
      case "notification.created": {
        const notification = await notifications.find(event.recipientId, event.notificationId);
        if (notification === null) return;
        this.send(rooms.user(event.recipientId), "notification:new", {
          notification: notificationView(notification),
        });
        return;
      }
      case "profile.followed":
      case "profile.unfollowed":
        // Announced to the followed user as a notification; nothing else to show.
        return;
    }
  }

  /** Every instance updates its sockets' record of the slug, so leaving by it works. */
  private renamed(articleId: number, slug: string): void {
    this.deps.articleRooms.renamed(articleId, slug);
    this.deps.io.serverSideEmit("article:renamed", articleId, slug);
  }

  /** `feed:article` to the author's followers; the article is read only when someone follows. */
  private async toFollowers(
    authorId: number,
    payload: () => Promise<Parameters<ServerToClientEvents["feed:article"]>[0]>,
  ): Promise<void> {
    const followers = await this.deps.profiles.followerIds(authorId);
    if (followers.length === 0) return;
    const article = await payload();
    for (let start = 0; start < followers.length; start += FOLLOWER_BATCH) {
      const batch = followers.slice(start, start + FOLLOWER_BATCH).map(rooms.user);
      this.deps.io.to(batch).emit("feed:article", article);
    }
    this.deps.metrics.socketEventsSent.inc({ event: "feed:article" });
  }

  private send<E extends LiveEventName>(
    room: string,
    event: E,
    ...payload: Parameters<ServerToClientEvents[E]>
  ): void {
    this.deps.io.to(room).emit(event, ...payload);
    this.deps.metrics.socketEventsSent.inc({ event });
  }
}
