import { capturingLogger } from "../support/logs";
import { startOwnRedis } from "../support/own-redis";
import { eventually } from "../support/realtime";
import { ownRedisPrefix, startTestService, type TestService } from "../support/service";

describe("health", () => {
  it("when PostgreSQL and Redis answer, then live and ready are 200", async () => {
    const service = await startTestService();
    try {
      const live = await fetch(`${service.url}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: "ok" });
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: "ok", checks: { database: "up", redis: "up" } });
    } finally {
      await service.stop();
    }
  });

  it.each([
    ["PostgreSQL", { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/conduit" }, "database"],
    ["Redis", { REDIS_URL: "redis://127.0.0.1:1" }, "redis"],
  ])(
    "when %s is unreachable, then ready is 503 naming it while live stays 200",
    async (_name, env, down) => {
      const service = await startTestService({ env });
      try {
        const ready = await fetch(`${service.url}/health/ready`);
        expect(ready.status).toBe(503);
        const body = (await ready.json()) as { errors: Record<string, string[]>; code: string };
        expect(body.code).toBe("SERVICE_UNAVAILABLE");
        expect(body.errors).toEqual({ [down]: ["is not answering"] });
        expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
      } finally {
        await service.stop();
      }
    },
  );
});

describe("readiness logs", () => {
  it("when a dependency stays down across probes, then no probe logs a failure and the change is logged once going down and once coming back", async () => {
    const redis = await startOwnRedis();
    const logs = capturingLogger("info");
    let service: TestService | undefined;
    try {
      service = await startTestService({
        env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: ownRedisPrefix("health") },
        logger: logs.logger,
      });
      const ready = async () => (await fetch(`${service!.url}/health/ready`)).status;
      expect(await ready()).toBe(200);

      await redis.kill();
      for (let probe = 0; probe < 3; probe++) expect(await ready()).toBe(503);
      await redis.start();
      await eventually("readiness is 200 again", async () => (await ready()) === 200, 30_000);

      const lines = logs.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
      const about = (msg: string) => lines.filter((line) => line.msg === msg);
      expect(about("request failed")).toEqual([]);
      expect(about("readiness: a dependency is not answering")).toEqual([
        expect.objectContaining({ dependency: "redis", level: 40 }),
      ]);
      expect(about("readiness: a dependency answers again")).toEqual([
        expect.objectContaining({ dependency: "redis", level: 30 }),
      ]);
    } finally {
      await service?.stop();
      await redis.destroy();
    }
  });
});
