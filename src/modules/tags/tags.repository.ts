import { Repository, type Transaction } from "../../core/database/repository";

export class TagsRepository extends Repository {
  /** Every tag at least one article carries, by name. */
  async listInUse(): Promise<string[]> {
    const rows = await this.db.tag.findMany({
      where: { articles: { some: {} } },
      orderBy: { name: "asc" },
      select: { name: true },
    });
    return rows.map((row) => row.name);
  }

  /**
   * The ids of these tag names, creating the missing ones. Concurrent callers
   * creating the same new tag both succeed: the insert skips existing names.
   * Names are inserted in sorted order so that two transactions never wait on
   * each other's tags in opposite orders.
   */
  async idsCreatingMissing(tx: Transaction, names: readonly string[]): Promise<number[]> {
    if (names.length === 0) return [];
    const sorted = [...names].sort();
    await tx.tag.createMany({ data: sorted.map((name) => ({ name })), skipDuplicates: true });
    const rows = await tx.tag.findMany({ where: { name: { in: sorted } }, select: { id: true } });
    return rows.map((row) => row.id);
  }
}
