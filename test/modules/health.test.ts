import { startTestService } from "../support/service";

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
