import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import path from "node:path";
import { createInterface } from "node:readline";
import express from "express";
import { buildApp } from "../../src/app";
import { type Container, createContainer } from "../../src/container";
import { createLogger, type Logger } from "../../src/core/logging/logger";
import { withTimeout } from "../../src/core/timeout";
import { startService } from "../../src/server";
import { postJson, registerUser, tokenHeader } from "../support/auth";
import { capturingLogger } from "../support/logs";
import { testConfig } from "../support/service";

/** A promise with its resolve function, for steps the test releases itself. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

interface HeldRoutesOptions {
  logger?: Logger;
  /** Further routes of the outer app, ahead of the real one. */
  routes?: (outer: express.Express, container: Container) => void;
}

/**
 * The real app behind an outer app with held routes, to have requests in
 * flight: /held/:n answers once the test opens the gate, /never never does.
 * `entered(count)` resolves once `count` of them have reached their handler.
 */
async function startWithHeldRoutes(env: Record<string, string>, options: HeldRoutesOptions = {}) {
  const config = testConfig(env);
  const container = createContainer(config, options.logger ?? createLogger(config.log));
  const gate = deferred();
  let arrived = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const arrive = () => {
    arrived += 1;
    for (const waiter of waiters) if (arrived >= waiter.count) waiter.resolve();
  };

  const outer = express();
  outer.get("/held/:n", async (_req, res) => {
    arrive();
    await gate.promise;
    res.json({ finished: true });
  });
  outer.get("/never", () => {
    arrive();
    // Never answers: only the shutdown deadline ends it.
  });
  options.routes?.(outer, container);
  outer.use(buildApp(container));
  const service = await startService(container, outer);

  const entered = (count: number) =>
    new Promise<void>((resolve) => {
      waiters.push({ count, resolve });
      if (arrived >= count) resolve();
    });
  return { ...service, container, entered, openGate: gate.resolve };
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: unknown;
}

/** A GET over the given agent, so the test controls keep-alive. */
function get(url: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            connection: response.headers.connection,
            body: JSON.parse(text),
          }),
        );
      })
      .on("error", reject);
  });
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

