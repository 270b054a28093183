import type { Transaction } from "../../core/database/repository";
import type { DomainEvent } from "../../core/events/domain-events";
import type {
  NewNotification,
  NotificationRecord,
  NotificationsRepository,
} from "./notifications.repository";

export interface NotificationPage {
  notifications: NotificationRecord[];
  unreadCount: number;
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Stores what happened to a user because of someone else: a follow, a
 * favorite of their article, a comment on it. Never for one's own actions,
 * and a repeated follow or favorite by the same person is not announced twice.
 */
export class NotificationsService {
  constructor(private readonly notifications: NotificationsRepository) {}

  /**
   * Records the notification inside the caller's transaction. Returns the event
   * the caller publishes after commit, or nothing when no notification is due.
   */
  async notify(tx: Transaction, notification: NewNotification): Promise<DomainEvent[]> {
    if (notification.recipientId === notification.actorId) return [];
    if (notification.kind !== "COMMENT" && (await this.notifications.exists(tx, notification))) {
      return [];
    }
    const notificationId = await this.notifications.create(tx, notification);
    return [
      { type: "notification.created", recipientId: notification.recipientId, notificationId },
    ];
  }

  /** One of the recipient's notifications, or null when it is not theirs or gone. */
  find(recipientId: number, id: number): Promise<NotificationRecord | null> {
    return this.notifications.findForRecipient(recipientId, id);
  }

  async list(
    recipientId: number,
    page: { limit: number; cursor?: number },
  ): Promise<NotificationPage> {
    // One extra row tells whether an older page exists.
    const [rows, unreadCount] = await Promise.all([
      this.notifications.listForRecipient(recipientId, {
        beforeId: page.cursor,
        limit: page.limit + 1,
      }),
      this.notifications.countUnread(recipientId),
    ]);
    const notifications = rows.slice(0, page.limit);
    const last = notifications.at(-1);
    return {
      notifications,
      unreadCount,
      nextCursor: rows.length > page.limit && last !== undefined ? String(last.id) : null,
    };
  }

  /** Returns how many were marked and how many stay unread. */
  async markRead(
    recipientId: number,
    ids: number[] | "all",
  ): Promise<{ marked: number; unreadCount: number }> {
    const marked = await this.notifications.markRead(recipientId, ids);
    return { marked, unreadCount: await this.notifications.countUnread(recipientId) };
  }
}
