import { AsyncLocalStorage } from "node:async_hooks";
import { Prisma } from "../../generated/prisma/client";
import { uniqueFieldOf } from "../errors/to-app-error";
import type { OffsetPage } from "../validation/paging";
import type { Database } from "./prisma";

/** An open transaction; repository methods that write take one from their service. */
export type Transaction = Prisma.TransactionClient;

/**
 * The shared plumbing of every repository: the pool, and offset paging. The
 * helpers below run transactions and recognise the database errors services
 * turn into answers of their own.
 */
export abstract class Repository {
  constructor(protected readonly db: Database) {}

  /** Prisma's `skip`/`take` for an offset page. */
  protected pageArgs(page: OffsetPage): { skip: number; take: number } {
    return { skip: page.offset, take: page.limit };
  }
}

/** A last statement for every transaction of the current request (see `joinEveryTransaction`). */
export type TransactionMember = (tx: Transaction) => Promise<void>;

const members = new AsyncLocalStorage<TransactionMember>();

/**
 * Runs `run` so that every transaction it starts through `inTransaction` ends
 * with `member`, which commits or rolls back with the transaction's writes.
 * An idempotency key is marked as used this way, in the same commit as the
 * write it guards.
 */
export function joinEveryTransaction<T>(member: TransactionMember, run: () => T): T {
  return members.run(member, run);
}

/** Runs `work` in one transaction: every write in it commits or none does. */
export function inTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const member = members.getStore();
  if (member === undefined) return db.$transaction(work);
  return db.$transaction(async (tx) => {
    const result = await work(tx);
    await member(tx);
    return result;
  });
}

/** A unique constraint on `field` (camelCase, as in the schema) refused the write. */
export function isUniqueViolation(error: unknown, field: string): boolean {
  return (
    error instanceof Prisma.PrismaClientKnownRequestError &&
    error.code === "P2002" &&
    uniqueFieldOf(error) === field
  );
}

/** A foreign key refused the write: the row it refers to is gone. */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003";
}
