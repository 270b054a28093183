import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { MigrationError, messageOf } from "./errors";
import { databaseExists, describeDatabase, ensureDatabase } from "./postgres";
import {
  type EngineSession,
  type MigrationList,
  type SchemaFile,
  withSchemaEngine,
} from "./schema-engine";

export { MigrationError } from "./errors";
export { describeDatabase } from "./postgres";

export interface MigrationPaths {
  /** Defaults to `prisma/schema.prisma` in the project root. */
  schemaPath?: string;
  /** Defaults to `prisma/migrations` in the project root. */
  migrationsDir?: string;
}

export interface MigrationOptions extends MigrationPaths {
  /** Told each change made: database created, migration applied, migration written. */
  log?: (line: string) => void;
}

export interface MigrationStatus {
  /** Recorded in `_prisma_migrations` as applied, oldest first. */
  applied: string[];
  /** In the migrations folder, not applied yet. */
  pending: string[];
  /** Applied, but their migration.sql has changed since (checksum mismatch). */
  edited: string[];
  /** Started and failed; deploying refuses to go on until they are resolved. */
  failed: string[];
  /** Applied to the database but absent from the migrations folder. */
  missing: string[];
}

/**
 * Applies the migrations in the migrations folder that the database has not recorded, as
 * `prisma migrate deploy` does, creating the database first if it does not exist.
 */
export async function applyMigrations(
  databaseUrl: string,
  options: MigrationOptions = {},
): Promise<{ applied: string[] }> {
  const log = options.log ?? ignore;
  const { schemaPath, migrationsDir } = resolvePaths(options);
  if (await ensureDatabase(databaseUrl)) log(`Created database ${describeDatabase(databaseUrl)}`);
  const migrations = await readMigrations(migrationsDir);
  const applied = await withSchemaEngine(databaseUrl, await readSchema(schemaPath), (engine) =>
    applyPending(engine, migrations, log),
  );
  return { applied };
}

/** Compares the migrations folder with what the database has recorded. */
export async function migrationStatus(
  databaseUrl: string,
  options: MigrationPaths = {},
): Promise<MigrationStatus> {
  const { schemaPath, migrationsDir } = resolvePaths(options);
  const migrations = await readMigrations(migrationsDir);
  if (!(await databaseExists(databaseUrl))) {
    const pending = migrations.migrationDirectories.map((directory) => directory.path);
    return { applied: [], pending, edited: [], failed: [], missing: [] };
  }
  return withSchemaEngine(databaseUrl, await readSchema(schemaPath), async (engine) => {
    const diagnosis = await engine.diagnoseMigrationHistory(migrations);
    const { history } = diagnosis;
    return {
      applied: diagnosis.hasMigrationsTable ? await engine.appliedMigrationNames() : [],
      pending:
        history && "unappliedMigrationNames" in history ? history.unappliedMigrationNames : [],
      edited: diagnosis.editedMigrationNames,
      failed: diagnosis.failedMigrationNames,
      missing:
        history && "unpersistedMigrationNames" in history ? history.unpersistedMigrationNames : [],
    };
  });
}

/** The SQL that would bring the database to `schema.prisma`; empty when there is no drift. */
export async function diffSchemaAgainstDatabase(
  databaseUrl: string,
  options: MigrationPaths = {},
): Promise<string> {
  const { schemaPath } = resolvePaths(options);
  await requireDatabase(databaseUrl);
  return withSchemaEngine(databaseUrl, await readSchema(schemaPath), (engine) =>
    engine.diffDatabaseToSchema(),
  );
}

/**
 * The SQL that `schema.prisma` has and the migrations folder lacks; empty when a migration
 * captures every change. The migrations are replayed in a throwaway database on the server of
 * `databaseUrl`, which must exist and whose user may create databases.
 */
export async function diffSchemaAgainstMigrations(
  databaseUrl: string,
  options: MigrationPaths = {},
): Promise<string> {
  const { schemaPath, migrationsDir } = resolvePaths(options);
  await requireDatabase(databaseUrl);
  const migrations = await readMigrations(migrationsDir);
  return withSchemaEngine(databaseUrl, await readSchema(schemaPath), (engine) =>
    engine.diffMigrationsToSchema(migrations),
  );
}

/** Lowercase letters, digits and underscores, like the folder names Prisma writes. */
const MIGRATION_NAME = /^[a-z0-9_]+$/;

