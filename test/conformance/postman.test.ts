import { apiUrl, expectStatus } from "../support/api";
import { postJson, uniqueName } from "../support/auth";
import { runPostmanCollection } from "../support/realworld";
import { startTestService, type TestService } from "../support/service";

/** What the official suites register every user with (and front ends' end-to-end suites copy). */
const REALWORLD_PASSWORD = "password123";

// The official RealWorld Postman collection, exactly as upstream wrote it, run
// by newman against a fresh server on a free port. The server has the settings
// `npm start` gives it, since that is what someone running the official suites
// against a checkout meets: the test run's raised limits would hide a default
// that refuses them.
describe("RealWorld conformance with default settings", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ defaultSettings: true });
  });

  afterAll(async () => {
    await service.stop();
  });

  test("when the Postman collection runs twice back to back with password123, then every request and assertion passes both times", async () => {
    for (const run of ["first", "second"]) {
      const result = await runPostmanCollection(apiUrl(service, ""), {
        password: REALWORLD_PASSWORD,
      });

      expect({ run, failures: result.failures }).toEqual({ run, failures: [] });
      expect(result.requests).toBe(32);
      expect(result.assertions).toBeGreaterThan(200);
    }
  }, 180_000);

  test("when 30 users register from one address within a minute, then each gets 201 and signs in", async () => {
    // One after another from 127.0.0.1, as a front end's end-to-end suite signs its users up.
    for (let i = 0; i < 30; i += 1) {
      const username = uniqueName("e2e");
      const user = { username, email: `${username}@example.com`, password: REALWORLD_PASSWORD };
      await expectStatus(await postJson(apiUrl(service, "/users"), { user }), 201);
      const { email, password } = user;
      const login = await postJson(apiUrl(service, "/users/login"), { user: { email, password } });
      await expectStatus(login, 200);
    }
  }, 180_000);
});
