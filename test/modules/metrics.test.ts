import { randomBytes } from "node:crypto";
import { ConfigError, loadConfig } from "../../src/config/config";
import { expectErrorWithCode } from "../support/api";
import { registerUser } from "../support/auth";
import { connectSocket, eventually, request, useTwoInstances } from "../support/realtime";
import {
  ownRedisPrefix,
  startTestService,
  testConfig,
  type TestService,
  useTestService,
} from "../support/service";

const METRICS_TOKEN = "a-long-enough-metrics-token";

function scrape(service: TestService, authorization?: string): Promise<Response> {
  return fetch(`${service.url}/metrics`, {
    headers: authorization === undefined ? {} : { authorization },
  });
}

async function metricsText(service: TestService): Promise<string> {
  const res = await scrape(service);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample in Prometheus text, 0 when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const labelText = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(",");
  const line = text.split("\n").find((each) => each.startsWith(`${name}{${labelText}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function socketsConnected(service: TestService) {
  const text = await metricsText(service);
  const connected = (kind: string) => sample(text, "conduit_sockets_connected", { kind });
  return { anonymous: connected("anonymous"), user: connected("user") };
}

/** Polls `read` until it returns what is expected (server-side disconnects are not instant). */
async function readsEventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  const isExpected = async () => JSON.stringify(await read()) === JSON.stringify(expected);
  await eventually("the expected metrics", isExpected).catch(() => undefined);
  expect(await read()).toEqual(expected);
}

describe("GET /metrics outside production without a token", () => {
  const instances = useTwoInstances();

  it("is open and answers Prometheus text with the socket gauge and the process metrics", async () => {
    const res = await scrape(instances.a);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE conduit_sockets_connected gauge");
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it("counts each instance's sockets on that instance only", async () => {
    const { a, b } = instances;
    const user = await registerUser(b);
    const anonymous = await connectSocket(a);
    await connectSocket(b, { token: user.token });
    expect(await socketsConnected(a)).toEqual({ anonymous: 1, user: 0 });
    expect(await socketsConnected(b)).toEqual({ anonymous: 0, user: 1 });

    anonymous.disconnect();
    await readsEventually(() => socketsConnected(a), { anonymous: 0, user: 0 });
    expect(await socketsConnected(b)).toEqual({ anonymous: 0, user: 1 });
  });

  it("counts the events clients send by how they were answered, on the instance that answered", async () => {
    const { a, b } = instances;
    const socket = await connectSocket(a);
    const received = { event: "article:join", outcome: "not_found" };
    const before = sample(await metricsText(a), "conduit_socket_events_received_total", received);
    await request(socket, "article:join", { slug: "no-such-article" });
    await request(socket, "article:join", { slug: "no-such-article" });
    expect(sample(await metricsText(a), "conduit_socket_events_received_total", received)).toBe(
      before + 2,
    );
    expect(sample(await metricsText(b), "conduit_socket_events_received_total", received)).toBe(0);
  });
});

describe("GET /metrics with METRICS_TOKEN set", () => {
  const service = useTestService({ env: { METRICS_TOKEN } });

  it.each([
    ["no Authorization header", undefined],
    ["a wrong token", "Bearer a-wrong-metrics-token-of-length"],
    ["the right token in the RealWorld scheme", `Token ${METRICS_TOKEN}`],
  ])("with %s, it answers 401 in the API's error format", async (_name, authorization) => {
    const res = await scrape(service, authorization);
    await expectErrorWithCode(res, 401, "UNAUTHENTICATED", { token: ["is missing or wrong"] });
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
  });

  it.each([`Bearer ${METRICS_TOKEN}`, `bearer ${METRICS_TOKEN}`])(
    "with Authorization: %s, it answers the metrics",
    async (authorization) => {
      const res = await scrape(service, authorization);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("conduit_sockets_connected");
    },
  );
});

describe("GET /metrics in production", () => {
  /** What production requires, taken from this run's settings. */
  function productionEnv(): Record<string, string> {
    const config = testConfig();
    return {
      NODE_ENV: "production",
      DATABASE_URL: config.database.url,
      REDIS_URL: config.redis.url,
      REDIS_KEY_PREFIX: ownRedisPrefix("production"),
      CORS_ORIGINS: "https://app.example.com",
      JWT_SECRET: randomBytes(48).toString("base64"),
    };
  }

  it("without a token, it is not there: 404 as for an unknown route, whatever the method", async () => {
    const service = await startTestService({ env: productionEnv() });
    try {
      const res = await scrape(service, `Bearer ${METRICS_TOKEN}`);
      const unknown = await fetch(`${service.url}/no-such-route`);
      const { errors } = await expectErrorWithCode(unknown, 404, "NOT_FOUND");
      await expectErrorWithCode(res, 404, "NOT_FOUND", errors);
      // Not 405, which would tell that the path exists.
      const posted = await fetch(`${service.url}/metrics`, { method: "POST" });
      await expectErrorWithCode(posted, 404, "NOT_FOUND", errors);
    } finally {
      await service.stop();
    }
  });

  it("with a token, it answers only to that token", async () => {
    const service = await startTestService({ env: { ...productionEnv(), METRICS_TOKEN } });
    try {
      expect((await scrape(service)).status).toBe(401);
      expect((await scrape(service, `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });

  it("the config turns metrics off in production without a token and on with one", () => {
    const env = { ...process.env, ...productionEnv() };
    expect(loadConfig(env).metrics).toEqual({ enabled: false, token: undefined });
    expect(loadConfig({ ...env, METRICS_TOKEN }).metrics).toEqual({
      enabled: true,
      token: METRICS_TOKEN,
    });
    expect(testConfig().metrics).toEqual({ enabled: true, token: undefined });
  });

  it("the config refuses a METRICS_TOKEN shorter than 16 characters", () => {
    expect(() => testConfig({ METRICS_TOKEN: "fifteen-chars.." })).toThrow(ConfigError);
    expect(() => testConfig({ METRICS_TOKEN: "fifteen-chars.." })).toThrow(
      /METRICS_TOKEN: must be at least 16 characters/,
    );
    expect(testConfig({ METRICS_TOKEN: "sixteen-chars..." }).metrics.enabled).toBe(true);
  });
});
