import pg from "pg";

/**
 * Counts the SQL statements this process sends to PostgreSQL, at the driver:
 * every query of Prisma's adapter (pooled or inside a transaction, BEGIN and
 * COMMIT included) goes through node-postgres's `Client#query`.
 *
 * Prisma's own `query` log event would be the usual tool, but it only fires
 * when the client is built with `log: [{ emit: "event", level: "query" }]`,
 * and the service builds its client (src/core/database/prisma.ts) without it.
 * Observing the driver needs no change to the service and sees exactly what
 * reaches the database.
 */
export class QueryCounter {
  private recording: string[] | undefined;
  private original: ((...args: unknown[]) => unknown) | undefined;

  /** Starts observing; nothing is recorded until `measure` runs. */
  install(): void {
    if (this.original !== undefined) return;
    const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = prototype.query;
    this.original = original;
    const record = (sql: string) => this.recording?.push(sql);
    prototype.query = function (this: pg.Client, ...args: unknown[]) {
      record(sqlOf(args[0]));
      return original.apply(this, args);
    };
  }

  /** Puts node-postgres back as it was. */
  uninstall(): void {
    if (this.original === undefined) return;
    (pg.Client.prototype as unknown as { query: unknown }).query = this.original;
    this.original = undefined;
  }

  /** Runs `action` and returns what it resolved to with every SQL statement sent meanwhile. */
  async measure<T>(action: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
    if (this.original === undefined) throw new Error("QueryCounter.install() first");
    if (this.recording !== undefined) throw new Error("measurements cannot overlap");
    const queries: string[] = [];
    this.recording = queries;
    try {
      const result = await action();
      return { result, queries };
    } finally {
      this.recording = undefined;
    }
  }
}

function sqlOf(query: unknown): string {
  if (typeof query === "string") return query;
  if (typeof query === "object" && query !== null && "text" in query) {
    return String(query.text);
  }
  return String(query);
}
