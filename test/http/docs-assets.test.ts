import type { ErrorBody } from "../support/api";
import { startTestService, type TestService } from "../support/service";

describe("the documentation page's assets", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const get = (path: string) => fetch(`${service.url}${path}`);

  it.each([
    ["swagger-ui-bundle.js", /javascript/],
    ["swagger-ui.css", /^text\/css/],
  ])(
    "when the page loads %s, then it is served under the page's content security policy",
    async (name, type) => {
      const response = await get(`/docs/assets/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(type);
      expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(response.headers.get("content-security-policy")).toContain("object-src 'none'");
      expect((await response.text()).length).toBeGreaterThan(1_000);
    },
  );

  it("when the page's own script loads, then it carries the same policy", async () => {
    const [page, init] = await Promise.all([get("/docs"), get("/docs/init.js")]);
    expect(init.status).toBe(200);
    expect(init.headers.get("content-security-policy")).toBe(
      page.headers.get("content-security-policy"),
    );
  });

  it.each([
    "index.html",
    "oauth2-redirect.html",
    "oauth2-redirect.js",
    "swagger-initializer.js",
    "package.json",
    "swagger-ui-bundle.js.map",
    "swagger-ui.css.map",
    "swagger-ui-es-bundle.js",
    "favicon-32x32.png",
    "README.md",
    "absolute-path.js",
    "..%2Fpackage.json",
    "%2e%2e%2fpackage.json",
    "nested/swagger-ui.css",
    "",
  ])(
    "when anything else of the package is asked for (%p), then 404 in the error envelope",
    async (name) => {
      const response = await get(`/docs/assets/${name}`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as ErrorBody;
      expect(body.code).toBe("NOT_FOUND");
      expect(Object.values(body.errors)).toEqual([["not found"]]);
    },
  );
});

describe("DOCS_ENABLED=false", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ env: { DOCS_ENABLED: "false" } });
  });
  afterAll(() => service.stop());

  it.each(["/docs", "/docs/init.js", "/docs/assets/swagger-ui-bundle.js", "/api/openapi.json"])(
    "when %s is asked for, then 404 in the error envelope",
    async (path) => {
      const response = await fetch(`${service.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({
        errors: { route: ["not found"] },
        code: "NOT_FOUND",
      });
    },
  );

  it("when the docs are off, then the API itself still answers", async () => {
    expect((await fetch(`${service.url}/api/tags`)).status).toBe(200);
  });
});
