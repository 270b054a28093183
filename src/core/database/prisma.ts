import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../../generated/prisma/client";
import { databaseFailureOf } from "../errors/to-app-error";
import type { Logger } from "../logging/logger";

export type Database = PrismaClient;

export interface DatabaseOptions {
  url: string;
  /** Connections in this process's pool. */
  poolSize: number;
  /**
   * PostgreSQL's statement_timeout on every pooled connection, and (a little
   * later) the client's own bound on any answer. Left out (tools such as the
   * seed), statements are unbounded.
   */
  statementTimeoutMs?: number;
  /** How long connecting, or waiting for a free pooled connection, may take. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * How much longer than a bound PostgreSQL or the pool enforces the client
 * waits itself. A live server cancels a statement itself first; the client's
 * bound is for one that answers nothing at all (frozen, or gone behind an
 * open connection).
 */
const UNANSWERED_QUERY_MARGIN_MS = 1_000;

/**
 * A Prisma client over node-postgres. Nothing connects until the first query.
 * With a logger, an outage is logged once when it starts and once when it ends.
 */
export function createDatabase(options: DatabaseOptions, logger?: Logger): Database {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    // Bounds both a new connection and the wait for a free pooled one.
    connectionTimeoutMillis: connectTimeoutMs,
    // A peer that vanished without closing the connection is noticed.
    keepAlive: true,
    ...(options.statementTimeoutMs !== undefined && {
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + UNANSWERED_QUERY_MARGIN_MS,
    }),
  });
  if (logger !== undefined) watchForOutages(pool, new OutageLog(logger));
  return new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
    // Prisma's own wait to start a transaction (2 s by default) ends after the
    // pool's, so a pool that stayed full is reported as busy, not as a failure.
    // A transaction as a whole may take as long as one statement may (Prisma's
    // default, 5 s, where statements are unbounded).
    transactionOptions: {
      maxWait: connectTimeoutMs + UNANSWERED_QUERY_MARGIN_MS,
      ...(options.statementTimeoutMs !== undefined && { timeout: options.statementTimeoutMs }),
    },
  });
}

/** One line when PostgreSQL stops answering, one when it answers again. */
class OutageLog {
  private since: number | undefined;
  /** Outages so far: a query that began before the current one proves nothing by succeeding. */
  private outages = 0;

  constructor(private readonly logger: Logger) {}

  /** Call as a query begins; pass what it returns to answered(). */
  begin(): number {
    return this.outages;
  }

  failed(error: unknown): void {
    if (this.since !== undefined || databaseFailureOf(error) !== "unavailable") return;
    this.since = Date.now();
    this.outages += 1;
    this.logger.warn({ err: error }, "database is unreachable; requests get 503 until it answers");
  }

  answered(begun = this.outages): void {
    if (this.since === undefined || begun !== this.outages) return;
    const downForMs = Date.now() - this.since;
    this.since = undefined;
    this.logger.info({ downForMs }, "database is reachable again");
  }
}

/**
 * Hears PostgreSQL answer (a query that succeeded, a new connection made) or
 * fail to (a query or a checkout that failed). A checkout that succeeded proves
 * nothing: it may hand out an idle connection to a server that has frozen.
 * The adapter calls both in their promise form; the callback form (the pool
 * calling itself) passes through untouched.
 */
function watchForOutages(pool: pg.Pool, log: OutageLog): void {
  pool.on("connect", () => log.answered());
  for (const method of ["connect", "query"] as const) {
    const original = (pool[method] as (...args: unknown[]) => unknown).bind(pool);
    Object.defineProperty(pool, method, {
      value: (...args: unknown[]) => {
        const begun = log.begin();
        const result = original(...args);
        if (result instanceof Promise) {
          result.then(
            () => method === "query" && log.answered(begun),
            (error: unknown) => log.failed(error),
          );
        }
        return result;
      },
    });
  }
}
