import { ConflictError, NotFoundError } from "../../core/errors/app-error";
import type { Logger } from "../../core/logging/logger";
import type { ArticlesService } from "../articles/articles.service";
import type { Presence } from "./presence";
import { articleIdsOf, type LiveServer, type LiveSocket, rooms } from "./realtime.protocol";

interface ArticleRoomsDeps {
  io: LiveServer;
  articles: ArticlesService;
  presence: Presence;
  logger: Logger;
  /** Article rooms one socket may be in at once. */
  maxRooms: number;
  /** Counts what the server sends, for metrics. */
  onSent: (event: "presence:article") => void;
}

/**
 * Each instance announces an article's count at most once in this window (the
 * first change at once, later ones together at its end), so sockets joining
 * and leaving in a busy room cannot make every viewer's connection carry a
 * packet per change.
 */
const PRESENCE_WINDOW_MS = 1_000;

/**
 * Joining and leaving articles' rooms, and counting who is in them. Anyone,
 * signed in or not, may join: articles and their comments are public.
 */
export class ArticleRooms {
  /** Articles announced within the window, and whether they changed again since. */
  private readonly recentlyAnnounced = new Map<
    number,
    { slug: string; changed: boolean; timer: NodeJS.Timeout }
  >();

  constructor(private readonly deps: ArticleRoomsDeps) {}

  async join(socket: LiveSocket, slug: string): Promise<{ slug: string; viewers: number }> {
    const article = await this.deps.articles.ref(slug);
    const room = rooms.article(article.id);
    if (socket.rooms.has(room)) {
      return { slug: article.slug, viewers: await this.deps.presence.count(article.id) };
    }
    forgetClosedRooms(socket);
    if (!(await this.hasRoomFor(socket))) {
      throw new ConflictError(
        "rooms",
        `are at the limit of ${this.deps.maxRooms} articles; leave one first`,
      );
    }
    // Gone while the article was looked up: nothing to join, nobody to count.
    if (!socket.connected) throw new NotFoundError("socket");
    await socket.join(room);
    socket.data.articles[article.id] = [article.slug];
    const viewers = await this.deps.presence.add(article.id, [socket.id]);
    this.announce(article.id, article.slug, viewers);
    return { slug: article.slug, viewers };
  }

  /** Leaving a room the socket is not in succeeds: the outcome is the same. */
  async leave(socket: LiveSocket, slug: string): Promise<{ slug: string }> {
    const articleId = await this.joinedArticleId(socket, slug);
    if (articleId === undefined) return { slug };
    const current = currentSlug(socket, articleId) ?? slug;
    await socket.leave(rooms.article(articleId));
    forgetClosedRooms(socket);
    const viewers = await this.deps.presence.remove(articleId, [socket.id]);
    this.announce(articleId, current, viewers);
    return { slug: current };
  }

  /** Before a socket goes: it stops being counted in every room it was in. */
  async leaveAll(socket: LiveSocket): Promise<void> {
    await Promise.all(
      articleIdsOf(socket).map(async (articleId) => {
        const viewers = await this.deps.presence.remove(articleId, [socket.id]);
        this.announce(articleId, currentSlug(socket, articleId) ?? "", viewers);
      }),
    );
  }

  /** A socket recovered after a drop is back in its rooms: count it again. */
  async rejoinAll(socket: LiveSocket): Promise<void> {
    await Promise.all(
      articleIdsOf(socket).map(async (articleId) => {
        const viewers = await this.deps.presence.add(articleId, [socket.id]);
        this.announce(articleId, currentSlug(socket, articleId) ?? "", viewers);
      }),
    );
  }

  /** A renamed article: this instance's sockets learn its new slug (every instance is told). */
  renamed(articleId: number, slug: string): void {
    for (const socket of this.deps.io.of("/").sockets.values()) {
      const slugs = socket.data.articles[articleId];
      if (slugs !== undefined && !slugs.includes(slug)) {
        socket.data.articles[articleId] = [...slugs, slug];
      }
    }
  }

