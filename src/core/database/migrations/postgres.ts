import pg from "pg";
import { MigrationError } from "./errors";

/** How long to wait for PostgreSQL to accept a connection (pg's default is forever). */
export const CONNECT_TIMEOUT_MS = 5_000;

/** The database that is always there to connect to, to create others. */
const MAINTENANCE_DATABASE = "postgres";

const INVALID_CATALOG_NAME = "3D000";
const DUPLICATE_DATABASE = "42P04";
const UNIQUE_VIOLATION = "23505";

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(parseUrl(databaseUrl).pathname.slice(1));
  if (name === "") {
    throw new MigrationError(`The database URL names no database (${describeServer(databaseUrl)})`);
  }
  return name;
}

/** The same server and credentials, another database. */
export function withDatabase(databaseUrl: string, name: string): string {
  const url = parseUrl(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** `"conduit" on 127.0.0.1:5432`: for messages, so without credentials. */
export function describeDatabase(databaseUrl: string): string {
  return `"${databaseName(databaseUrl)}" on ${describeServer(databaseUrl)}`;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function databaseExists(databaseUrl: string): Promise<boolean> {
  // Without a database in the URL pg would connect to the one named after the user.
  databaseName(databaseUrl);
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if (postgresErrorCode(error) === INVALID_CATALOG_NAME) return false;
    throw cannot("connect to", databaseUrl, error);
  } finally {
    await client.end();
  }
}

/** Creates the database the URL names unless it exists; true when it created it. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  if (await databaseExists(databaseUrl)) return false;
  const maintenanceUrl = withDatabase(databaseUrl, MAINTENANCE_DATABASE);
  const client = new pg.Client({
    connectionString: maintenanceUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect().catch((error: unknown) => {
      throw cannot("connect to", maintenanceUrl, error);
    });
    await client.query(`CREATE DATABASE ${quoteIdentifier(databaseName(databaseUrl))}`);
    return true;
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    // Another process (a second instance starting up) created it first.
    // PostgreSQL reports a near-simultaneous duplicate as a unique violation on its catalog.
    const code = postgresErrorCode(error);
    if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
    throw cannot("create", databaseUrl, error);
  } finally {
    await client.end();
  }
}

function cannot(action: string, databaseUrl: string, error: unknown): MigrationError {
  // Node reports a refused connection to every address of a host as an AggregateError without a message.
  const reason =
    error instanceof Error
      ? error.message || postgresErrorCode(error) || error.name
      : String(error);
  return new MigrationError(
    `Cannot ${action} database ${describeDatabase(databaseUrl)}: ${reason}`,
    {
      cause: error,
    },
  );
}

function postgresErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

function describeServer(databaseUrl: string): string {
  const { hostname, port } = parseUrl(databaseUrl);
  return `${hostname || "localhost"}:${port || "5432"}`;
}

function parseUrl(databaseUrl: string): URL {
  const url = URL.canParse(databaseUrl) ? new URL(databaseUrl) : undefined;
  if (url?.protocol !== "postgresql:" && url?.protocol !== "postgres:") {
    throw new MigrationError("The database URL is not a postgresql:// URL");
  }
  return url;
}
