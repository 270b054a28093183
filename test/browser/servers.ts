import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { defaultSettingsEnvironment } from "../support/service";

/*
 * What the browser tests drive: our server as its own process with default
 * settings, and the prebuilt RealWorld front ends served as static files.
 */

const CHECKOUT = path.resolve(__dirname, "../..");

/** The front ends are compiled to call this API, so our server must listen on it. */
const API_PORT = 3999;

/**
 * The built front ends are upstream's and are not copied into this
 * repository: they are read from `../shared/frontends` beside the checkout,
 * or from the directory named by FRONTENDS_DIR.
 */
export function frontEndDir(name: string): string {
  const dir = process.env.FRONTENDS_DIR ?? path.resolve(CHECKOUT, "../shared/frontends");
  const folder = path.join(dir, name);
  if (!existsSync(path.join(folder, "index.html"))) {
    throw new Error(
      `the built ${name} front end was not found in ${dir}; set FRONTENDS_DIR to the directory holding the built RealWorld front ends`,
    );
  }
  return folder;
}

/** Fails at once when something already listens on the port, instead of testing that instead. */
async function expectPortFree(port: number, what: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (answered) {
    throw new Error(`port ${port} on 127.0.0.1 is in use; ${what} needs it`);
  }
}

export interface ApiServer {
  url: string;
  /** The last lines the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The variables a process needs to run at all; nothing that configures the service. */
function bareEnvironment(): Record<string, string> {
  const names = ["PATH", "HOME", "TMPDIR", "LANG"];
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = process.env[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** Ends a child process and waits for it: SIGTERM, then SIGKILL if it lingers. */
async function endProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Our server as `npm start` runs it, with default settings: the child gets no
 * variable of this Jest process (NODE_ENV=test and the raised limits of
 * test/setup/env.ts must not leak in), only where this run's database and
 * Redis keys are and the port the front ends call.
 */
export async function startApiServer(): Promise<ApiServer> {
  await expectPortFree(API_PORT, "the API the front ends call");
  const env: Record<string, string> = {
    ...bareEnvironment(),
    ...defaultSettingsEnvironment("browser"),
    PORT: String(API_PORT),
    LOG_LEVEL: "warn",
  };

  // Started from this folder rather than the checkout, so that a developer's
  // .env there cannot change the defaults under test (tsx and its tsconfig are
  // still found by walking up).
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(CHECKOUT, "src", "main.ts")],
    { cwd: __dirname, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line !== "") lines.push(line.length > 1_000 ? `${line.slice(0, 1_000)}…` : line);
    }
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const output = (): string => lines.join("\n");
  const url = `http://127.0.0.1:${API_PORT}`;
  const server: ApiServer = { url, output, stop: () => endProcess(child, 20_000) };

  try {
    await waitUntilReady(url, child, output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Polls /health/ready until it answers 200. The deadline is generous: a cold
 * tsx start on a busy two-core machine can take tens of seconds.
 */
async function waitUntilReady(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 60_000;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    }
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the server was not ready within 60 s (last: ${last}):\n${output()}`);
}

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".ico": "image/x-icon",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/**
 * Serves a built single-page app on 127.0.0.1:<port>: files as they are, and
 * index.html for every other path so that the app's own routes load.
 */
export async function serveFrontEnd(folder: string, port: number): Promise<StaticSite> {
  const root = path.resolve(folder);
  await expectPortFree(port, `the front end in ${path.basename(root)}`);
  const server = http.createServer((request, response) => {
    let file: string;
    try {
      file = path.join(root, decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname));
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (file !== root && !file.startsWith(root + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(root, "index.html");
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    createReadStream(file).pipe(response);
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
