import { Repository, type Transaction } from "../../core/database/repository";
import { NotFoundError } from "../../core/errors/app-error";

/** Favorites and the per-article counter kept beside them (docs/adr/0005-favorites-count.md). */
export class FavoritesRepository extends Repository {
  /** True when the favorite is new; favoriting twice changes nothing. */
  async add(tx: Transaction, userId: number, articleId: number): Promise<boolean> {
    const { count } = await tx.favorite.createMany({
      data: [{ userId, articleId }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /** True when there was a favorite to remove. */
  async remove(tx: Transaction, userId: number, articleId: number): Promise<boolean> {
    const { count } = await tx.favorite.deleteMany({ where: { userId, articleId } });
    return count === 1;
  }

  /**
   * Moves the counter atomically (the row lock orders concurrent changes) and
   * returns it. Plain SQL, because Prisma's update would also move `updatedAt`,
   * and a favorite is not an edit of the article.
   */
  async adjustCount(tx: Transaction, articleId: number, delta: 1 | -1): Promise<number> {
    const rows = await tx.$queryRaw<{ favorites_count: number }[]>`
      UPDATE articles SET favorites_count = favorites_count + ${delta}
      WHERE id = ${articleId}
      RETURNING favorites_count`;
    if (rows[0] === undefined) throw new NotFoundError("article");
    return rows[0].favorites_count;
  }
}
