import express from "express";
import { z } from "zod";
import { ConflictError, NotFoundError } from "../../src/core/errors/app-error";
import { errorResponder, unknownRoute } from "../../src/core/http/error-middleware";
import { requestId } from "../../src/core/http/request-id";
import { toAppError } from "../../src/core/errors/to-app-error";
import { createDatabase, type Database } from "../../src/core/database/prisma";
import { parseInput } from "../../src/core/http/validate";
import { createUser } from "../support/factories";
import { capturingLogger } from "../support/logs";
import { startTestService, testConfig, type TestService } from "../support/service";

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

describe("database failures, as Prisma and node-postgres really report them", () => {
  const { url } = testConfig().database;
  const databases: Database[] = [];
  const database = (options: { url?: string; poolSize?: number; connectTimeoutMs?: number }) => {
    const db = createDatabase({ url, poolSize: 2, statementTimeoutMs: 5_000, ...options });
    databases.push(db);
    return db;
  };
  afterAll(() => Promise.all(databases.map((db) => db.$disconnect())));

  const failureOf = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (error: unknown) => error,
    );
  const unavailable = {
    status: 503,
    code: "SERVICE_UNAVAILABLE",
    errors: { database: ["is unavailable, try again shortly"] },
    headers: { "Retry-After": "5" },
  };

  it.each([
    ["a NUL character (22021)", "SELECT $1::text AS text", "a\u0000b"],
    [
      "a character the target encoding lacks (22P05)",
      "SELECT convert_to($1, 'LATIN1') AS text",
      "€",
    ],
  ])(
    "when PostgreSQL refuses text with %s, then 422 in the one error format",
    async (_name, sql, text) => {
      const error = await failureOf(database({}).$queryRawUnsafe(sql, text));
      expect(toAppError(error)).toMatchObject({
        status: 422,
        code: "VALIDATION_FAILED",
        errors: { request: ["contains a character that cannot be stored, such as NUL"] },
      });
    },
  );

  it("when a model query meets a NUL character, then 422 too", async () => {
    const error = await failureOf(database({}).user.findFirst({ where: { username: "a\u0000b" } }));
    expect(toAppError(error)).toMatchObject({ status: 422, code: "VALIDATION_FAILED" });
  });

  it("when a statement outlives the statement timeout (57014), then 503 with Retry-After", async () => {
    const error = await failureOf(
      database({}).$transaction(async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 100");
        await tx.$queryRawUnsafe("SELECT 1 AS one FROM pg_sleep(5)");
      }),
    );
    expect(toAppError(error)).toMatchObject(unavailable);
  });

  it("when the backend is terminated mid-query (57P01), then 503 with Retry-After", async () => {
    const db = database({ poolSize: 1 });
    const [{ pid }] = await db.$queryRaw<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const error = await failureOf(
      db.$transaction(async (tx) => {
        await tx.$queryRawUnsafe("SELECT pg_terminate_backend($1::int) AS ended", pid);
      }),
    );
    expect(toAppError(error)).toMatchObject(unavailable);
  });

  it("when nothing listens where the database should be, then 503 with Retry-After", async () => {
    const db = database({ url: "postgresql://postgres@127.0.0.1:1/conduit" });
    expect(toAppError(await failureOf(db.$queryRaw`SELECT 1`))).toMatchObject(unavailable);
    expect(toAppError(await failureOf(db.user.count()))).toMatchObject(unavailable);
    expect(
      toAppError(await failureOf(db.$transaction(async (tx) => tx.user.count()))),
    ).toMatchObject(unavailable);
  });

  it("when every pooled connection stays taken for the whole wait, then 503 that says busy, not down", async () => {
    const db = database({ poolSize: 1, connectTimeoutMs: 200 });
    const holding = db.$queryRawUnsafe("SELECT 1 AS one FROM pg_sleep(3)");
    const held = failureOf(holding);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const error = await failureOf(db.$queryRaw`SELECT 1`);
    await held;
    expect(toAppError(error)).toMatchObject({
      status: 503,
      code: "SERVICE_UNAVAILABLE",
      errors: { database: ["is busy, try again shortly"] },
      headers: { "Retry-After": "1" },
    });
  });

  it.each(["Connection terminated unexpectedly", "Query read timeout"])(
    "when node-postgres loses the connection (%s), then 503 with Retry-After",
    (message) => {
      // What Prisma rethrows from the adapter as it is; the fault tests provoke both for real.
      expect(toAppError(Object.assign(new Error(message), { clientVersion: "7" }))).toMatchObject(
        unavailable,
      );
    },
  );
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
