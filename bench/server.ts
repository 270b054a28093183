// The service as the benchmark drives it: the real app over freshly seeded data,
// plus two probe routes that isolate what authentication costs. Started by
// bench/run.ts in its own process, so the load generator does not share its
// event loop. Prints one JSON line: the URL and what the scenarios ask for.
import express from "express";
import { readFileSync } from "node:fs";
import { buildApp } from "../src/app";
import { loadConfig } from "../src/config/config";
import { type Container, createContainer } from "../src/container";
import { applyMigrations } from "../src/core/database/migrations/migrator";
import { createLogger } from "../src/core/logging/logger";
import { seedDatabase } from "../src/core/database/seed/seed";
import { startService } from "../src/server";

async function main(): Promise<void> {
  const config = loadConfig();
  await applyMigrations(config.database.url, { log: () => undefined });
  const container = createContainer(config, createLogger(config.log));
  const { tokens, db } = container;
  // A second instance (the live benchmark runs two) serves the data the first seeded.
  const reader =
    process.env.BENCH_SEED === "false" ? await seededReader(container) : await seed(container);
  // The most used tag, and the article with the most comments.
  const [tag] = await db.tag.findMany({
    orderBy: { articles: { _count: "desc" } },
    take: 1,
    select: { name: true },
  });
  const [article] = await db.article.findMany({
    orderBy: { comments: { _count: "desc" } },
    take: 1,
    select: { slug: true },
  });

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
  process.stdout.write(
    `${JSON.stringify({ url: service.url, email: reader.email, tag: tag?.name, slug: article?.slug })}\n`,
  );
  process.once("SIGTERM", () => void service.stop().then(() => process.exit(0)));
  // The soak (bench/soak.ts) asks for memory figures over IPC.
  process.on("message", (message) => {
    if (message === "memory") process.send?.({ ...process.memoryUsage(), threads: threadCount() });
  });
}

/** Threads of this process (libuv pool, worker threads, V8 helpers); 0 where /proc is absent. */
function threadCount(): number {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Fresh data, and the email of an ordinary seeded user to sign in as. */
async function seed({ db }: Container): Promise<{ email: string }> {
  const { logins } = await seedDatabase(db, {
    articles: Number(process.env.BENCH_ARTICLES ?? "2000"),
    seed: 1,
    reset: true,
  });
  return logins.find((login) => login.role === "USER") ?? logins[0]!;
}

/** The same user as `seed` picks, from data already seeded. */
async function seededReader({ db }: Container): Promise<{ email: string }> {
  return db.user.findFirstOrThrow({
    where: { role: "USER" },
    orderBy: { id: "asc" },
    select: { email: true },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
