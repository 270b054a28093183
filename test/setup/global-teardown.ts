import { Redis } from "ioredis";
import { Client } from "pg";
import { ADMIN_DATABASE_URL } from "./test-run";

/** Drops this run's database and deletes its Redis keys. */
export default async function globalTeardown(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const keyPrefix = process.env.REDIS_KEY_PREFIX;
  if (databaseUrl?.includes("conduit_test_")) {
    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  if (keyPrefix?.startsWith("conduit-test:")) {
    const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await redis.quit();
  }
}
