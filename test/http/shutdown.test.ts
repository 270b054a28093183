import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
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

/** A GET over the given agent, so the test controls keep-alive. */
function getJson(url: string, agent: http.Agent): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
        );
      })
      .on("error", reject);
  });
}

describe("graceful shutdown", () => {
  it("when stopping with a request in flight on a keep-alive connection, then it finishes and stop does not wait for the timeout", async () => {
    const service = await startWithSlowRoutes({ SHUTDOWN_TIMEOUT_MS: "10000" });
    const agent = new http.Agent({ keepAlive: true });
    const inFlight = getJson(`${service.url}/slow`, agent);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    const stopped = service.stop();
    expect(await inFlight).toEqual({ status: 200, body: { finished: true } });
    await stopped;
    expect(Date.now() - started).toBeLessThan(2_000);
    agent.destroy();

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
