import { applyMigrations } from "../../src/core/database/migrations/migrator";
import { newRunId, testDatabaseUrl } from "./test-run";

/** Creates and migrates this run's database; test files inherit its URL and the Redis prefix. */
export default async function globalSetup(): Promise<void> {
  const runId = newRunId();
  const databaseUrl = testDatabaseUrl(`conduit_test_${runId}`);
  await applyMigrations(databaseUrl); // creates the database first
  process.env.DATABASE_URL = databaseUrl;
  process.env.REDIS_KEY_PREFIX = `conduit-test:${runId}:`;
}
