import path from "node:path";
import { defineConfig } from "prisma/config";

// `prisma generate` checks that a schema engine binary exists before it starts,
// although generating never runs it. Where Prisma's native engine cannot be
// downloaded, point the check at any existing file; migrations run through the
// WebAssembly engine instead (scripts/db.ts, docs/adr/0002-migrations-without-the-native-engine.md).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve("package.json");

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
});
