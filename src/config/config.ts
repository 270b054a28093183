import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import {
  databaseEnvironmentSchema,
  environmentSchema,
  withEnvironmentDefaults,
  type Config,
} from "./config.schema";

/** The development JWT secret's file in the data folder. */
const SECRET_FILE = "jwt-secret";
const SECRET_BYTES = 48;
/** A file with less than this was cut short or edited by hand, and is refused. */
const MIN_SECRET_LENGTH = 32;

export type { Config } from "./config.schema";

/** Start-up stops with this when the environment is invalid; its message names every problem. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Environment = Record<string, string | undefined>;

/**
 * Validates an environment into a typed, deeply frozen config object. Outside
 * production an unset JWT_SECRET is this installation's own (see installationSecret).
 */
export function loadConfig(environment: Environment = process.env): Config {
  const settings = parseEnvironment(environmentSchema, environment, withEnvironmentDefaults);
  const jwtSecret = settings.auth.jwtSecret ?? installationSecret(settings.dataDir);
  return deepFreeze({ ...settings, auth: { ...settings.auth, jwtSecret } });
}

/**
 * A secret made at random on this installation's first start and kept in its
 * data folder (readable by its owner alone), so restarts keep sessions and no
 * secret is shared by every clone, as a default in the source would be.
 */
function installationSecret(dataDir: string): string {
  const file = path.resolve(dataDir, SECRET_FILE);
  let secret: string;
  try {
    if (!existsSync(file)) publishNewSecret(file);
    secret = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError(
      `JWT_SECRET is unset and the development secret in ${file} could not be made or read (${error instanceof Error ? error.message : String(error)}); set JWT_SECRET, or DATA_DIR to a writable folder`,
    );
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `JWT_SECRET is unset and ${file} holds fewer than ${MIN_SECRET_LENGTH} characters; delete it and a new secret is made at the next start`,
    );
  }
  return secret;
}

/**
 * Writes a new secret under a name of its own, then links it into place: the
 * link fails if another instance starting at the same moment got there first,
 * and then every instance reads that one, so all of them sign alike.
 */
function publishNewSecret(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${randomUUID()}`;
  writeFileSync(draft, `${randomBytes(SECRET_BYTES).toString("base64url")}\n`, {
    mode: 0o600,
    flag: "wx",
  });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** Just the database settings, for the migration and seed commands. */
export function loadDatabaseConfig(
  environment: Environment = process.env,
): Readonly<{ isProduction: boolean; url: string }> {
  return deepFreeze(parseEnvironment(databaseEnvironmentSchema, environment));
}

function parseEnvironment<S extends z.ZodType>(
  schema: S,
  environment: Environment,
  addDefaults: (present: Record<string, string>) => Record<string, string> = (present) => present,
): z.output<S> {
  // An empty variable means "not set", as it does in most .env tooling.
  const present = Object.fromEntries(
    Object.entries(environment).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== "",
    ),
  );
  const result = schema.safeParse(addDefaults(present));
  if (!result.success) {
    throw new ConfigError(describeProblems(result.error));
  }
  return result.data;
}

/** Reads `.env` into process.env outside production; real variables win over the file. */
export function loadDotEnvFile(path = ".env"): void {
  if (process.env.NODE_ENV === "production" || !existsSync(path)) return;
  process.loadEnvFile(path);
}

function describeProblems(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const variable = issue.path.join(".") || "(environment)";
    return `  - ${variable}: ${issue.message}`;
  });
  return `Invalid configuration (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