/**
 * Writes `<migrationsDir>/<YYYYMMDDHHMMSS>_<name>/migration.sql` with the SQL that brings the
 * database, once its pending migrations are applied, to `schema.prisma`. Returns the folder,
 * or null when there is nothing to migrate (and then writes nothing). The new migration is
 * not applied, so it can be reviewed and edited first.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  options: MigrationOptions = {},
): Promise<string | null> {
  if (!MIGRATION_NAME.test(name)) {
    throw new MigrationError(
      `Invalid migration name "${name}": use lowercase letters, digits and underscores`,
    );
  }
  const log = options.log ?? ignore;
  const { schemaPath, migrationsDir } = resolvePaths(options);
  if (await ensureDatabase(databaseUrl)) log(`Created database ${describeDatabase(databaseUrl)}`);
  const migrations = await readMigrations(migrationsDir);
  const script = await withSchemaEngine(
    databaseUrl,
    await readSchema(schemaPath),
    async (engine) => {
      const { editedMigrationNames } = await engine.diagnoseMigrationHistory(migrations);
      if (editedMigrationNames.length > 0) {
        throw new MigrationError(
          `Migrations changed after they were applied: ${editedMigrationNames.join(", ")}. ` +
            "Restore them, or recreate the database, before creating a new one",
        );
      }
      await applyPending(engine, migrations, log);
      return engine.diffDatabaseToSchema();
    },
  );
  if (script === "") return null;

  const folder = path.join(migrationsDir, `${timestamp(new Date())}_${name}`);
  await mkdir(migrationsDir, { recursive: true });
  await mkdir(folder).catch((error: unknown) => {
    throw new MigrationError(`Cannot create the migration: ${messageOf(error)}`, { cause: error });
  });
  await writeFile(path.join(folder, MIGRATION_FILE), script);
  if (migrations.lockfile.content === null) {
    await writeFile(path.join(migrationsDir, LOCKFILE), LOCKFILE_CONTENT);
  }
  log(`Created migration ${path.basename(folder)}`);
  return folder;
}

const ignore = (): void => undefined;

async function applyPending(
  engine: EngineSession,
  migrations: MigrationList,
  log: (line: string) => void,
): Promise<string[]> {
  const applied = await engine.applyMigrations(migrations);
  for (const name of applied) log(`Applied migration ${name}`);
  return applied;
}

async function requireDatabase(databaseUrl: string): Promise<void> {
  if (!(await databaseExists(databaseUrl))) {
    throw new MigrationError(`Database ${describeDatabase(databaseUrl)} does not exist`);
  }
}

// --- Files -----------------------------------------------------------------

const MIGRATION_FILE = "migration.sql";
const LOCKFILE = "migration_lock.toml";
// What `prisma migrate dev` writes, so both tools share the folder.
const LOCKFILE_CONTENT = `# Please do not edit this file manually
# It should be added in your version-control system (e.g., Git)
provider = "postgresql"
`;

function resolvePaths(options: MigrationPaths): Required<MigrationPaths> {
  const root = projectRoot();
  return {
    schemaPath: path.resolve(options.schemaPath ?? path.join(root, "prisma", "schema.prisma")),
    migrationsDir: path.resolve(options.migrationsDir ?? path.join(root, "prisma", "migrations")),
  };
}

let cachedRoot: string | undefined;

/** The nearest folder above this file with a package.json: the same from src/ and dist/src/. */
function projectRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let folder = __dirname;
  while (!existsSync(path.join(folder, "package.json"))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error(`No package.json in any folder above ${__dirname}`);
    folder = parent;
  }
  cachedRoot = folder;
  return folder;
}

async function readSchema(schemaPath: string): Promise<SchemaFile> {
  const content = await readFile(schemaPath, "utf8").catch((error: unknown) => {
    throw new MigrationError(`Cannot read the Prisma schema: ${messageOf(error)}`, {
      cause: error,
    });
  });
  return { path: schemaPath, content };
}

/** The migrations folder as `prisma migrate` hands it to the engine. */
async function readMigrations(migrationsDir: string): Promise<MigrationList> {
  const lockfile = await readFile(path.join(migrationsDir, LOCKFILE), "utf8").catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    },
  );
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: MIGRATION_FILE,
        // A missing or unreadable file is the engine's to report, with the folder it is in.
        content: await readFile(path.join(migrationsDir, name, MIGRATION_FILE), "utf8").then(
          (value) => ({ tag: "ok" as const, value }),
          (error: Error) => ({ tag: "error" as const, value: error.message }),
        ),
      },
    })),
  );
  return {
    baseDir: migrationsDir,
    lockfile: { path: LOCKFILE, content: lockfile },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/** `YYYYMMDDHHMMSS` in UTC, as Prisma names migration folders. */
function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[^0-9]/g, "")
    .slice(0, 14);
}
