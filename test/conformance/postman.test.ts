import { runPostmanCollection } from "../support/realworld";
import { startTestService, type TestService } from "../support/service";

// The official RealWorld Postman collection, exactly as upstream wrote it, run
// by newman against a fresh server on a free port.
describe("RealWorld Postman collection", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });

  afterAll(async () => {
    await service.stop();
  });

  test("every request and assertion passes", async () => {
    const result = await runPostmanCollection(`${service.url}/api`);

    expect(result.failures).toEqual([]);
    expect(result.requests).toBe(32);
    expect(result.assertions).toBeGreaterThan(200);
  }, 60_000);
});
