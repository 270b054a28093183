/**
 * What one test run owns: its own PostgreSQL database and its own Redis key
 * prefix, both named after the run so parallel runs never meet. The global
 * setup creates them, the global teardown removes them.
 */
export const ADMIN_DATABASE_URL =
  process.env.TEST_ADMIN_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export function testDatabaseUrl(databaseName: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

export function newRunId(): string {
  return `${Date.now().toString(36)}_${process.pid}`;
}
