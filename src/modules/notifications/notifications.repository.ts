import { Repository, type Transaction } from "../../core/database/repository";
import type { NotificationKind } from "../../generated/prisma/client";
import { type ProfileRecord, profileSelect, toProfileRecord } from "../profiles/profile.record";

export interface NewNotification {
  recipientId: number;
  actorId: number;
  kind: NotificationKind;
  articleId?: number;
  commentId?: number;
}

export interface NotificationRecord {
  id: number;
  kind: NotificationKind;
  readAt: Date | null;
  createdAt: Date;
  actor: ProfileRecord;
  article: { slug: string; title: string } | null;
  comment: { id: number; body: string } | null;
}

/** The actor's `following` is the recipient's view. */
function notificationSelect(recipientId: number) {
  return {
    id: true,
    kind: true,
    readAt: true,
    createdAt: true,
    actor: { select: profileSelect(recipientId) },
    article: { select: { slug: true, title: true } },
    comment: { select: { id: true, body: true } },
  } as const;
}

function toNotificationRecord<R extends { actor: Parameters<typeof toProfileRecord>[0] }>(
  row: R,
): Omit<R, "actor"> & { actor: ProfileRecord } {
  return { ...row, actor: toProfileRecord(row.actor) };
}

export class NotificationsRepository extends Repository {
  async create(tx: Transaction, notification: NewNotification): Promise<number> {
    const { id } = await tx.notification.create({ data: notification, select: { id: true } });
    return id;
  }

  /** Whether the same actor already caused this kind of notification about the same thing. */
  async exists(tx: Transaction, notification: NewNotification): Promise<boolean> {
    const found = await tx.notification.findFirst({
      where: {
        recipientId: notification.recipientId,
        actorId: notification.actorId,
        kind: notification.kind,
        articleId: notification.articleId ?? null,
      },
      select: { id: true },
    });
    return found !== null;
  }

  /** Newest first, starting below `beforeId`; the actor's `following` is the recipient's view. */
  async listForRecipient(
    recipientId: number,
    { beforeId, limit }: { beforeId?: number; limit: number },
  ): Promise<NotificationRecord[]> {
    const rows = await this.db.notification.findMany({
      where: { recipientId, ...(beforeId === undefined ? {} : { id: { lt: beforeId } }) },
      orderBy: { id: "desc" },
      take: limit,
      select: notificationSelect(recipientId),
    });
    return rows.map(toNotificationRecord);
  }

  /** One of the recipient's notifications, or null when it is not theirs or gone. */
  async findForRecipient(recipientId: number, id: number): Promise<NotificationRecord | null> {
    const row = await this.db.notification.findFirst({
      where: { id, recipientId },
      select: notificationSelect(recipientId),
    });
    return row === null ? null : toNotificationRecord(row);
  }

  countUnread(recipientId: number): Promise<number> {
    return this.db.notification.count({ where: { recipientId, readAt: null } });
  }

  /** Marks the recipient's unread notifications read: those with `ids`, or all. */
  async markRead(recipientId: number, ids: number[] | "all"): Promise<number> {
    const { count } = await this.db.notification.updateMany({
      where: { recipientId, readAt: null, ...(ids === "all" ? {} : { id: { in: ids } }) },
      data: { readAt: new Date() },
    });
    return count;
  }
}
