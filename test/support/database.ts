import type { Database } from "../../src/core/database/prisma";
import type { Container } from "../../src/container";
import type { Redis } from "../../src/core/redis/redis";

/** Empties every application table, so each test starts from a known state. */
export async function resetDatabase(db: Database): Promise<void> {
  const tables = await db.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables
    WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (tables.length === 0) return;
  const list = tables.map(({ tablename }) => `"public"."${tablename}"`).join(", ");
  await db.$executeRawUnsafe(`TRUNCATE ${list} RESTART IDENTITY CASCADE`);
}

/**
 * Deletes every Redis key under the prefix (sessions, counters, locks).
 * Needed alongside resetDatabase: ids restart at 1, and a session left from
 * an earlier test would otherwise belong to the next user 1.
 */
async function resetRedis(redis: Redis, keyPrefix: string): Promise<void> {
  let cursor = "0";
  do {
    // SCAN's pattern is not prefixed by ioredis, and the keys it returns carry the prefix.
    const [next, keys] = await redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 500);
    cursor = next;
    const unprefixed = keys.map((key) => key.slice(keyPrefix.length));
    if (unprefixed.length > 0) await redis.del(...unprefixed);
  } while (cursor !== "0");
}

/** Both stores back to empty for the service under test. */
export async function resetState(container: Container): Promise<void> {
  await Promise.all([
    resetDatabase(container.db),
    resetRedis(container.redis, container.config.redis.keyPrefix),
  ]);
}

/** Makes every insert into audit_log fail while `action` runs, to see a change roll back with its entry. */
export async function withAuditInsertsFailing(
  db: Database,
  action: () => Promise<void>,
): Promise<void> {
  await db.$executeRawUnsafe(`
    CREATE OR REPLACE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log refused by the test'; END $$`);
  await db.$executeRawUnsafe(`
    CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`);
  try {
    await action();
  } finally {
    await db.$executeRawUnsafe(`DROP TRIGGER IF EXISTS test_refuse_audit ON audit_log`);
    await db.$executeRawUnsafe(`DROP FUNCTION IF EXISTS test_refuse_audit()`);
  }
}
