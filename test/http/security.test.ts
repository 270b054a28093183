import { startTestService, type TestService } from "../support/service";

describe("the HTTP baseline", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ env: { CORS_ORIGINS: "https://app.example.com" } });
  });
  afterAll(() => service.stop());

  it("when any response goes out, then it has helmet's headers and no X-Powered-By", async () => {
    const response = await fetch(`${service.url}/health/live`);
    expect(response.headers.get("x-powered-by")).toBeNull();
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("strict-transport-security")).toMatch(/max-age=/);
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("when an allowed origin sends a preflight for Authorization, then it is answered", async () => {
    const response = await fetch(`${service.url}/api/articles`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );
    expect(response.headers.get("access-control-allow-methods")).toContain("PUT");
  });

  it("when an origin is not on the list, then the browser gets no CORS grant", async () => {
    const response = await fetch(`${service.url}/health/live`, {
      headers: { Origin: "https://evil.example.net" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("when the list is *, then every origin is allowed", async () => {
    const open = await startTestService({ env: { CORS_ORIGINS: "*" } });
    try {
      const response = await fetch(`${open.url}/health/live`, {
        headers: { Origin: "https://any.example" },
      });
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await open.stop();
    }
  });
});
