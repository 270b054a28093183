import express from "express";
import { z } from "zod";
import { ConflictError, NotFoundError } from "../../src/core/errors/app-error";
import { errorResponder, unknownRoute } from "../../src/core/http/error-middleware";
import { requestId } from "../../src/core/http/request-id";
import { toAppError } from "../../src/core/errors/to-app-error";
import { parseInput } from "../../src/core/http/validate";
import { createUser } from "../support/factories";
import { capturingLogger } from "../support/logs";
import { startTestService, type TestService } from "../support/service";

describe("errors from the whole service", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ env: { JSON_BODY_LIMIT: "1kb" } });
  });
  afterAll(() => service.stop());

  const send = (path: string, init: RequestInit) => fetch(`${service.url}${path}`, init);

  it("when a route does not exist, then 404 in the error envelope with code and request id", async () => {
    const response = await send("/api/nowhere", { method: "GET" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json; charset=utf-8/);
    const body = await response.json();
    expect(body).toEqual({
      errors: { route: ["not found"] },
      code: "NOT_FOUND",
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("when the JSON is malformed, then 400 and the body is not echoed", async () => {
    const response = await send("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"user": {"password": "hunter2-secret"',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      errors: { body: ["must be a valid JSON object or array"] },
      code: "BAD_REQUEST",
    });
    expect(text).not.toContain("hunter2");
  });

  it("when the body is over the size limit, then 413", async () => {
    const response = await send("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filler: "x".repeat(2048) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      errors: { body: ["is larger than the 1024-byte limit"] },
      code: "PAYLOAD_TOO_LARGE",
    });
  });

  it("when a body is sent as something other than JSON, then 415", async () => {
    const response = await send("/api/users", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "user=me",
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
  });

  it("when JSON comes with a charset, then it is accepted as JSON", async () => {
    const response = await send("/api/nowhere", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: "{}",
    });
    expect(response.status).toBe(404);
  });

  it("when a unique value is taken in the database, then the Prisma error becomes 409 naming the field", async () => {
    const user = await createUser(service.container.db);
    const duplicate = createUser(service.container.db, { email: user.email.toUpperCase() });
    const error: unknown = await duplicate.catch((caught: unknown) => caught);
    expect(toAppError(error)).toMatchObject({
      status: 409,
      errors: { email: ["has already been taken"] },
    });
  });
});

describe("the error middleware", () => {
  const { logger, lines } = capturingLogger();
  const app = express();
  app.use(requestId);
  app.get("/internal", () => {
    throw new Error("connection string postgresql://admin:s3cret@db leaked");
  });
  app.get("/async-internal", async () => {
    await Promise.resolve();
    throw new TypeError("cannot read properties of undefined");
  });
  app.get("/not-found", () => {
    throw new NotFoundError("article");
  });
  app.get("/conflict", () => {
    throw new ConflictError("username");
  });
  app.get("/logs", async (_req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    logger.info("written by a handler");
    res.json({});
  });
  app.get("/validation", (req) => {
    parseInput(z.object({ limit: z.coerce.number().int().min(1) }), req.query);
  });
  app.use(unknownRoute);
  app.use(errorResponder(logger));

  let server: ReturnType<typeof app.listen>;
  let url: string;
  beforeAll(async () => {
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it.each(["/internal", "/async-internal"])(
    "when a handler throws an unexpected error (%s), then 500 says nothing about internals and the log has the detail",
    async (path) => {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        errors: { server: ["encountered an internal error"] },
        code: "INTERNAL",
        requestId: response.headers.get("x-request-id"),
      });
      expect(text).not.toMatch(/s3cret|undefined|at .*\.ts|stack/);
      const logged = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
      const entry = logged.find((line) => line.requestId === response.headers.get("x-request-id"));
      expect(entry).toMatchObject({ level: 50, msg: "request failed", url: path });
      expect((entry?.err as { stack: string }).stack).toContain("errors.test.ts");
    },
  );

  it("when a handler logs after an await, then its line carries the request id without it being passed", async () => {
    const response = await fetch(`${url}/logs`, { headers: { "X-Request-Id": "handler-trace" } });
    expect(response.status).toBe(200);
    const entry = lines()
      .map((line) => JSON.parse(line) as { msg: string; requestId?: string })
      .find((line) => line.msg === "written by a handler");
    expect(entry?.requestId).toBe("handler-trace");
  });

  it.each([
    ["/not-found", 404, { article: ["not found"] }, "NOT_FOUND"],
    ["/conflict", 409, { username: ["has already been taken"] }, "CONFLICT"],
    [
      "/validation?limit=0",
      422,
      { limit: ["Too small: expected number to be >=1"] },
      "VALIDATION_FAILED",
    ],
  ])("when %s, then %i with the field named", async (path, status, errors, code) => {
    const response = await fetch(`${url}${path}`);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ errors, code });
  });
});
