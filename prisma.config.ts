import path from "node:path";
import { defineConfig } from "prisma/config";
import { loadDatabaseConfig } from "./src/config/config";

// `prisma generate` checks that a schema engine binary exists before it starts,
// although generating never runs it. Where Prisma's native engine cannot be
// downloaded, that check is pointed at any existing file; migrations run through
// the WebAssembly engine instead (scripts/db.ts, docs/adr/0002). Other commands
// (`prisma migrate deploy`, `prisma migrate status`) keep the native engine and
// get the database URL the service uses.
const generating = process.argv.includes("generate");
if (generating) process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve("package.json");

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  ...(generating ? {} : { datasource: { url: loadDatabaseConfig().url } }),
});
