import { existsSync } from "node:fs";
import type { z } from "zod";
import {
  databaseEnvironmentSchema,
  environmentSchema,
  withEnvironmentDefaults,
  type Config,
} from "./config.schema";

export type { Config } from "./config.schema";

/** Start-up stops with this when the environment is invalid; its message names every problem. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Environment = Record<string, string | undefined>;

/** Validates an environment into a typed, deeply frozen config object. */
export function loadConfig(environment: Environment = process.env): Config {
  return deepFreeze(parseEnvironment(environmentSchema, environment, withEnvironmentDefaults));
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
