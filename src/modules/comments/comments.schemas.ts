import { z } from "zod";
import { timestampSchema } from "../../core/openapi/operation";
import { envelopeContent, recordId } from "../../core/validation/envelope";
import { requiredText } from "../../core/validation/text";
import { slugParams } from "../articles/articles.schemas";
import { profileSchema } from "../profiles/profiles.schemas";

export const COMMENT_MAX = 10_000;

/** Plain text: front ends show comments as text, so it is stored exactly as trimmed. */
export const newCommentBody = z.object({
  comment: envelopeContent({ body: requiredText(COMMENT_MAX) }),
});

export const commentParams = slugParams.extend({ id: recordId });

export const commentSchema = z
  .object({
    id: z.number().int(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    body: z.string(),
    author: profileSchema,
  })
  .meta({ id: "Comment" });

export const commentResponse = z.object({ comment: commentSchema }).meta({ id: "CommentResponse" });
export const commentListResponse = z
  .object({ comments: z.array(commentSchema).meta({ description: "Oldest first." }) })
  .meta({ id: "CommentList" });
