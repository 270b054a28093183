import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import express from "express";
import { buildApp } from "../../src/app";
import { createContainer } from "../../src/container";
import { createLogger } from "../../src/core/logging/logger";
import { startService } from "../../src/server";
import { testConfig } from "../support/service";

/** The real app behind an outer app with slow routes, to have requests in flight. */
async function startWithSlowRoutes(env: Record<string, string> = {}) {
  const config = testConfig(env);
  const container = createContainer(config, createLogger(config.log));
  const outer = express();
  outer.get("/slow", (_req, res) => {
    setTimeout(() => res.json({ finished: true }), 400);
  });
  outer.get("/never", () => {
    // Never answers: only the shutdown deadline ends it.
  });
  outer.use(buildApp(container));
  const service = await startService(container, outer);
  return { ...service, container };
}

describe("graceful shutdown", () => {
  it("when stopping with a request in flight, then it finishes, new connections are refused and connections close", async () => {
    const service = await startWithSlowRoutes();
    const inFlight = fetch(`${service.url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopped = service.stop();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await stopped;

    await expect(fetch(`${service.url}/health/live`)).rejects.toThrow();
    await expect(service.container.redis.ping()).rejects.toThrow("Connection is closed");
  });

  it("when a request outlives the shutdown timeout, then it is cut and stop still resolves", async () => {
    const service = await startWithSlowRoutes({ SHUTDOWN_TIMEOUT_MS: "300" });
    const hanging = fetch(`${service.url}/never`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    await service.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(String(await hanging)).toContain("fetch failed");
  });

  it("when the process gets SIGTERM, then it migrates, serves, stops and exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join("src", "main.ts")], {
      cwd: path.resolve(__dirname, "../.."),
      env: { ...process.env, LOG_LEVEL: "info", MIGRATE_ON_START: "true", PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const messages: string[] = [];
    const lines = createInterface({ input: child.stdout });
    const listening = new Promise<string>((resolve) => {
      lines.on("line", (line) => {
        const entry = JSON.parse(line) as { msg: string; url?: string };
        messages.push(entry.msg);
        if (entry.url !== undefined && entry.msg === "conduit api is listening") resolve(entry.url);
      });
    });
    const url = await listening;

    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(messages).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
  });
});
