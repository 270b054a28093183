import { Prisma } from "../../generated/prisma/client";
import type { OffsetPage } from "../validation/paging";
import type { Database } from "./prisma";

/** The client a repository method runs on: the pool, or an open transaction. */
export type DbClient = Database | Prisma.TransactionClient;
export type Transaction = Prisma.TransactionClient;

/**
 * The shared plumbing of every repository: the client to use (the caller's
 * transaction when there is one), offset paging, and recognising the database
 * errors a repository turns into answers of its own.
 */
export abstract class Repository {
  constructor(protected readonly db: Database) {}

  /** The caller's transaction if it passed one, else the pool. */
  protected client(tx?: Transaction): DbClient {
    return tx ?? this.db;
  }

  /** Prisma's `skip`/`take` for an offset page. */
  protected pageArgs(page: OffsetPage): { skip: number; take: number } {
    return { skip: page.offset, take: page.limit };
  }
}

/** Runs `work` in one transaction: every write in it commits or none does. */
export function inTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.$transaction(work);
}

/** A unique constraint refused the write (optionally: on this column). */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== "P2002") {
    return false;
  }
  if (column === undefined) return true;
  return JSON.stringify(error.meta ?? {}).includes(column);
}
