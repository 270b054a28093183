// Live-event benchmark: how long a comment posted through one instance takes
// to reach every socket in its article's room on another instance, one
// comment at a time (latency), and how fast a burst of comments fans out
// (deliveries per second). Two instances share the seeded database and Redis.
//
//   npm run bench:live -- [--sockets 200] [--comments 100] [--burst 50]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { io, type Socket } from "socket.io-client";
import { median, signIn, startServer, type Target } from "./harness";

const { values: options } = parseArgs({
  options: {
    sockets: { type: "string", default: "200" },
    comments: { type: "string", default: "100" },
    burst: { type: "string", default: "50" },
  },
});

/** One user posts every comment and every socket comes from loopback: lift those limits. */
const LIVE_ENV = {
  COMMENTS_PER_USER_PER_MINUTE: "1000000",
  SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: "1000000",
};
const WARM_UP_COMMENTS = 10;

/** Counts each comment's deliveries and resolves once every socket has it. */
class Deliveries {
  private readonly pending = new Map<number, { left: number; first?: number; done: () => void }>();
  private readonly early = new Map<number, number[]>();

  constructor(private readonly sockets: number) {}

  receive(commentId: number): void {
    const entry = this.pending.get(commentId);
    if (entry === undefined) {
      // Delivered before the POST answered: kept until the comment is awaited.
      this.early.set(commentId, [...(this.early.get(commentId) ?? []), performance.now()]);
      return;
    }
    entry.first ??= performance.now();
    entry.left -= 1;
    if (entry.left === 0) entry.done();
  }

  /** Resolves with the times of the first and last delivery. */
  awaitAll(commentId: number): Promise<{ first: number; last: number }> {
    return new Promise((resolve) => {
      const arrived = this.early.get(commentId) ?? [];
      this.early.delete(commentId);
      const entry = {
        left: this.sockets - arrived.length,
        first: arrived[0],
        done: () => {
          this.pending.delete(commentId);
          resolve({ first: entry.first ?? performance.now(), last: performance.now() });
        },
      };
      this.pending.set(commentId, entry);
      if (entry.left === 0) entry.done();
    });
  }
}

async function connectViewers(target: Target, count: number, deliveries: Deliveries) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket: Socket = io(target.url, { transports: ["websocket"], forceNew: true });
      socket.on("comment:created", ({ comment }: { comment: { id: number } }) =>
        deliveries.receive(comment.id),
      );
      const ack = (await socket.timeout(10_000).emitWithAck("article:join", {
        slug: target.slug,
      })) as { ok: boolean };
      if (!ack.ok) throw new Error(`article:join failed: ${JSON.stringify(ack)}`);
      return socket;
    }),
  );
}

async function postComment(target: Target, token: string, body: string): Promise<number> {
  const res = await fetch(`${target.url}/api/articles/${target.slug}/comments`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Token ${token}` },
    body: JSON.stringify({ comment: { body } }),
  });
  if (res.status !== 201) throw new Error(`posting a comment: ${res.status}`);
  return ((await res.json()) as { comment: { id: number } }).comment.id;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

const ms = (value: number) => value.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const sockets = Number(options.sockets);
  const writer = await startServer(LIVE_ENV);
  const reader = await startServer({ ...LIVE_ENV, BENCH_SEED: "false" });
  const viewers: Socket[] = [];
  try {
    const token = await signIn(writer.target);
    const deliveries = new Deliveries(sockets);
    viewers.push(...(await connectViewers(reader.target, sockets, deliveries)));

    const latency = { rest: [] as number[], first: [] as number[], last: [] as number[] };
    const total = Number(options.comments) + WARM_UP_COMMENTS;
    for (let i = 0; i < total; i++) {
      const start = performance.now();
      const id = await postComment(writer.target, token, `live bench ${i}`);
      const answered = performance.now();
      const { first, last } = await deliveries.awaitAll(id);
      if (i < WARM_UP_COMMENTS) continue;
      latency.rest.push(answered - start);
      latency.first.push(first - start);
      latency.last.push(last - start);
    }

    const burst = Number(options.burst);
    const burstStart = performance.now();
    const ids = await Promise.all(
      Array.from({ length: burst }, (_, i) => postComment(writer.target, token, `burst ${i}`)),
    );
    await Promise.all(ids.map((id) => deliveries.awaitAll(id)));
    const burstSeconds = (performance.now() - burstStart) / 1000;

    console.log(
      `${sockets} sockets on instance B in one article's room; ${options.comments} comments posted one at a time on instance A`,
    );
    console.log("from POST to            median    p99 (ms)");
    for (const [name, values] of [
      ["REST answer", latency.rest],
      ["first socket", latency.first],
      ["last socket", latency.last],
    ] as const) {
      console.log(`${name.padEnd(20)} ${ms(median(values))} ${ms(percentile(values, 0.99))}`);
    }
    console.log(
      `burst: ${burst} comments at once reached all ${sockets} sockets in ${burstSeconds.toFixed(2)} s ` +
        `(${((burst * sockets) / burstSeconds).toFixed(0)} deliveries/s)`,
    );
  } finally {
    for (const socket of viewers) socket.disconnect();
    await Promise.all([reader.stop(), writer.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
