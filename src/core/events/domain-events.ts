/**
 * Changes the services announce once their transaction has committed, so that
 * other parts of the service (live delivery to clients, for one) can react to
 * changes made through any entry point. A change that rolled back is never
 * announced. Handlers are called as soon as the change commits, before the
 * service returns, so they must hand slow work off rather than do it; one that
 * throws or rejects is logged and affects neither the change nor other handlers.
 */
export interface ArticleRef {
  id: number;
  slug: string;
  authorId: number;
}

export type DomainEvent =
  | { type: "article.created"; article: ArticleRef }
  | { type: "article.updated"; article: ArticleRef; previousSlug: string }
  | { type: "article.deleted"; article: ArticleRef; deletedBy: number }
  | { type: "article.favorited"; article: ArticleRef; userId: number; favoritesCount: number }
  | { type: "article.unfavorited"; article: ArticleRef; userId: number; favoritesCount: number }
  | { type: "comment.created"; article: ArticleRef; commentId: number; authorId: number }
  | { type: "comment.deleted"; article: ArticleRef; commentId: number; deletedBy: number }
  | { type: "profile.followed"; followerId: number; followingId: number }
  | { type: "profile.unfollowed"; followerId: number; followingId: number }
  | { type: "notification.created"; recipientId: number; notificationId: number };

export type DomainEventHandler = (event: DomainEvent) => void | Promise<void>;

export class DomainEvents {
  private readonly handlers = new Set<DomainEventHandler>();
  /** Handlers that returned a promise which has not settled yet. */
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly onHandlerError: (error: unknown, event: DomainEvent) => void) {}

  /** Returns the function that unsubscribes. */
  subscribe(handler: DomainEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Call only after the change's transaction has committed. */
  publish(...events: DomainEvent[]): void {
    for (const event of events) {
      for (const handler of this.handlers) {
        try {
          const result = handler(event);
          if (result !== undefined) this.track(result, event);
        } catch (error) {
          this.onHandlerError(error, event);
        }
      }
    }
  }

  /**
   * Resolves once no handler is running, counting those started while it
   * waits: shutting down waits for this before it closes the connections
   * the handlers use.
   */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private track(result: Promise<void>, event: DomainEvent): void {
    this.running += 1;
    Promise.resolve(result)
      .catch((error: unknown) => this.onHandlerError(error, event))
      .finally(() => {
        this.running -= 1;
        if (this.running > 0) return;
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      });
  }
}
