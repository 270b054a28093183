// Memory soak: the service in production mode under a steady mix of reads,
// article writes (Markdown checked in worker threads) and sign-ins (argon2 on
// libuv's pool), with its memory sampled over IPC every few seconds before,
// during and after the load. Answers "does memory settle, and where".
//
//   npm run bench:soak -- [--duration 270] [--settle 30] [--connections 30] [--interval 5]
//                         [--env MALLOC_ARENA_MAX=2 --env …] [--out soak.json]
//
// Set BENCH_SEED=false to reuse the data a previous run seeded.
import autocannon from "autocannon";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { type BenchServer, median, type MemorySample, signIn, startServer } from "./harness";

const { values: options } = parseArgs({
  options: {
    duration: { type: "string", default: "270" },
    settle: { type: "string", default: "30" },
    connections: { type: "string", default: "30" },
    interval: { type: "string", default: "5" },
    env: { type: "string", multiple: true, default: [] },
    out: { type: "string" },
  },
});

/** Production mode, as deployed, with the limits that would stop one loopback client lifted. */
const SOAK_ENV = {
  NODE_ENV: "production",
  JWT_SECRET: randomBytes(48).toString("base64"),
  CORS_ORIGINS: "http://127.0.0.1",
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  SIGN_INS_PER_IP_PER_HOUR: "1000000",
  ARTICLE_WRITES_PER_USER_PER_HOUR: "1000000",
  PASSWORD_HASH_QUEUE_LENGTH: "10000",
};

/** A body with what the Markdown check reads: headings, emphasis, links, code, a list. */
const ARTICLE_BODY = Array.from(
  { length: 20 },
  (_, i) =>
    `## Part ${i}\n\nSome *emphasis*, a [link](https://example.com/${i}) and \`code\`.\n\n- one\n- two\n\n\`\`\`ts\nconst x = ${i};\n\`\`\`\n`,
).join("\n");

type Phase = "before" | "load" | "after";
interface Row extends MemorySample {
  seconds: number;
  phase: Phase;
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const extraEnv = Object.fromEntries(
    options.env.map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const server = await startServer({ ...SOAK_ENV, ...extraEnv });
  const rows: Row[] = [];
  try {
    const token = await signIn(server.target);
    const started = Date.now();
    let phase: Phase = "before";
    const sampler = sample(server, () => phase, started, rows);

    await sleep(3 * Number(options.interval) * 1000);
    phase = "load";
    const results = await load(server, token);
    phase = "after";
    await sleep(Number(options.settle) * 1000);
    await sampler.stop();

    if (options.out !== undefined) writeFileSync(options.out, JSON.stringify(rows, null, 2));
    report(rows, results, extraEnv);
  } finally {
    await server.stop();
  }
}

/** Samples memory every interval until stopped, printing each line as it comes. */
function sample(server: BenchServer, phase: () => Phase, started: number, rows: Row[]) {
  let running = true;
  console.log("     s  phase   rss  heapUsed  heapTotal  external  arrayBuffers  threads (MB)");
  const loop = (async () => {
    while (running) {
      const memory = await server.memory();
      const row = { ...memory, seconds: Math.round((Date.now() - started) / 1000), phase: phase() };
      rows.push(row);
      console.log(
        `${String(row.seconds).padStart(6)}  ${row.phase.padEnd(6)} ${mb(row.rss)} ${mb(row.heapUsed)} ${mb(
          row.heapTotal,
        )} ${mb(row.external)} ${mb(row.arrayBuffers)} ${String(row.threads).padStart(8)}`,
      );
      await sleep(Number(options.interval) * 1000);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Reads, article writes and sign-ins at once: two thirds, a fifth and the rest of the connections. */
async function load(server: BenchServer, token: string) {
  const { url, slug, tag } = server.target;
  // Sign-ins as a user of their own: each one opens a session, and past the
  // per-user cap the oldest ends, which would be the token the others use.
  const signer = await registerSigner(url);
  const total = Number(options.connections);
  const writers = Math.max(1, Math.round(total / 5));
  const signers = Math.max(1, Math.round(total / 8));
  const readers = Math.max(1, total - writers - signers);
  const duration = Number(options.duration);
  const auth = { authorization: `Token ${token}`, "content-type": "application/json" };
  let written = 0;

  const run = (name: string, connections: number, requests: autocannon.Request[]) =>
    autocannon({ url, connections, duration, requests }).then((result) => ({
      name,
      requests: result.requests.total,
      errors: result.errors + result.non2xx,
      statuses: Object.keys(result.statusCodeStats ?? {}).join(" "),
    }));

  return Promise.all([
    run("reads", readers, [
      { method: "GET", path: "/api/articles", headers: auth },
      { method: "GET", path: "/api/articles/feed", headers: auth },
      { method: "GET", path: `/api/articles?tag=${encodeURIComponent(tag)}`, headers: auth },
      { method: "GET", path: `/api/articles/${slug}`, headers: auth },
      { method: "GET", path: `/api/articles/${slug}/comments`, headers: auth },
      { method: "GET", path: "/api/tags" },
      { method: "GET", path: "/api/user", headers: auth },
    ]),
    run("article writes", writers, [
      {
        method: "POST",
        path: "/api/articles",
        headers: auth,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({
            article: {
              title: `Soak ${Date.now()} ${written++}`,
              description: "memory soak",
              body: `${ARTICLE_BODY}\n\n${written}`,
              tagList: ["soak"],
            },
          }),
        }),
      },
    ]),
    run("sign-ins", signers, [
      {
        method: "POST",
        path: "/api/users/login",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user: signer }),
      },
    ]),
  ]);
}

async function registerSigner(url: string): Promise<{ email: string; password: string }> {
  const name = `soak-${randomBytes(4).toString("hex")}`;
  const user = { email: `${name}@example.com`, password: randomBytes(18).toString("base64") };
  const res = await fetch(`${url}/api/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: { ...user, username: name } }),
  });
  if (res.status !== 201) throw new Error(`registering the soak's signer: ${res.status}`);
  return user;
}

function report(
  rows: Row[],
  results: { name: string; requests: number; errors: number; statuses: string }[],
  env: Record<string, string>,
): void {
  const of = (phase: Phase) => rows.filter((row) => row.phase === phase);
  const before = of("before");
  const after = of("after").slice(-3);
  const figure = (key: keyof MemorySample) =>
    `${key.padEnd(13)} start ${mb(median(before.map((row) => row[key])))}  peak ${mb(
      Math.max(...rows.map((row) => row[key])),
    )}  end ${mb(median(after.map((row) => row[key])))}`;
  console.log(
    `\n${options.connections} connections, ${options.duration} s of load, ${options.settle} s after; env ${
      JSON.stringify(env) || "{}"
    }`,
  );
  for (const result of results) {
    console.log(
      `${result.name.padEnd(15)} ${result.requests} requests, ${result.errors} errors (statuses ${result.statuses})`,
    );
  }
  console.log("MB; start and end are medians of three samples before and at the end");
  for (const key of ["rss", "heapUsed", "heapTotal", "external", "arrayBuffers"] as const) {
    console.log(figure(key));
  }
  console.log(
    `threads       start ${median(before.map((row) => row.threads))}  end ${median(after.map((row) => row.threads))}`,
  );
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(0).padStart(8);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