  /** An article that is gone has no room: everyone leaves it, on every instance. */
  async closeRoom(articleId: number): Promise<void> {
    this.deps.io.in(rooms.article(articleId)).socketsLeave(rooms.article(articleId));
    await this.deps.presence.clear(articleId);
  }

  /** The heartbeat: this instance's sockets stay counted. */
  async refresh(): Promise<void> {
    const socketsByArticle = new Map<number, string[]>();
    for (const socket of this.deps.io.of("/").sockets.values()) {
      for (const articleId of articleIdsOf(socket)) {
        const socketIds = socketsByArticle.get(articleId);
        if (socketIds === undefined) socketsByArticle.set(articleId, [socket.id]);
        else socketIds.push(socket.id);
      }
    }
    await Promise.all(
      [...socketsByArticle].map(([articleId, socketIds]) =>
        this.deps.presence.refresh(articleId, socketIds),
      ),
    );
  }

  /**
   * Below the cap, counting only articles that still exist: the room of one
   * just deleted may not have been closed on this instance yet.
   */
  private async hasRoomFor(socket: LiveSocket): Promise<boolean> {
    const joined = articleIdsOf(socket);
    if (joined.length < this.deps.maxRooms) return true;
    const existing = new Set(await this.deps.articles.existingIds(joined));
    const gone = joined.filter((id) => !existing.has(id));
    for (const id of gone) await socket.leave(rooms.article(id));
    forgetClosedRooms(socket);
    return joined.length - gone.length < this.deps.maxRooms;
  }

  /**
   * The room the slug names for this socket: the article that has the slug
   * now, if the socket is in its room; else one that had it since the socket
   * joined (the slug may since have passed to another article).
   */
  private async joinedArticleId(socket: LiveSocket, slug: string): Promise<number | undefined> {
    const joined = articleIdsOf(socket);
    const current = await this.currentHolder(slug);
    if (current !== undefined && joined.includes(current)) return current;
    return joined.find((id) => socket.data.articles[id]?.includes(slug));
  }

  private async currentHolder(slug: string): Promise<number | undefined> {
    try {
      return (await this.deps.articles.ref(slug)).id;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Stops the pending announcements, at shutdown. */
  stopAnnouncing(): void {
    for (const { timer } of this.recentlyAnnounced.values()) clearTimeout(timer);
    this.recentlyAnnounced.clear();
  }

  private announce(articleId: number, slug: string, viewers: number): void {
    const recent = this.recentlyAnnounced.get(articleId);
    if (recent !== undefined) {
      recent.changed = true;
      recent.slug = slug;
      return;
    }
    this.deps.io.to(rooms.article(articleId)).emit("presence:article", { slug, viewers });
    this.deps.onSent("presence:article");
    const entry = {
      slug,
      changed: false,
      timer: setTimeout(() => {
        this.recentlyAnnounced.delete(articleId);
        if (entry.changed) this.announceCurrent(articleId, entry.slug);
      }, PRESENCE_WINDOW_MS),
    };
    entry.timer.unref();
    this.recentlyAnnounced.set(articleId, entry);
  }

  /** The count as it is now, for the changes a window held back. */
  private announceCurrent(articleId: number, slug: string): void {
    this.deps.presence.count(articleId).then(
      (viewers) => this.announce(articleId, slug, viewers),
      (error: unknown) => this.deps.logger.warn({ err: error }, "announcing presence failed"),
    );
  }
}

function currentSlug(socket: LiveSocket, articleId: number): string | undefined {
  return socket.data.articles[articleId]?.at(-1);
}

/** Rooms closed under the socket (an article deleted) leave their slugs behind; drop them. */
function forgetClosedRooms(socket: LiveSocket): void {
  const joined = new Set(articleIdsOf(socket).map(String));
  socket.data.articles = Object.fromEntries(
    Object.entries(socket.data.articles).filter(([id]) => joined.has(id)),
  );
}
