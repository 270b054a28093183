import { capturingLogger } from "../support/logs";
import { startTestService, type TestService } from "../support/service";

describe("request ids", () => {
  const { logger, lines } = capturingLogger();
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ logger });
  });
  afterAll(() => service.stop());

  const logLinesOf = (requestId: string) =>
    lines()
      .map((line) => JSON.parse(line) as { requestId?: string; msg: string })
      .filter((line) => line.requestId === requestId);

  it("when the caller sends a sane X-Request-Id, then it is kept, echoed and on the request's log lines", async () => {
    const response = await fetch(`${service.url}/health/live`, {
      headers: { "X-Request-Id": "edge-7f3a.42:b" },
    });
    expect(response.headers.get("x-request-id")).toBe("edge-7f3a.42:b");
    expect(logLinesOf("edge-7f3a.42:b").map((line) => line.msg)).toContain("request completed");
  });

  it.each([
    ["too long", "a".repeat(129)],
    ["with spaces and quotes", 'id "injected" value'],
  ])("when the incoming id is %s, then a fresh one replaces it", async (_why, incoming) => {
    const response = await fetch(`${service.url}/health/live`, {
      headers: { "X-Request-Id": incoming },
    });
    const id = response.headers.get("x-request-id");
    expect(id).not.toBe(incoming);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("when no id is sent, then each request gets its own", async () => {
    const [a, b] = await Promise.all([
      fetch(`${service.url}/health/live`),
      fetch(`${service.url}/health/live`),
    ]);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("when code logs while serving a request, then the line carries the id without it being passed", async () => {
    const response = await fetch(`${service.url}/nowhere`, {
      headers: { "X-Request-Id": "trace-me" },
    });
    expect(response.status).toBe(404);
    const completed = logLinesOf("trace-me");
    expect(completed).toHaveLength(1);
  });
});

describe("log redaction", () => {
  it("when requests and log calls carry passwords, tokens, cookies or Authorization, then no log line holds them", async () => {
    const { logger, lines } = capturingLogger("trace");
    const service = await startTestService({ logger });
    try {
      await fetch(`${service.url}/api/users/login?token=query-token-value&tag=kept`, {
        method: "POST",
        headers: {
          Authorization: "Token header-token-value",
          Cookie: "refreshToken=cookie-token-value",
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ user: { email: "a@b.c", password: "body-password-value" } }),
      });
      await fetch(`${service.url}/api/users`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: '{"user":{"password":"malformed-body-password"',
      });
      logger.info(
        {
          password: "top-password-value",
          user: { password: "nested-password-value", token: "nested-token-value" },
          session: {
            refreshToken: "refresh-token-value",
            tokens: { accessToken: "access-token-value" },
          },
          headers: { authorization: "Bearer bearer-token-value", cookie: "sid=cookie-value" },
          upstream: {
            Authorization: "Token capitalised-header-value",
            "Set-Cookie": "sid=set-cookie-value",
          },
        },
        "a log call with secrets",
      );
      logger.error(
        { err: Object.assign(new Error("boom"), { body: "raw body-secret-value" }) },
        "x",
      );
      // A Prisma validation error quotes the call's arguments in its message.
      const invalidCall: unknown = await service.container.db.user
        .create({ data: { passwordHash: "prisma-argument-value" } as never })
        .catch((caught: unknown) => caught);
      logger.error({ err: invalidCall }, "invalid prisma call");
    } finally {
      await service.stop();
    }

    const output = lines().join("\n");
    expect(output).toContain("a log call with secrets");
    expect(output).toContain("[redacted]");
    expect(output).toContain("tag=kept");
    expect(output).toMatch(/"msg":"invalid prisma call"/);
    expect(output).toContain("PrismaClientValidationError");
    expect(output).not.toMatch(/-value/);
    expect(output).not.toContain("malformed-body-password");
  });
});
