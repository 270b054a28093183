import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import * as glue from "@prisma/schema-engine-wasm/schema_engine_bg";
import type {
  DiagnoseMigrationHistoryOutput,
  DiffTarget,
  MigrationList,
  SchemaContainer,
  SchemaEngine,
  SchemaFilter,
} from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { MigrationError } from "./errors";
import { CONNECT_TIMEOUT_MS, quoteIdentifier, withDatabase } from "./postgres";

export type { MigrationList } from "@prisma/schema-engine-wasm/schema_engine_bg";

/** A Prisma schema file: where it lives (for the engine's messages) and what it says. */
export type SchemaFile = SchemaContainer;

/** One connection to the schema engine, working on one database and one Prisma schema. */
export interface EngineSession {
  /** Applies the migrations not yet recorded in `_prisma_migrations`; returns their names. */
  applyMigrations(migrations: MigrationList): Promise<string[]>;
  diagnoseMigrationHistory(migrations: MigrationList): Promise<DiagnoseMigrationHistoryOutput>;
  /** Migrations recorded as applied (finished, not rolled back), oldest first. */
  appliedMigrationNames(): Promise<string[]>;
  /** The SQL that brings the database to the schema; empty when they match. */
  diffDatabaseToSchema(): Promise<string>;
  /** The SQL that brings the migrations (replayed in a shadow database) to the schema. */
  diffMigrationsToSchema(migrations: MigrationList): Promise<string>;
}

/** Runs `work` with a schema engine connected to the database; closes every connection afterwards. */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  schema: SchemaFile,
  work: (session: EngineSession) => Promise<T>,
): Promise<T> {
  const Engine = await loadSchemaEngine();
  const pool = createPool(databaseUrl);
  const shadows = new ShadowDatabases(databaseUrl, pool);
  const mainAdapters = new PrismaPg(pool);
  const adapters: SqlMigrationAwareDriverAdapterFactory = {
    provider: mainAdapters.provider,
    adapterName: mainAdapters.adapterName,
    connect: async () => runScriptsWhole(await mainAdapters.connect()),
    connectToShadowDb: () => shadows.create(),
  };
  let engine: SchemaEngine | undefined;
  try {
    engine = await engineCall(
      Engine.new(
        { datamodels: [[schema.path, schema.content]] },
        // The engine's own tracing; its failures reach us as rejections.
        () => undefined,
        bindMigrationAwareSqlAdapterFactory(adapters),
      ),
    );
    return await work(createSession(engine, pool, schema));
  } finally {
    try {
      engine?.free();
    } catch {
      // After a panic the engine refuses to be freed ("value while it was borrowed"); it is lost anyway.
    }
    try {
      await shadows.dropAll();
    } finally {
      await pool.end();
    }
  }
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

/** What the engine's `diff` prints when there is nothing to do. */
const EMPTY_MIGRATION = "-- This is an empty migration.";

function createSession(engine: SchemaEngine, pool: pg.Pool, schema: SchemaFile): EngineSession {
  const schemaFiles = { files: [schema] };
  const diff = async (from: DiffTarget): Promise<string> => {
    const { stdout } = await engineCall(
      engine.diff({
        from,
        to: { tag: "schemaDatamodel", ...schemaFiles },
        script: true,
        exitCode: null,
        filters: NO_FILTER,
      }),
    );
    const script = stdout ?? "";
    return script.trim() === EMPTY_MIGRATION ? "" : script;
  };

  return {
    applyMigrations: async (migrationsList) => {
      const output = await engineCall(
        engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
      );
      return output.appliedMigrationNames;
    },
    diagnoseMigrationHistory: (migrationsList) =>
      engineCall(
        engine.diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters: NO_FILTER,
        }),
      ),
    appliedMigrationNames: async () => {
      const { rows } = await pool.query<{ migration_name: string }>(
        `SELECT migration_name FROM _prisma_migrations
         WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
         ORDER BY started_at, migration_name`,
      );
      return rows.map((row) => row.migration_name);
    },
    // The engine no longer diffs from a URL: it reads the database through the adapter, named by a schema.
    diffDatabaseToSchema: () =>
      diff({ tag: "schemaDatasource", ...schemaFiles, configDir: path.dirname(schema.path) }),
    diffMigrationsToSchema: (migrations) => diff({ tag: "migrations", ...migrations }),
  };
}

// --- The WebAssembly module ------------------------------------------------

// @types/node 20 has no WebAssembly types; these are the parts used here.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: EngineExports } }>;
};

interface EngineExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  __wbindgen_start(): void;
}

/** The glue's hook for the instance, which its typings leave out. */
interface GlueInternals {
  __wbg_set_wasm(exports: EngineExports): void;
}