describe("graceful shutdown", () => {
  it("when stopping with a request in flight on a keep-alive connection, then it finishes and stop does not wait for the timeout", async () => {
    const { logger, lines } = capturingLogger("warn");
    const service = await startWithHeldRoutes({ SHUTDOWN_TIMEOUT_MS: "60000" }, { logger });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const inFlight = get(`${service.url}/held/1`, agent);
      await service.entered(1);

      const started = Date.now();
      const stopped = service.stop();
      service.openGate();
      expect(await inFlight).toMatchObject({ status: 200, body: { finished: true } });
      await stopped;
      // Far below the 60 s timeout: stop ended when the request did.
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(lines().filter((line) => line.includes("shutdown timeout reached"))).toEqual([]);

      await expect(fetch(`${service.url}/health/live`)).rejects.toThrow();
    } finally {
      agent.destroy();
      await service.stop();
    }
  });

  it("when requests are in flight on keep-alive connections as stop begins, then their answers say Connection: close and the client's next request is refused, never reset", async () => {
    const service = await startWithHeldRoutes({ SHUTDOWN_TIMEOUT_MS: "60000" });
    const agent = new http.Agent({ keepAlive: true });
    const connections = 20;
    try {
      // Each connection has served one answer already, so the client holds it for reuse.
      const warm = await Promise.all(
        Array.from({ length: connections }, () => get(`${service.url}/health/live`, agent)),
      );
      expect(warm.every((answer) => answer.connection === "keep-alive")).toBe(true);

      const inFlight = Array.from({ length: connections }, (_, n) =>
        get(`${service.url}/held/${n}`, agent),
      );
      await service.entered(connections);
      const stopped = service.stop();
      service.openGate();

      const answers = await Promise.all(inFlight);
      expect(answers).toEqual(
        answers.map(() => ({ status: 200, connection: "close", body: { finished: true } })),
      );
      // The agent dropped those connections, so the next request opens a new one:
      // refused here (a load balancer would send it to another instance), an
      // unambiguous failure a client may retry, where a reset one is not.
      const next = await Promise.allSettled(
        Array.from({ length: connections }, () => get(`${service.url}/health/live`, agent)),
      );
      expect(
        next.map((outcome) => (outcome.status === "rejected" ? errorCode(outcome.reason) : 200)),
      ).toEqual(next.map(() => "ECONNREFUSED"));
      await stopped;
    } finally {
      agent.destroy();
      await service.stop();
    }
  });

  /**
   * Records when the service starts closing its connections, and opens the
   * gate then: were stop() not to wait for a held handler, the handler would
   * go on only after the pool had closed, and fail. As stop() waits, a timer
   * opens the gate instead, a second into the stop.
   */
  function holdUntilStopWaits(container: Container, finished: string[], gate = deferred()) {
    const closeConnections = container.close.bind(container);
    container.close = async () => {
      finished.push("connections closing");
      gate.resolve();
      await closeConnections();
    };
    let opener: NodeJS.Timeout | undefined;
    return {
      gate: gate.promise,
      stopping: () => (opener = setTimeout(gate.resolve, 1_000)),
      release: () => {
        clearTimeout(opener);
        gate.resolve();
      },
    };
  }

  /** Lines at error level, and the warning of a stop that ran out of time. */
  const problemsIn = (lines: string[]) =>
    lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 50 || entry.msg.startsWith("shutdown timeout"));

  it("when a client left while its request's handler still runs, then the handler finishes before the connections close and stop logs no error", async () => {
    const { logger, lines } = capturingLogger("info");
    const finished: string[] = [];
    const gate = deferred();
    const handlerEntered = deferred();
    const clientLeft = deferred();
    const service = await startWithHeldRoutes(
      { SHUTDOWN_TIMEOUT_MS: "60000" },
      {
        logger,
        routes: (outer, container) =>
          outer.get("/abandoned", async (_req, res) => {
            res.once("close", clientLeft.resolve);
            handlerEntered.resolve();
            await gate.promise;
            const users = await container.db.user.count();
            finished.push("request handler");
            res.json({ users });
          }),
      },
    );
    const hold = holdUntilStopWaits(service.container, finished, gate);
    try {
      const request = http.get(`${service.url}/abandoned`);
      request.on("error", () => undefined); // the client gives up on purpose
      await handlerEntered.promise;
      request.destroy();
      await clientLeft.promise;

      const linesBeforeStop = lines().length;
      const stopped = service.stop();
      hold.stopping();
      await stopped;

      expect(finished).toEqual(["request handler", "connections closing"]);
      expect(problemsIn(lines().slice(linesBeforeStop))).toEqual([]);
    } finally {
      hold.release();
      await service.stop();
    }
  });

  it("when an event handler still runs after its request was answered, then it finishes before the connections close and stop logs no error", async () => {
    const { logger, lines } = capturingLogger("info");
    const finished: string[] = [];
    const service = await startWithHeldRoutes({ SHUTDOWN_TIMEOUT_MS: "60000" }, { logger });
    const { container } = service;
    const hold = holdUntilStopWaits(container, finished);
    const eventEntered = deferred();
    const unsubscribe = container.events.subscribe(async (event) => {
      if (event.type !== "article.created") return;
      eventEntered.resolve();
      await hold.gate;
      await container.db.article.count();
      finished.push("event handler");
    });
    try {
      const author = await registerUser(service);
      const created = await postJson(
        `${service.url}/api/articles`,
        { article: { title: "Published before shutdown", description: "d", body: "b" } },
        tokenHeader(author.token),
      );
      expect(created.status).toBe(201);
      await eventEntered.promise;

      const linesBeforeStop = lines().length;
      const stopped = service.stop();
      hold.stopping();
      await stopped;

      expect(finished).toEqual(["event handler", "connections closing"]);
      expect(problemsIn(lines().slice(linesBeforeStop))).toEqual([]);
    } finally {
      unsubscribe();
      hold.release();
      await service.stop();
    }
  });

  it("when a request outlives the shutdown timeout, then it is cut and stop still resolves", async () => {
    const service = await startWithHeldRoutes({ SHUTDOWN_TIMEOUT_MS: "300" });
    try {
      const hanging = fetch(`${service.url}/never`).catch((error: unknown) => error);
      await service.entered(1);

      const started = Date.now();
      await service.stop();
      // Bounded by the 300 ms timeout plus closing the connections, not by the request.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(String(await hanging)).toContain("fetch failed");
    } finally {
      await service.stop();
    }
  });
});

/** Reads the service's JSON log lines; resolves with its URL once it listens. */
function listeningUrl(child: ChildProcess, messages: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) throw new Error("the child's stdout is piped");
    createInterface({ input: child.stdout }).on("line", (line) => {
      let entry: { msg?: string; url?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return; // not a log line
      }
      if (entry.msg !== undefined) messages.push(entry.msg);
      if (entry.msg === "conduit api is listening" && entry.url !== undefined) resolve(entry.url);
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`the service exited before listening (${code ?? signal})`)),
    );
  });
}

/**
 * Polls readiness until it answers 200: on a busy machine the first checks
 * may take longer than the probe's 2 s and answer 503.
 */
async function waitUntilReady(url: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(10_000) });
      last = `${response.status} ${await response.text()}`;
      if (response.status === 200) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready within ${withinMs} ms: ${last}`);
}

/** Kills the child unless it has exited already, and waits for it to be gone. */
async function ensureExited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

describe("the process", () => {
  it("when the process gets SIGTERM, then it migrates, serves, stops and exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join("src", "main.ts")], {
      cwd: path.resolve(__dirname, "../.."),
      env: { ...process.env, LOG_LEVEL: "info", MIGRATE_ON_START: "true", PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const messages: string[] = [];
      // Every wait is bounded below the test's own timeout, so `finally` always runs.
      const url = await withTimeout(listeningUrl(child, messages), 60_000, "listening");
      await waitUntilReady(url, 60_000);

      const closed = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
      child.kill("SIGTERM");
      const [code] = await withTimeout(closed, 60_000, "exiting after SIGTERM");
      expect(code).toBe(0);
      expect(messages).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
    } finally {
      await ensureExited(child);
    }
  }, 200_000);
});
