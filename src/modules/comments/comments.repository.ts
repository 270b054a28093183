import { Repository, type Transaction } from "../../core/database/repository";
import { type ProfileRecord, profileSelect, toProfileRecord } from "../profiles/profile.record";

export interface CommentRecord {
  id: number;
  body: string;
  createdAt: Date;
  updatedAt: Date;
  author: ProfileRecord;
}

function commentSelect(viewerId: number | undefined) {
  return {
    id: true,
    body: true,
    createdAt: true,
    updatedAt: true,
    author: { select: profileSelect(viewerId) },
  } as const;
}

export class CommentsRepository extends Repository {
  /** Oldest first, as a conversation reads. */
  async listForArticle(articleId: number, viewerId?: number): Promise<CommentRecord[]> {
    const rows = await this.db.comment.findMany({
      where: { articleId },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: commentSelect(viewerId),
    });
    return rows.map((row) => ({ ...row, author: toProfileRecord(row.author) }));
  }

  /** One comment as anyone sees it, or null once it is gone. */
  async find(commentId: number): Promise<CommentRecord | null> {
    const row = await this.db.comment.findUnique({
      where: { id: commentId },
      select: commentSelect(undefined),
    });
    return row === null ? null : { ...row, author: toProfileRecord(row.author) };
  }

  async create(
    tx: Transaction,
    comment: { articleId: number; authorId: number; body: string },
  ): Promise<CommentRecord> {
    const row = await tx.comment.create({ data: comment, select: commentSelect(comment.authorId) });
    return { ...row, author: toProfileRecord(row.author) };
  }

  /** The comment's owner, if the comment belongs to this article. */
  findOwnerInArticle(articleId: number, commentId: number): Promise<{ authorId: number } | null> {
    return this.db.comment.findFirst({
      where: { id: commentId, articleId },
      select: { authorId: true },
    });
  }

  async delete(tx: Transaction, commentId: number): Promise<void> {
    await tx.comment.delete({ where: { id: commentId } });
  }
}
