import type { Article } from "../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../support/auth";
import { capturingLogger } from "../support/logs";
import { startOwnRedis, type OwnRedis } from "../support/own-redis";
import {
  connectError,
  connectSocket,
  eventually,
  joinArticle,
  nextEvent,
  openSocket,
} from "../support/realtime";
import { ownRedisPrefix, startTestService, type TestService } from "../support/service";

/*
 * The service against a Redis of the test's own that is killed and restarted,
 * or frozen and thawed, while signed-in reads, writes and sockets keep coming.
 * Whatever Redis does, nothing answers 500 or hangs, requests that need Redis
 * answer 503 within a bound, readiness says so, and everything recovers.
 */

jest.setTimeout(180_000);

/**
 * Generous, for a loaded machine: what is asserted is "answers, and not after
 * a hang". The command timeout is 2 s by default.
 */
const ANSWER_BOUND_MS = 10_000;
/** How long an outage lasts while traffic runs: longer than the bound, so a request that waits it out fails. */
const OUTAGE_MS = 12_000;
/** Pause between one loop's requests. */
const PACE_MS = 100;
/** A request taking longer than this failed the test anyway; the abort only ends it. */
const REQUEST_ABORT_MS = 30_000;

type Phase = "before" | "outage" | "after";

interface Answer {
  what: "signed-in read" | "write" | "anonymous read";
  phase: Phase;
  straddled: boolean;
  status: number;
  retryAfter: string | null;
  ms: number;
}

/** Signed-in reads, article writes and anonymous reads in three loops, each answer recorded. */
class Traffic {
  readonly answers: Answer[] = [];
  /** Slugs of articles whose creation was answered 201. */
  readonly acknowledged: string[] = [];
  phase: Phase = "before";
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(service: TestService, user: RegisteredUser) {
    let written = 0;
    const auth = tokenHeader(user.token);
    this.loops = [
      this.loop("signed-in read", (signal) =>
        fetch(`${service.url}/api/user`, { headers: auth, signal }),
      ),
      this.loop("write", async (signal) => {
        written += 1;
        const article = { title: `Written under faults ${written}`, description: "d", body: "b" };
        const res = await fetch(`${service.url}/api/articles`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth },
          body: JSON.stringify({ article }),
          signal,
        });
        if (res.status === 201) {
          this.acknowledged.push(((await res.clone().json()) as { article: Article }).article.slug);
        }
        return res;
      }),
      this.loop("anonymous read", (signal) =>
        fetch(`${service.url}/api/articles?limit=1`, { signal }),
      ),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  during(phase: Phase, what: Answer["what"]): Answer[] {
    return this.answers.filter(
      (answer) => answer.phase === phase && !answer.straddled && answer.what === what,
    );
  }

