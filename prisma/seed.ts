// Fills a development database with generated users, articles and the rest:
//   npm run db:seed -- [--articles N] [--seed N] [--reset]
// DATABASE_URL (from the environment or .env) says which database.

import { parseArgs } from "node:util";
import { ConfigError, loadDatabaseConfig, loadDotEnvFile } from "../src/config/config";
import { createDatabase } from "../src/core/database/prisma";
import {
  DatabaseNotEmptyError,
  SEED_PASSWORD,
  seedDatabase,
  type PhaseReport,
  type SeedOptions,
} from "../src/core/database/seed/seed";

const DEFAULT_ARTICLES = 300;
const DEFAULT_SEED = 1;
// Far above any useful size; keeps a typo from filling the disk.
const MAX_ARTICLES = 1_000_000;

const USAGE = `Usage: npm run db:seed -- [options]

  --articles <n>  how many articles to create (default ${DEFAULT_ARTICLES}); users,
                  follows, tags, favorites and comments scale with it
  --seed <n>      faker's seed, for reproducible data (default ${DEFAULT_SEED})
  --reset         empty all tables first (TRUNCATE ... RESTART IDENTITY CASCADE)
  -h, --help      show this help`;

class UsageError extends Error {}

type CliOptions = Omit<SeedOptions, "onPhase">;

/** Parsed options, or null when only help was asked for. */
function parseOptions(args: string[]): CliOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        articles: { type: "string" },
        seed: { type: "string" },
        reset: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return null;
  return {
    articles: integerOption("--articles", values.articles, DEFAULT_ARTICLES, 1, MAX_ARTICLES),
    seed: integerOption("--seed", values.seed, DEFAULT_SEED, 0, Number.MAX_SAFE_INTEGER),
    reset: values.reset,
  };
}

function integerOption(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  // Digits only: Number() would also take "1e3", "0x10" and " 5 ".
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** The URL without credentials, to say where the data goes. */
function describe(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url);
    return `${protocol}//${host}${pathname}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function printPhase({ name, rows, ms }: PhaseReport): void {
  const count = rows === undefined ? "" : `${rows.toLocaleString("en-US")} rows`;
  console.log(`  ${name.padEnd(13)}${count.padStart(16)}  ${seconds(ms).padStart(8)}`);
}

async function main(): Promise<number> {
  let options: CliOptions | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`db:seed: ${error.message}\n\n${USAGE}`);
    return 1;
  }
  if (options === null) {
    console.log(USAGE);
    return 0;
  }

  loadDotEnvFile();
  const database = loadDatabaseConfig();
  if (database.isProduction) {
    console.error("db:seed: refusing to fill a production database with sample data");
    return 1;
  }
  const url = database.url;
  console.log(
    `Seeding ${describe(url)} with ${options.articles.toLocaleString("en-US")} articles` +
      ` (seed ${options.seed}${options.reset ? ", reset first" : ""})`,
  );

  const db = createDatabase({ url, poolSize: 1 });
  const started = performance.now();
  try {
    const { logins } = await seedDatabase(db, { ...options, onPhase: printPhase });
    console.log(`Done in ${seconds(performance.now() - started)}.\n`);
    console.log(`Every seeded user's password is "${SEED_PASSWORD}". For example:`);
    for (const { email, username, role } of logins) {
      console.log(`  ${email.padEnd(40)} ${username.padEnd(24)} ${role}`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof DatabaseNotEmptyError)) throw error;
    console.error(`db:seed: ${error.message}`);
    return 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : ["db:seed failed:", error].join(" "),
    );
    process.exitCode = 1;
  },
);
