import pg from "pg";

type Query = (...args: unknown[]) => unknown;

/**
 * PostgreSQL failing at a chosen moment: once a statement matching `after`
 * (say COMMIT) has completed, every statement this process sends fails as a
 * dropped connection would, until the action under test settles. Nothing
 * reaches the real connection meanwhile, so the pool stays healthy for the
 * checks that follow. Installed at node-postgres's `Client#query`, which every
 * statement of Prisma's adapter goes through (test/support/query-counter.ts).
 */
export class DatabaseFailure {
  private original: Query | undefined;
  private trigger: RegExp | undefined;
  private failing = false;
  /** Statements refused since the failure began, for failure messages. */
  refused: string[] = [];

  install(): void {
    if (this.original !== undefined) return;
    const prototype = pg.Client.prototype as unknown as { query: Query };
    const original = prototype.query;
    this.original = original;
    const send = (client: pg.Client, args: unknown[]) => this.send(original, client, args);
    prototype.query = function (this: pg.Client, ...args: unknown[]) {
      return send(this, args);
    };
  }

  uninstall(): void {
    if (this.original === undefined) return;
    (pg.Client.prototype as unknown as { query: Query }).query = this.original;
    this.original = undefined;
  }

  /**
   * Runs `action` with the database failing from the first statement matching
   * `after` on; `began` tells whether it did.
   */
  async during<T>(after: RegExp, action: () => Promise<T>): Promise<{ result: T; began: boolean }> {
    if (this.original === undefined) throw new Error("DatabaseFailure.install() first");
    this.refused = [];
    this.trigger = after;
    try {
      const result = await action();
      return { result, began: this.failing };
    } finally {
      this.trigger = undefined;
      this.failing = false;
    }
  }

  /** A statement while installed: refused once the failure has begun; the trigger starts it. */
  private send(original: Query, client: pg.Client, args: unknown[]): unknown {
    const sql = sqlOf(args[0]);
    if (this.failing) return this.refuse(sql, args);
    const result = original.apply(client, args);
    if (this.trigger?.test(sql) === true && result instanceof Promise) {
      return result.then((value: unknown) => {
        this.failing = true;
        return value;
      });
    }
    return result;
  }

  private refuse(sql: string, args: unknown[]): unknown {
    this.refused.push(sql);
    const error = new Error("Connection terminated unexpectedly");
    // The pool's own queries pass a callback; Prisma's adapter awaits a promise.
    const callback = args.at(-1);
    if (typeof callback !== "function") return Promise.reject(error);
    process.nextTick(() => (callback as (error: Error) => void)(error));
    return undefined;
  }
}

/** Statements that end a transaction, for `during`. */
export const COMMIT = /^\s*COMMIT\b/i;
export const ROLLBACK = /^\s*ROLLBACK\b/i;

function sqlOf(query: unknown): string {
  if (typeof query === "string") return query;
  if (typeof query === "object" && query !== null && "text" in query) return String(query.text);
  return String(query);
}
