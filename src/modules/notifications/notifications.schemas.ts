import { z } from "zod";
import { timestampSchema } from "../../core/openapi/operation";
import { recordId } from "../../core/validation/envelope";
import { offsetPaging } from "../../core/validation/paging";
import { profileSchema } from "../profiles/profiles.schemas";

const MARK_READ_MAX_IDS = 100;

export function notificationListQuery(maxPageSize: number) {
  return offsetPaging(maxPageSize)
    .pick({ limit: true })
    .extend({
      cursor: recordId.optional().meta({
        description: "The `nextCursor` of the previous page; omit it for the newest page.",
      }),
    });
}

/** `{"ids": [...]}` marks those; `{"all": true}` marks every unread one. */
export const markReadBody = z
  .object({
    ids: z
      .array(recordId, { error: "must be an array of notification ids" })
      .min(1, "must name at least one notification")
      .max(MARK_READ_MAX_IDS, `must name at most ${MARK_READ_MAX_IDS} notifications`)
      .optional(),
    all: z.literal(true, { error: "must be true when given" }).optional(),
  })
  .refine((body) => (body.ids === undefined) !== (body.all === undefined), {
    message: "must give either ids or all: true",
    path: ["body"],
  });

export const notificationSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(["follow", "favorite", "comment"]),
    read: z.boolean(),
    createdAt: timestampSchema,
    actor: profileSchema.meta({ description: "Who caused it." }),
    article: z
      .object({ slug: z.string(), title: z.string() })
      .nullable()
      .meta({ description: "The article it is about (favorite, comment)." }),
    comment: z
      .object({ id: z.number().int(), body: z.string() })
      .nullable()
      .meta({ description: "The comment (comment)." }),
  })
  .meta({ id: "Notification" });

export const notificationListResponse = z
  .object({
    notifications: z.array(notificationSchema).meta({ description: "Newest first." }),
    unreadCount: z.number().int(),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` for older notifications; null on the last page." }),
  })
  .meta({ id: "NotificationList" });

export const markReadResponse = z
  .object({
    marked: z.number().int().meta({ description: "How many were unread and are now read." }),
    unreadCount: z.number().int(),
  })
  .meta({ id: "MarkReadResult" });
