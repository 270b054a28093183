import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import {
  applyMigrations,
  createMigration,
  diffSchemaAgainstDatabase,
  diffSchemaAgainstMigrations,
  MigrationError,
  migrationStatus,
} from "../../src/core/database/migrations/migrator";
import { ADMIN_DATABASE_URL, newRunId, testDatabaseUrl } from "../setup/test-run";

const MIGRATIONS_DIR = path.resolve(__dirname, "../../prisma/migrations");
const SCHEMA_PATH = path.resolve(__dirname, "../../prisma/schema.prisma");
const runId = newRunId();
const databases: string[] = [];

/** A database name of this run, dropped after the tests; it does not exist yet. */
function throwawayDatabase(purpose: string): string {
  const name = `conduit_migrations_${runId}_${purpose}`;
  databases.push(name);
  return testDatabaseUrl(name);
}

async function withAdmin<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function localMigrations(): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function shadowDatabases(): Promise<string[]> {
  return withAdmin(ADMIN_DATABASE_URL, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'",
    );
    return rows.map((row) => row.datname);
  });
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

describe("migrations", () => {
  const migratedUrl = throwawayDatabase("main");
  let fixtures: string;

  beforeAll(async () => {
    fixtures = await mkdtemp(path.join(os.tmpdir(), "conduit-migrations-"));
  });

  afterAll(async () => {
    await rm(fixtures, { recursive: true, force: true });
    await withAdmin(ADMIN_DATABASE_URL, async (admin) => {
      for (const name of databases) {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    });
  });

  it("when the database does not exist, then deploying creates it and applies every migration", async () => {
    const lines: string[] = [];

    const { applied } = await applyMigrations(migratedUrl, { log: (line) => lines.push(line) });

    const expected = await localMigrations();
    expect(expected.length).toBeGreaterThan(0);
    expect(applied).toEqual(expected);
    expect(lines[0]).toMatch(/^Created database "conduit_migrations_/);
    expect(lines.slice(1)).toEqual(expected.map((name) => `Applied migration ${name}`));
  });

  it("when applied, then _prisma_migrations holds the rows prisma migrate deploy writes", async () => {
    const rows = await withAdmin(migratedUrl, async (client) => {
      const result = await client.query<MigrationRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count
         FROM _prisma_migrations ORDER BY started_at`,
      );
      return result.rows;
    });

    const expected = await Promise.all(
      (await localMigrations()).map(async (name) => {
        const script = await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"));
        return {
          migration_name: name,
          checksum: createHash("sha256").update(script).digest("hex"),
          rolled_back_at: null,
          logs: null,
          applied_steps_count: 1,
        };
      }),
    );
    expect(rows).toMatchObject(expected);
    for (const row of rows) expect(row.finished_at).toBeInstanceOf(Date);
  });

  it("when migrated, then the database matches schema.prisma (no drift)", async () => {
    await expect(diffSchemaAgainstDatabase(migratedUrl)).resolves.toBe("");
  });

  it("when the migrations are replayed in a shadow database, then they produce schema.prisma and the shadow is dropped", async () => {
    const before = await shadowDatabases();

    await expect(diffSchemaAgainstMigrations(migratedUrl)).resolves.toBe("");

    const leftOver = (await shadowDatabases()).filter((name) => !before.includes(name));
    expect(leftOver).toEqual([]);
  });

  it("when every migration is applied, then the status is clean", async () => {
    await expect(migrationStatus(migratedUrl)).resolves.toEqual({
      applied: await localMigrations(),
      pending: [],
      edited: [],
      failed: [],
      missing: [],
    });
  });

  it("when deploying again, then nothing is applied", async () => {
    const lines: string[] = [];

    await expect(
      applyMigrations(migratedUrl, { log: (line) => lines.push(line) }),
    ).resolves.toEqual({ applied: [] });

    expect(lines).toEqual([]);
    const count = await withAdmin(migratedUrl, async (client) => {
      const result = await client.query<{ count: string }>(
        "SELECT count(*) FROM _prisma_migrations",
      );
      return Number(result.rows[0]?.count);
    });
    expect(count).toBe((await localMigrations()).length);
  });

  it("when an applied migration's file no longer matches its checksum, then the status reports it edited", async () => {
    const url = throwawayDatabase("edited");
    const [first] = await localMigrations();
    await applyMigrations(url);
    await withAdmin(url, (client) =>
      client.query("UPDATE _prisma_migrations SET checksum = $1 WHERE migration_name = $2", [
        "0".repeat(64),
        first,
      ]),
    );

    const status = await migrationStatus(url);

    expect(status.edited).toEqual([first]);
    expect(status.pending).toEqual([]);
  });

  describe("with a migrations folder one migration ahead of the database", () => {
    const extra = "29991231235959_add_bookmarks";
    let migrationsDir: string;

    beforeAll(async () => {
      migrationsDir = path.join(fixtures, "ahead");
      await cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });
      await mkdir(path.join(migrationsDir, extra));
      await writeFile(
        path.join(migrationsDir, extra, "migration.sql"),
        `CREATE TABLE "bookmarks" ("id" SERIAL PRIMARY KEY);\n`,
      );
    });

    it("then the status reports it pending", async () => {
      const status = await migrationStatus(migratedUrl, { migrationsDir });

      expect(status.pending).toEqual([extra]);
      expect(status.edited).toEqual([]);
    });

    it("then a database that does not exist has every migration pending", async () => {
      const status = await migrationStatus(throwawayDatabase("absent"), { migrationsDir });

      expect(status.pending).toEqual([...(await localMigrations()), extra]);
      expect(status.applied).toEqual([]);
    });
  });

  describe("when creating a migration", () => {
    let migrationsDir: string;

    beforeEach(async () => {
      migrationsDir = await mkdtemp(path.join(fixtures, "create-"));
      await cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });
    });

    it("and schema.prisma matches the database, then it writes nothing", async () => {
      await expect(createMigration(migratedUrl, "nothing", { migrationsDir })).resolves.toBeNull();

      expect((await readdir(migrationsDir)).sort()).toEqual((await readdir(MIGRATIONS_DIR)).sort());
    });

    it("and schema.prisma has a new model, then it writes the SQL for it", async () => {
      const schemaPath = path.join(fixtures, "schema.prisma");
      const schema = await readFile(SCHEMA_PATH, "utf8");
      await writeFile(
        schemaPath,
        `${schema}\nmodel Bookmark {\n  id Int @id @default(autoincrement())\n\n  @@map("bookmarks")\n}\n`,
      );

      const folder = await createMigration(migratedUrl, "add_bookmarks", {
        migrationsDir,
        schemaPath,
      });

      expect(folder).toMatch(/[/\\]\d{14}_add_bookmarks$/);
      const script = await readFile(path.join(folder ?? "", "migration.sql"), "utf8");
      expect(script).toContain('CREATE TABLE "bookmarks"');
    });

    it("and it is the first one, then it writes migration_lock.toml as prisma migrate does", async () => {
      const emptyDir = await mkdtemp(path.join(fixtures, "empty-"));

      const folder = await createMigration(throwawayDatabase("first"), "init", {
        migrationsDir: emptyDir,
      });

      expect(path.dirname(folder ?? "")).toBe(emptyDir);
      await expect(readFile(path.join(emptyDir, "migration_lock.toml"), "utf8")).resolves.toBe(
        "# Please do not edit this file manually\n" +
          "# It should be added in your version-control system (e.g., Git)\n" +
          'provider = "postgresql"\n',
      );
    });

    it("and the name is not lowercase letters, digits and underscores, then it refuses", async () => {
      await expect(
        createMigration(migratedUrl, "Add-Bookmarks", { migrationsDir }),
      ).rejects.toThrow(MigrationError);
    });
  });

  it("when the server cannot be reached, then it fails with a one-line MigrationError", async () => {
    const error: unknown = await applyMigrations(
      "postgresql://postgres@127.0.0.1:1/conduit_unreachable",
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      /^Cannot connect to database "conduit_unreachable" on 127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
  });
});
