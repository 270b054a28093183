import { expectErrorWithCode } from "../support/api";
import { startTestService, type TestService } from "../support/service";

describe("methods a path does not serve", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const send = (method: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, { method, headers });

  it.each([
    ["PATCH", "/api/articles/some-article", "GET, HEAD, PUT, DELETE, OPTIONS"],
    // /api/articles/feed is also /api/articles/:slug, so it has the methods of both.
    ["PATCH", "/api/articles/feed", "GET, HEAD, PUT, DELETE, OPTIONS"],
    ["DELETE", "/api/tags", "GET, HEAD, OPTIONS"],
    ["DELETE", "/api/TAGS/", "GET, HEAD, OPTIONS"],
    ["POST", "/api/user", "GET, HEAD, PUT, OPTIONS"],
    ["GET", "/api/users", "POST, OPTIONS"],
    ["PUT", "/api/profiles/someone/follow", "POST, DELETE, OPTIONS"],
    ["GET", "/api/articles/some-article/comments/1", "DELETE, OPTIONS"],
  ])(
    "when %s %s is asked for, then 405 names the methods it has, in Allow and in errors.method",
    async (method, path, allow) => {
      const response = await send(method, path);
      expect(response.headers.get("allow")).toBe(allow);
      await expectErrorWithCode(response, 405, "METHOD_NOT_ALLOWED", {
        method: [`is not allowed here; use ${allow}`],
      });
    },
  );

  it.each([
    ["GET", "/api/nowhere"],
    ["PATCH", "/api/nowhere"],
    ["DELETE", "/api/articles/some-article/comments/1/replies"],
  ])(
    "when %s %s is asked for, a path the service does not have, then 404",
    async (method, path) => {
      const response = await send(method, path);
      expect(response.headers.get("allow")).toBeNull();
      await expectErrorWithCode(response, 404, "NOT_FOUND", { route: ["not found"] });
    },
  );

  it.each(["PUT", "DELETE"])(
    "when %s /api/articles/feed is sent without a token, then the article route answers it (401), not a 405",
    async (method) => {
      const response = await send(method, "/api/articles/feed");
      await expectErrorWithCode(response, 401, "UNAUTHENTICATED", { token: ["is missing"] });
    },
  );

  it("when HEAD is asked of a GET route, then it answers 200 with the GET's headers and no body", async () => {
    const response = await send("HEAD", "/api/tags");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe("");
  });

  it("when a browser asks OPTIONS before a GET, then the preflight answers 204 allowing it", async () => {
    const response = await send("OPTIONS", "/api/tags", {
      origin: "https://app.example.com",
      "access-control-request-method": "GET",
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-methods")).toContain("GET");
  });
});