let engineClass: Promise<typeof glue.SchemaEngine> | undefined;
let engineMemory: EngineExports["memory"] | undefined;
let lastPanic: string | undefined;

/** Instantiates the engine once per process: a second instance would corrupt the glue's cached view of memory. */
function loadSchemaEngine(): Promise<typeof glue.SchemaEngine> {
  engineClass ??= instantiateSchemaEngine();
  return engineClass;
}

async function instantiateSchemaEngine(): Promise<typeof glue.SchemaEngine> {
  // The package entry imports the .wasm as an ES module, which Node 20 allows only behind a flag;
  // instantiating it here and handing it to the glue works everywhere.
  const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = await readFile(gluePath.replace(/\.js$/, ".wasm"));
  const imports: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(imports)) {
    if (name.startsWith("__wbg_setTimeout_")) {
      // The engine leaves a 10 s timer behind (its advisory-lock timeout) that would hold the process open.
      imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms).unref();
    } else if (name.startsWith("__wbg_set_message_")) {
      // The glue hands panic messages to a global registry of Prisma's CLI; keep them here instead.
      imports[name] = (pointer: number, length: number) => {
        const bytes = new Uint8Array(engineMemory?.buffer ?? new ArrayBuffer(0), pointer, length);
        lastPanic = new TextDecoder().decode(bytes);
      };
    }
  }
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": imports });
  engineMemory = instance.exports.memory;
  (glue as unknown as GlueInternals).__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue.SchemaEngine;
}

/** Turns the engine's rejections into MigrationErrors that read well on one screen. */
async function engineCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof Error) || error instanceof MigrationError) throw error;
    if (error.name === "RuntimeError") {
      throw new MigrationError(`The schema engine crashed: ${lastPanic ?? error.message}`, {
        cause: error,
      });
    }
    // Engine messages end with a Rust span trace ("   0: schema_engine_wasm::…"), noise to users
    // but for the migration it names; adapter errors start with a line that says only that.
    const [summary = "", trace = ""] = error.message.split(/\n\s*0: /);
    const message = summary.replace(/^external connector error\n/, "").trim();
    const migration = /with migration_name="([^"]+)"/.exec(trace)?.[1];
    throw new MigrationError(migration ? `Migration ${migration} failed: ${message}` : message, {
      cause: error,
    });
  }
}

// --- node-postgres for the engine --------------------------------------------

const CHAR_OID = 18;
const TEXT_OID = 25;

interface RowDescription {
  fields: { dataTypeID: number }[];
}

/** pg's Client with its (untyped) handler of the column descriptions of a result. */
const DescribableClient = pg.Client as unknown as new (
  config?: string | pg.ClientConfig,
) => pg.Client & { _handleRowDescription(message: RowDescription): void };

/**
 * The engine's catalog queries return PostgreSQL's internal `"char"` type, which adapter-pg
 * cannot decode ("Column type 'char' could not be deserialized"); it is text in all but name.
 * Done per connection, so the application's own clients in this process are untouched.
 */
class CatalogClient extends DescribableClient {
  override _handleRowDescription(message: RowDescription): void {
    for (const field of message.fields) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
    super._handleRowDescription(message);
  }
}

function createPool(databaseUrl: string): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    Client: CatalogClient,
  });
}

/**
 * adapter-pg splits a migration on every ";" (breaking dollar-quoted function bodies) and runs
 * the pieces one by one. Sent as one simple query, PostgreSQL runs the whole script in one
 * implicit transaction, as with Prisma's native engine.
 */
function runScriptsWhole(adapter: SqlDriverAdapter): SqlDriverAdapter {
  adapter.executeScript = async (script) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

/** The throwaway databases the engine replays migrations in. */
class ShadowDatabases {
  private readonly drops = new Set<() => Promise<void>>();

  constructor(
    private readonly databaseUrl: string,
    private readonly pool: pg.Pool,
  ) {}

  async create(): Promise<SqlDriverAdapter> {
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await this.pool.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    // adapter-pg's own connectToShadowDb adds `database` next to our connectionString, which
    // wins, so its "shadow" is the real database; name the shadow in the URL instead.
    const shadowPool = createPool(withDatabase(this.databaseUrl, name));
    const drop = async (): Promise<void> => {
      this.drops.delete(drop);
      // Close our connections first: adapter-pg drops before closing, which fails and leaks it.
      await shadowPool.end();
      await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    };
    this.drops.add(drop);
    const adapter = runScriptsWhole(await new PrismaPg(shadowPool).connect());
    adapter.dispose = drop;
    return adapter;
  }

  /** Drops the shadows the engine did not dispose of (when it failed half-way). */
  async dropAll(): Promise<void> {
    for (const drop of this.drops) await drop();
  }
}