  private async loop(
    what: Answer["what"],
    send: (signal: AbortSignal) => Promise<Response>,
  ): Promise<void> {
    while (this.running) {
      const phase = this.phase;
      const started = performance.now();
      let status: number;
      let retryAfter: string | null = null;
      try {
        const res = await send(AbortSignal.timeout(REQUEST_ABORT_MS));
        status = res.status;
        retryAfter = res.headers.get("retry-after");
        await res.arrayBuffer();
      } catch {
        status = 0; // no answer at all: a hang cut by the abort, or a dropped connection
      }
      // One that straddles a change of phase is bounded like every other, but
      // says nothing about either phase.
      const straddled = phase !== this.phase;
      this.answers.push({
        what,
        phase,
        straddled,
        status,
        retryAfter,
        ms: performance.now() - started,
      });
      await sleep(PACE_MS);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function readiness(service: TestService): Promise<number> {
  const res = await fetch(`${service.url}/health/ready`);
  await res.arrayBuffer();
  return res.status;
}

async function createArticle(service: TestService, user: RegisteredUser): Promise<string> {
  const article = { title: `Watched ${Date.now()}`, description: "d", body: "b" };
  const res = await postJson(`${service.url}/api/articles`, { article }, tokenHeader(user.token));
  expect(res.status).toBe(201);
  return ((await res.json()) as { article: Article }).article.slug;
}

interface Fault {
  name: string;
  begin(redis: OwnRedis): Promise<void> | void;
  end(redis: OwnRedis): Promise<void> | void;
}

const faults: Fault[] = [
  {
    name: "killed and restarted",
    begin: (redis) => redis.kill(),
    end: (redis) => redis.start(),
  },
  {
    name: "frozen and thawed",
    begin: (redis) => redis.freeze(),
    end: (redis) => redis.thaw(),
  },
];

describe.each(faults)("when Redis is $name under traffic", (fault) => {
  let redis: OwnRedis | undefined;
  let service: TestService | undefined;
  const logs = capturingLogger("info");
  const printed: string[] = [];
  const consoleError = console.error;

  beforeAll(async () => {
    // ioredis prints "Unhandled error event" with console.error; keep what it prints.
    console.error = (...args: unknown[]) => printed.push(args.map(String).join(" "));
    redis = await startOwnRedis();
    service = await startTestService({
      env: {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: ownRedisPrefix("faults"),
        // The production default, which test/setup/env.ts raises for the rest of the suite.
        REDIS_COMMAND_TIMEOUT_MS: "2000",
      },
      logger: logs.logger,
    });
  });

  afterAll(async () => {
    console.error = consoleError;
    try {
      await service?.stop();
    } finally {
      await redis?.destroy();
    }
  });

  it("then nothing answers 500 or hangs, Redis-bound requests answer 503 in bounded time, readiness follows, and sockets and writes recover", async () => {
    if (redis === undefined || service === undefined) throw new Error("started in beforeAll");
    const user = await registerUser(service);
    const slug = await createArticle(service, user);
    const viewer = await connectSocket(service, { reconnection: true });
    await joinArticle(viewer, slug);
    const signedIn = await connectSocket(service, { token: user.token, reconnection: true });

    const traffic = new Traffic(service, user);
    try {
      await sleep(1_500);
      traffic.phase = "outage";
      await fault.begin(redis);
      const outageStarted = Date.now();

      // New sockets: anonymous ones connect; one with a token is refused with a reason to act on.
      const anonymous = await connectSocket(service);
      anonymous.disconnect();
      const refusal = await connectError(openSocket(service, { token: user.token }));
      expect(refusal.data?.code).toBe("SERVICE_UNAVAILABLE");
      expect(await readiness(service)).toBe(503);

      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
      traffic.phase = "after";
      await fault.end(redis);
      await eventually(
        "readiness is 200 again",
        async () => (await readiness(service!)) === 200,
        30_000,
      );
      await sleep(1_500);
    } finally {
      await traffic.stop();
    }

    const outageReads = traffic.during("outage", "signed-in read");
    const firstHits = traffic.answers.filter(
      ({ what, phase, straddled }) => what === "signed-in read" && phase === "before" && straddled,
    );
    console.log(
      `Redis ${fault.name}: ${outageReads.length} signed-in reads during the outage, ` +
        `median ${Math.round(median(outageReads.map(({ ms }) => ms)))} ms, ` +
        `max ${Math.round(Math.max(...outageReads.map(({ ms }) => ms)))} ms; ` +
        `in flight as it began: ${firstHits.map(({ status, ms }) => `${status} in ${Math.round(ms)} ms`).join(", ")}`,
    );

    // No 500 and no request without an answer or answered after a hang, in any phase.
    const failed = traffic.answers.filter(({ status }) => status === 0 || status >= 500);
    expect(failed.filter(({ status }) => status !== 503)).toEqual([]);
    expect(traffic.answers.filter(({ ms }) => ms >= ANSWER_BOUND_MS)).toEqual([]);

    // While Redis was away: signed-in reads answered 503 with Retry-After; anonymous reads 200.
    expect(outageReads.length).toBeGreaterThan(0);
    expect(outageReads.filter(({ status }) => status !== 503)).toEqual([]);
    expect(outageReads.filter(({ retryAfter }) => retryAfter === null)).toEqual([]);
    const anonymousReads = traffic.during("outage", "anonymous read");
    expect(anonymousReads.filter(({ status }) => status !== 200)).toEqual([]);

    // After: signed-in requests work again with the same session.
    const me = await fetch(`${service.url}/api/user`, { headers: tokenHeader(user.token) });
    expect(me.status).toBe(200);

    // Every write answered 201 is there.
    for (const written of traffic.acknowledged) {
      const res = await fetch(`${service.url}/api/articles/${written}`);
      expect({ written, status: res.status }).toEqual({ written, status: 200 });
    }

    // Sockets: the ones connected throughout get room events again; new ones with a token connect.
    const comment = nextEvent<{ slug: string }>(viewer, "comment:created", () => true, 30_000);
    const res = await postJson(
      `${service.url}/api/articles/${slug}/comments`,
      { comment: { body: "after the outage" } },
      tokenHeader(user.token),
    );
    expect(res.status).toBe(201);
    await expect(comment).resolves.toMatchObject({ slug });
    expect(signedIn.connected).toBe(true);
    (await connectSocket(service, { token: user.token })).disconnect();

    // Logs: JSON lines only, and the outage once per role, not per retry.
    expect(printed.filter((line) => line.includes("Unhandled error event"))).toEqual([]);
    const lines = logs.lines().map((line) => JSON.parse(line) as { msg: string; role?: string });
    const outageLines = lines.filter(({ msg }) => msg === "redis is unreachable; retrying");
    const roles = outageLines.map(({ role }) => role);
    expect(new Set(roles).size).toBe(roles.length);
    expect(roles).toContain("commands");
    const readinessDown = lines.filter(
      ({ msg }) => msg === "readiness: a dependency is not answering",
    );
    expect(readinessDown.length).toBeLessThanOrEqual(1);
  });
});
