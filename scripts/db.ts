// The migrations command line, on Prisma's WebAssembly schema engine
// (docs/adr/0002-migrations-without-the-native-engine.md):
//
//   tsx scripts/db.ts deploy          apply pending migrations (creates the database if missing)
//   tsx scripts/db.ts create <name>   write a migration from schema.prisma's changes
//   tsx scripts/db.ts status          list applied, pending and edited migrations
//
// DATABASE_URL names the database; outside production a .env file is read first.
import path from "node:path";
import { ConfigError, loadDatabaseConfig, loadDotEnvFile } from "../src/config/config";
import {
  applyMigrations,
  createMigration,
  describeDatabase,
  MigrationError,
  migrationStatus,
  type MigrationStatus,
} from "../src/core/database/migrations/migrator";

const USAGE = "usage: tsx scripts/db.ts deploy | create <name> | status";

/** Bad arguments: print the usage, exit 2. */
class UsageError extends Error {}

async function main(args: string[]): Promise<number> {
  loadDotEnvFile();
  const databaseUrl = loadDatabaseConfig().url;
  const log = (line: string): void => console.log(line);
  const [command, ...rest] = args;

  switch (command) {
    case "deploy": {
      const { applied } = await applyMigrations(databaseUrl, { log });
      console.log(
        applied.length === 0
          ? `No pending migrations: database ${describeDatabase(databaseUrl)} is up to date.`
          : `Applied ${plural(applied.length, "migration")} to ${describeDatabase(databaseUrl)}.`,
      );
      return 0;
    }
    case "create": {
      const [name, ...extra] = rest;
      if (name === undefined || extra.length > 0) throw new UsageError("create takes one name");
      const folder = await createMigration(databaseUrl, name, { log });
      if (folder === null) {
        console.log(
          "No changes: the database already matches prisma/schema.prisma; nothing written.",
        );
      } else {
        const file = path.relative(process.cwd(), path.join(folder, "migration.sql"));
        console.log(`Wrote ${file}. Review it, then apply it with \`npm run db:migrate\`.`);
      }
      return 0;
    }
    case "status": {
      if (rest.length > 0) throw new UsageError("status takes no arguments");
      const status = await migrationStatus(databaseUrl);
      console.log(`Database ${describeDatabase(databaseUrl)}`);
      printStatus(status);
      return isCurrent(status) ? 0 : 1;
    }
    default:
      throw new UsageError(command === undefined ? "no command" : `unknown command "${command}"`);
  }
}

function printStatus(status: MigrationStatus): void {
  const sections: [string, string[], string][] = [
    ["Applied", status.applied, ""],
    ["Pending", status.pending, "run `npm run db:migrate` to apply them"],
    ["Edited", status.edited, "migration.sql changed after it was applied; restore it"],
    ["Failed", status.failed, "their logs are in _prisma_migrations; resolve them by hand"],
    ["Missing", status.missing, "applied to the database but not in prisma/migrations"],
  ];
  for (const [title, names, advice] of sections) {
    if (names.length === 0 && title !== "Applied") continue;
    console.log(`${title} (${names.length})${advice && `: ${advice}`}`);
    for (const name of names) console.log(`  ${name}`);
  }
  if (isCurrent(status)) console.log("The database is up to date.");
}

function isCurrent(status: MigrationStatus): boolean {
  const { pending, edited, failed, missing } = status;
  return [pending, edited, failed, missing].every((names) => names.length === 0);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exitCode = 2;
    } else if (error instanceof MigrationError || error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
