import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../support/auth";
import { capturingLogger } from "../support/logs";
import { startOwnPostgres, type OwnPostgres } from "../support/own-postgres";
import { ownRedisPrefix, startTestService, type TestService } from "../support/service";

/**
 * The service under traffic while its own PostgreSQL is stopped, killed,
 * frozen and has its backends terminated: never a 500, never a hang, ready
 * says 503 while the database is away and 200 once it is back, and every
 * write that was answered 2xx is there afterwards.
 */

/** Far above what any answer needs with the bounds below; a hang meets it. */
const ANSWER_BOUND_MS = 20_000;
/** How long waiting for readiness to change may take on a loaded machine. */
const READINESS_BOUND_MS = 60_000;

interface Outcome {
  what: string;
  status: number;
  ms: number;
}

interface Traffic {
  outcomes: Outcome[];
  /** Slugs of articles, and ids of comments, whose creation was answered 2xx. */
  articles: string[];
  comments: number[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("when the service's PostgreSQL fails under traffic", () => {
  let postgres: OwnPostgres;
  let service: TestService;
  let author: RegisteredUser;
  let slug: string;
  const log = capturingLogger("info");

  beforeAll(async () => {
    postgres = await startOwnPostgres();
    service = await startTestService({
      logger: log.logger,
      env: {
        DATABASE_URL: postgres.url,
        DATABASE_POOL_SIZE: "5",
        DATABASE_STATEMENT_TIMEOUT_MS: "2000",
        DATABASE_CONNECT_TIMEOUT_MS: "2000",
        REDIS_KEY_PREFIX: ownRedisPrefix("postgres-faults"),
      },
    });
    author = await registerUser(service);
    slug = await createArticle(author.token, "The article everyone reads");
  }, 120_000);

  afterAll(async () => {
    try {
      await service?.stop();
    } finally {
      await postgres?.destroy();
    }
  }, 60_000);

  async function createArticle(token: string, title: string): Promise<string> {
    const response = await postJson(
      `${service.url}/api/articles`,
      { article: { title, description: "d", body: "b", tagList: ["faults"] } },
      tokenHeader(token),
    );
    if (response.status !== 201) throw new Error(`publishing answered ${response.status}`);
    return ((await response.json()) as { article: { slug: string } }).article.slug;
  }

  /** Four clients reading, publishing and commenting until stopped. */
  function startTraffic(): Traffic {
    const traffic: Traffic = { outcomes: [], articles: [], comments: [], stop: async () => {} };
    let running = true;
    let sequence = 0;
    const headers = tokenHeader(author.token);
    const operations: Array<() => Promise<[string, Response]>> = [
      async () => ["list", await fetch(`${service.url}/api/articles?limit=5`)],
      async () => ["read", await fetch(`${service.url}/api/articles/${slug}`)],
      async () => {
        const title = `Written during a fault ${++sequence} ${Date.now()}`;
        const response = await postJson(
          `${service.url}/api/articles`,
          { article: { title, description: "d", body: "b" } },
          headers,
        );
        if (response.status === 201) {
          const body = (await response.clone().json()) as { article: { slug: string } };
          traffic.articles.push(body.article.slug);
        }
        return ["publish", response];
      },
      async () => {
        const response = await postJson(
          `${service.url}/api/articles/${slug}/comments`,
          { comment: { body: `comment ${++sequence}` } },
          headers,
        );
        if (response.status === 201) {
          const body = (await response.clone().json()) as { comment: { id: number } };
          traffic.comments.push(body.comment.id);
        }
        return ["comment", response];
      },
    ];
    const client = async (offset: number) => {
      for (let turn = offset; running; turn++) {
        const started = Date.now();
        const operation = operations[turn % operations.length] as () => Promise<[string, Response]>;
        try {
          const [what, response] = await operation();
          await response.arrayBuffer();
          traffic.outcomes.push({ what, status: response.status, ms: Date.now() - started });
        } catch {
          // No answer at all (the connection failed): as bad as a hang.
          traffic.outcomes.push({ what: "no answer", status: 0, ms: Date.now() - started });
        }
        await sleep(20);
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    traffic.stop = async () => {
      running = false;
      await Promise.all(clients);
    };
    return traffic;
  }

  async function readinessBecomes(status: number): Promise<void> {
    const deadline = Date.now() + READINESS_BOUND_MS;
    for (;;) {
      const response = await fetch(`${service.url}/health/ready`);
      await response.arrayBuffer();
      if (response.status === status) return;
      if (Date.now() > deadline) throw new Error(`readiness stayed ${response.status}`);
      await sleep(100);
    }
  }

  /** Runs traffic through `fault`, then checks the answers and the writes. */
  async function underTraffic(name: string, fault: () => Promise<void>): Promise<Outcome[]> {
    await readinessBecomes(200);
    const traffic = startTraffic();
    try {
      await sleep(1_000);
      await fault();
      await readinessBecomes(200);
      await sleep(1_000);
    } finally {
      await traffic.stop();
    }
    report(name, traffic.outcomes);

    const statuses = new Set(traffic.outcomes.map(({ status }) => status));
    expect([...statuses].filter((status) => ![200, 201, 503].includes(status))).toEqual([]);
    expect(Math.max(...traffic.outcomes.map(({ ms }) => ms))).toBeLessThan(ANSWER_BOUND_MS);
    const stored = await service.container.db.article.findMany({
      where: { slug: { in: traffic.articles } },
      select: { slug: true },
    });
    expect(stored.map((article) => article.slug).sort()).toEqual([...traffic.articles].sort());
    expect(
      await service.container.db.comment.count({ where: { id: { in: traffic.comments } } }),
    ).toBe(traffic.comments.length);
    return traffic.outcomes;
  }

  const outageLines = () => {
    const messages = log.lines().map((line) => (JSON.parse(line) as { msg: string }).msg);
    return {
      started: messages.filter((msg) => msg.startsWith("database is unreachable")).length,
      ended: messages.filter((msg) => msg === "database is reachable again").length,
    };
  };

  it("when PostgreSQL shuts down at once and starts again, then 503 with Retry-After meanwhile, no 500, one log line as the outage starts and one as it ends", async () => {
    const before = outageLines();
    let unavailable: Response | undefined;
    const outcomes = await underTraffic("restart", async () => {
      await postgres.stopImmediately();
      await readinessBecomes(503);
      await sleep(2_000);
      unavailable = await fetch(`${service.url}/api/articles/${slug}`);
      await postgres.start();
    });
    expect(outcomes.some(({ status }) => status === 503)).toBe(true);
    expect(unavailable?.status).toBe(503);
    expect(unavailable?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await unavailable?.json()).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      errors: { database: ["is unavailable, try again shortly"] },
    });
    const after = outageLines();
    expect(after.started - before.started).toBe(1);
    expect(after.ended - before.ended).toBe(1);
  }, 180_000);

  it("when the postmaster is killed and PostgreSQL starts again, then no 500 and every acknowledged write is stored", async () => {
    await underTraffic("kill -9", async () => {
      await postgres.killPostmaster();
      await readinessBecomes(503);
      await sleep(2_000);
      await postgres.start();
    });
  }, 180_000);

  it("when every backend is terminated, again and again, then no 500 and every acknowledged write is stored", async () => {
    await underTraffic("terminate backends", async () => {
      for (let round = 0; round < 5; round++) {
        await postgres.terminateBackends();
        await sleep(400);
      }
    });
  }, 180_000);

  it("when PostgreSQL freezes (no answer at all) and thaws, then requests are answered within the bounds, ready is 503 meanwhile, and no 500", async () => {
    await underTraffic("freeze", async () => {
      postgres.freeze();
      try {
        await readinessBecomes(503);
        await sleep(6_000);
      } finally {
        postgres.thaw();
      }
    });
  }, 180_000);
});

/** One line per fault with what the clients got, for the record. */
function report(name: string, outcomes: Outcome[]): void {
  const counts: Record<number, number> = {};
  for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
  const times = outcomes.map(({ ms }) => ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const failed = outcomes.filter(({ status }) => status !== 200 && status !== 201);
  const failedTimes = failed.map(({ ms }) => ms).sort((a, b) => a - b);
  process.stdout.write(
    `${name}: ${JSON.stringify(counts)}, median ${median} ms, max ${times.at(-1)} ms; ` +
      `failed answers median ${failedTimes[Math.floor(failedTimes.length / 2)] ?? "-"} ms\n`,
  );
}
