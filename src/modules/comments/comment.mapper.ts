import type { z } from "zod";
import { profileView } from "../profiles/profile.mapper";
import type { CommentRecord } from "./comments.repository";
import type { commentSchema } from "./comments.schemas";

export function commentView(comment: CommentRecord): z.output<typeof commentSchema> {
  return {
    id: comment.id,
    createdAt: comment.createdAt.toISOString(),
    updatedAt: comment.updatedAt.toISOString(),
    body: comment.body,
    author: profileView(comment.author),
  };
}
