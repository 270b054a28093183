import { readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { buildApp } from "../../src/app";
import { listRoutes } from "../../src/core/http/route-access";
import { startTestService, type TestService } from "../support/service";

const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** `/api/articles/:slug` → `/api/articles/{slug}`, as OpenAPI writes paths. */
function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

describe("the OpenAPI document", () => {
  let service: TestService;
  let document: {
    openapi: string;
    info: { version: string };
    paths: Record<
      string,
      Record<
        string,
        {
          security?: unknown[];
          parameters?: Array<{ in: string; name: string }>;
          responses: object;
        }
      >
    >;
  };

  beforeAll(async () => {
    service = await startTestService();
    const response = await fetch(`${service.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });

  afterAll(async () => {
    await service.stop();
  });

  test("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(document);

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe("3.1.0");
  });

  test("carries the package's version", () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")) as {
      version: string;
    };
    expect(document.info.version).toBe(pkg.version);
  });

  test("documents every route the app serves, and nothing it does not serve", () => {
    const served = listRoutes(buildApp(service.container))
      .map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path)}`)
      .sort();
    const documented = Object.entries(document.paths)
      .flatMap(([pathName, item]) =>
        METHODS.filter((method) => method in item).map((method) => `${method} ${pathName}`),
      )
      .sort();

    // The Swagger UI scripts and styles are part of the page, not of the API.
    const pageParts = ["get /docs/init.js", "get /docs/assets/{name}"];
    expect(served.filter((route) => !pageParts.includes(route))).toEqual(documented);
  });

  test("marks which operations need a token", () => {
    const security = (method: string, pathName: string) =>
      document.paths[pathName]?.[method]?.security;

    expect(security("get", "/api/tags")).toEqual([]);
    expect(security("get", "/api/articles")).toEqual([{}, { token: [] }, { bearer: [] }]);
    expect(security("get", "/api/articles/feed")).toEqual([{ token: [] }, { bearer: [] }]);
  });

  test("documents Idempotency-Key on signed-in writes beyond the account routes, and only there", () => {
    const headers = (method: string, pathName: string) =>
      (
        (document.paths[pathName]?.[method]?.parameters ?? []) as Array<{
          in: string;
          name: string;
        }>
      )
        .filter((parameter) => parameter.in === "header")
        .map((parameter) => parameter.name);

    expect(headers("post", "/api/articles")).toEqual(["Idempotency-Key"]);
    expect(headers("delete", "/api/articles/{slug}/favorite")).toEqual(["Idempotency-Key"]);
    expect(headers("get", "/api/articles")).toEqual([]);
    expect(headers("post", "/api/users")).toEqual([]);
    expect(headers("put", "/api/user")).toEqual([]);
  });

  test("documents RealWorld's status codes for an article update", () => {
    const responses = Object.keys(document.paths["/api/articles/{slug}"]?.put?.responses ?? {});
    expect(responses).toEqual(expect.arrayContaining(["200", "401", "403", "404", "422"]));
  });

  test("/docs serves Swagger UI from this server, under a content security policy", async () => {
    const page = await fetch(`${service.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]!);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map(
      (match) => match[1]!,
    );
    expect(scripts).toEqual(["/docs/assets/swagger-ui-bundle.js", "/docs/init.js"]);

    for (const asset of [...scripts, ...styles]) {
      const response = await fetch(`${service.url}${asset}`);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect((await response.text()).length).toBeGreaterThan(20);
    }
    const init = await (await fetch(`${service.url}/docs/init.js`)).text();
    expect(init).toContain('"/api/openapi.json"');
  });
});
