import type { Database } from "../../core/database/prisma";
import {
  inTransaction,
  isForeignKeyViolation,
  type Transaction,
} from "../../core/database/repository";
import { NotFoundError } from "../../core/errors/app-error";

/**
 * A transaction that writes rows referring to an article (a favorite, a
 * comment) looked up just before. If the article is deleted in between, the
 * foreign key refuses the write, and the answer is the one RealWorld expects
 * for a missing article: 404.
 */
export async function inArticleTransaction<T>(
  db: Database,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  try {
    return await inTransaction(db, work);
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError("article");
    throw error;
  }
}
