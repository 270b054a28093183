// Makes an account an administrator, creating it if needed:
//   npm run admin:create -- <email> [--username <name>]
// DATABASE_URL and REDIS_URL (from the environment or .env) say where.

import { parseArgs } from "node:util";
import { ConfigError, loadConfig, loadDotEnvFile } from "../src/config/config";
import { createContainer } from "../src/container";
import { createLogger } from "../src/core/logging/logger";
import {
  createAdmin,
  CreateAdminError,
  type CreateAdminInput,
  CreateAdminInputError,
  type CreateAdminResult,
  parseCreateAdminInput,
} from "../src/modules/admin/create-admin";

const USAGE = `Usage: npm run admin:create -- <email> [--username <name>]

  Makes the account with this email an active ADMIN (ending its sessions), or
  creates one with a random password, printed once.

  --username <name>  the new account's username (default: the email's local part)
  -h, --help         show this help`;

/** The command's input, or null when only help was asked for. */
function parseCommandLine(args: string[]): CreateAdminInput | null {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        username: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new CreateAdminInputError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length !== 1) {
    throw new CreateAdminInputError(
      positionals.length === 0 ? "an email is required" : "only one email may be given",
    );
  }
  return parseCreateAdminInput({ email: positionals[0]!, username: values.username });
}

function report(result: CreateAdminResult, input: CreateAdminInput): void {
  const { user } = result;
  const who = `${user.username} <${user.email}>`;
  switch (result.outcome) {
    case "created":
      console.log(`Created the admin ${who}.`);
      console.log(`Password (shown only this once): ${result.password}`);
      console.log("Sign in with it and change it straight away (PUT /api/user).");
      return;
    case "promoted":
      console.log(
        `${who} is now an active ADMIN (was ${result.from.role}, ${result.from.status}); ` +
          "their sessions have ended, so they sign in again.",
      );
      break;
    case "unchanged":
      console.log(`${who} is already an active ADMIN; nothing changed.`);
      break;
  }
  if (input.username !== undefined && input.username !== user.username) {
    console.log(`--username was ignored: the account already exists as ${user.username}.`);
  }
}

async function main(): Promise<number> {
  let input: CreateAdminInput | null;
  try {
    input = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CreateAdminInputError)) throw error;
    console.error(`admin:create: ${error.message}\n\n${USAGE}`);
    return 1;
  }
  if (input === null) {
    console.log(USAGE);
    return 0;
  }

  loadDotEnvFile();
  const config = loadConfig();
  // Log lines (a Redis outage, say) go to stderr; stdout holds only the result.
  const logger = createLogger({ level: config.log.level, pretty: false }, process.stderr);
  const container = createContainer(config, logger);
  try {
    report(await createAdmin(container, input), input);
    return 0;
  } catch (error) {
    if (!(error instanceof CreateAdminError)) throw error;
    console.error(`admin:create: ${error.message}`);
    return 1;
  } finally {
    await container.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : ["admin:create failed:", error].join(" "),
    );
    process.exitCode = 1;
  },
);
