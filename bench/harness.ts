// What both benchmarks share: the seeded service in a child process (so the
// load generator does not share its event loop), signing in, and medians.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { SEED_PASSWORD } from "../src/core/database/seed/seed";

/** What the seeded server points the scenarios at. */
export interface Target {
  url: string;
  email: string;
  tag: string;
  slug: string;
}

const BENCH_ENV = {
  NODE_ENV: "development",
  LOG_LEVEL: "silent",
  HOST: "127.0.0.1",
  PORT: "0",
  DATABASE_URL:
    process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/conduit_bench",
  REDIS_KEY_PREFIX: "conduit-bench:",
  REGISTRATIONS_PER_IP_PER_HOUR: "1000000",
};

/** The server's process.memoryUsage(), and its thread count (Linux). */
export interface MemorySample extends NodeJS.MemoryUsage {
  threads: number;
}

export interface BenchServer {
  target: Target;
  /** Asks the server for its memory over IPC. */
  memory: () => Promise<MemorySample>;
  stop: () => Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/server.ts"], {
    env: { ...process.env, ...BENCH_ENV, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, "line")) as [string];
  return {
    target: JSON.parse(line) as Target,
    memory: async () => {
      const answer = once(child, "message") as Promise<[MemorySample]>;
      child.send("memory");
      return (await answer)[0];
    },
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Signs in as a seeded user, who follows others and has favorites. */
export async function signIn({ url, email }: Target): Promise<string> {
  const res = await fetch(`${url}/api/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: { email, password: SEED_PASSWORD } }),
  });
  if (res.status !== 200) throw new Error(`signing in the bench user: ${res.status}`);
  return ((await res.json()) as { user: { token: string } }).user.token;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
