import { execFileSync, spawn, type SpawnOptions } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { applyMigrations } from "../../src/core/database/migrations/migrator";
import { sparePort } from "./ports";

/**
 * A PostgreSQL server of a test's own, in a temporary folder on a spare port,
 * to kill, freeze and restart without touching the shared one. Made from the
 * installed PostgreSQL's initdb and pg_ctl; trust authentication on 127.0.0.1.
 */
export interface OwnPostgres {
  /** The migrated database's URL. */
  readonly url: string;
  readonly port: number;
  /** Starts the server (again) and waits until it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: every backend quits at once, without a checkpoint. */
  stopImmediately(): Promise<void>;
  /** SIGKILL to the postmaster; its backends notice and quit. */
  killPostmaster(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT to what freeze() stopped. */
  thaw(): void;
  /** pg_terminate_backend() for every client backend of the database; how many it ended. */
  terminateBackends(): Promise<number>;
  /** Stops the server if it runs (thawing it first) and removes the folder. */
  destroy(): Promise<void>;
}

const DATABASE = "conduit_faults";
const SUPERUSER = "postgres";

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = postgresBinaries();
  const dir = mkdtempSync(path.join(os.tmpdir(), "conduit-pg-"));
  const dataDir = path.join(dir, "data");
  const runAs = serverUser();
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  const port = await sparePort();
  const url = `postgresql://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}`;
  const adminUrl = `postgresql://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  let frozen: number[] = [];
  let running = false;

  const run = (program: string, args: string[]) =>
    runToEnd(path.join(bin, program), args, { uid: runAs?.uid, gid: runAs?.gid });

  const start = async () => {
    await run("pg_ctl", [
      "start",
      "--wait",
      "--silent",
      "-D",
      dataDir,
      "-l",
      path.join(dir, "server.log"),
      "-o",
      // No Unix socket: its default folder may not be ours to write.
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off`,
    ]);
    running = true;
  };

  const postmasterPid = () => {
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error("no postmaster.pid");
    return pid;
  };

  const server: OwnPostgres = {
    url,
    port,
    start,
    async stopImmediately() {
      await run("pg_ctl", ["stop", "--wait", "--silent", "-m", "immediate", "-D", dataDir]);
      running = false;
    },
    async killPostmaster() {
      const pid = postmasterPid();
      const backends = childrenOf(pid);
      process.kill(pid, "SIGKILL");
      // Backends of a killed postmaster quit when they notice; the next start needs them gone.
      await waitUntil(() => ![pid, ...backends].some(isAlive));
      running = false;
    },
    freeze() {
      const pid = postmasterPid();
      frozen = [pid, ...childrenOf(pid)];
      for (const each of frozen) process.kill(each, "SIGSTOP");
    },
    thaw() {
      for (const each of frozen) {
        if (isAlive(each)) process.kill(each, "SIGCONT");
      }
      frozen = [];
    },
    async terminateBackends() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ ended: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
           WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [DATABASE],
        );
        return rows.filter(({ ended }) => ended).length;
      } finally {
        await client.end();
      }
    },
    async destroy() {
      try {
        server.thaw();
        if (running) await server.stopImmediately();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    await run("initdb", [
      "--no-sync",
      "-D",
      dataDir,
      "-U",
      SUPERUSER,
      "--auth=trust",
      "--encoding=UTF8",
    ]);
    await start();
    await applyMigrations(url); // creates the database first
    return server;
  } catch (error) {
    await server.destroy();
    throw error;
  }
}

function postgresBinaries(): string {
  return execFileSync("pg_config", ["--bindir"]).toString().trim();
}

/** PostgreSQL refuses to run as root; as root, run it as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  return { uid: id("-u"), gid: id("-g") };
}

function runToEnd(program: string, args: string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...options, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(program)} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)])
      .toString()
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((child) => child > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(done: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("gave up waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
