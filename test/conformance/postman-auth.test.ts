import { runPostmanCollection } from "../support/realworld";
import { startTestService, type TestService } from "../support/service";

// The official RealWorld Postman collection's Auth folder: register, login,
// current user and update, exactly as upstream wrote it.
describe("RealWorld Postman collection, Auth folder", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });

  afterAll(async () => {
    await service.stop();
  });

  test("every request and assertion passes", async () => {
    const result = await runPostmanCollection(`${service.url}/api`, "Auth");

    expect(result.failures).toEqual([]);
    expect(result.requests).toBe(5);
    expect(result.assertions).toBeGreaterThan(20);
  });
});
