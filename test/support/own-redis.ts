import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { sparePort } from "./ports";

/**
 * A redis-server of a test's own, on a spare port of 127.0.0.1 with its data
 * in a temporary folder, to kill, freeze and restart without touching the
 * shared one. It keeps an append-only file synced on every write, so what it
 * acknowledged (sessions included) survives a kill, as a production Redis
 * with persistence would.
 */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** Starts the server (again, on the same port and data) and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILL: connections drop at once, nothing is flushed beyond what was synced. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT to a frozen server. */
  thaw(): void;
  /** Kills the server if it runs and removes its folder. */
  destroy(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "conduit-redis-"));
  const port = await sparePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const server: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const started = spawn(
        "redis-server",
        [
          ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
          ...["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
          ...["--daemonize", "no", "--loglevel", "warning"],
        ],
        { stdio: "ignore" },
      );
      child = started;
      exited = new Promise((resolve) => started.once("exit", () => resolve()));
      await waitForPong(port, started);
    },
    async kill() {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
    freeze() {
      child?.kill("SIGSTOP");
    },
    thaw() {
      child?.kill("SIGCONT");
    },
    async destroy() {
      try {
        server.thaw();
        await server.kill();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    await server.start();
    return server;
  } catch (error) {
    await server.destroy();
    throw error;
  }
}

/** Waits until the server answers PING (not LOADING), for up to 30 s. */
async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
