import type { z } from "zod";
import { profileView } from "../profiles/profile.mapper";
import type { NotificationRecord } from "./notifications.repository";
import type { notificationSchema } from "./notifications.schemas";

export function notificationView(
  notification: NotificationRecord,
): z.output<typeof notificationSchema> {
  return {
    id: notification.id,
    kind:
      notification.kind === "FOLLOW"
        ? "follow"
        : notification.kind === "FAVORITE"
          ? "favorite"
          : "comment",
    read: notification.readAt !== null,
    createdAt: notification.createdAt.toISOString(),
    actor: profileView(notification.actor),
    article: notification.article,
    comment: notification.comment,
  };
}
