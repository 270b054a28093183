// The service as the benchmark drives it: the real app, plus two probe routes
// that isolate what authentication costs. Started by bench/run.ts in its own
// process, so the load generator does not share its event loop.
import express from "express";
import { buildApp } from "../src/app";
import { loadConfig } from "../src/config/config";
import { createContainer } from "../src/container";
import { applyMigrations } from "../src/core/database/migrations/migrator";
import { createLogger } from "../src/core/logging/logger";
import { startService } from "../src/server";

async function main(): Promise<void> {
  const config = loadConfig();
  await applyMigrations(config.database.url, { log: () => undefined });
  const container = createContainer(config, createLogger(config.log));
  const { tokens } = container;

  const app = express();
  // The signature and claims check alone…
  app.get("/bench/jwt-only", async (req, res) => {
    await tokens.verify(req.get("authorization")?.replace(/^Token /, "") ?? "");
    res.json({ ok: true });
  });
  // …and the same with the per-request session (revocation) check the API uses.
  app.get("/bench/jwt-and-session", container.access.requireAuth, (_req, res) => {
    res.json({ ok: true });
  });
  app.use(buildApp(container));

  const service = await startService(container, app);
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
  process.once("SIGTERM", () => void service.stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
