import { registerUser, registerWithRole, tokenHeader } from "../support/auth";
import { withAuditInsertsFailing } from "../support/database";
import { createArticle } from "../support/factories";
import { capturingLogger } from "../support/logs";
import { startTestService, type TestService, useTestService } from "../support/service";

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

describe("the request log", () => {
  const { logger, lines } = capturingLogger();
  const service = useTestService({ logger });

  interface LogLine {
    level: number;
    msg: string;
    requestId?: string;
    statusCode?: number;
    res?: { statusCode: number };
    err?: { message: string; stack: string };
  }

  /**
   * The lines of one request, read once a later request's line is there:
   * lines are written in order, so none of the earlier request's is pending.
   */
  async function settledLinesOf(requestId: string): Promise<LogLine[]> {
    const marker = `after-${requestId}`;
    await (
      await fetch(`${service.url}/health/live`, { headers: { "X-Request-Id": marker } })
    ).text();
    const entries = lines().map((line) => JSON.parse(line) as LogLine);
    expect(entries.some((entry) => entry.requestId === marker)).toBe(true);
    return entries.filter((entry) => entry.requestId === requestId);
  }

  it("when a request fails with a server error, then it has one line, at error level, with the error, its stack and the request id", async () => {
    const author = await registerUser(service);
    const moderator = await registerWithRole(service, "MODERATOR");
    const stored = await createArticle(service.container.db, author.id);

    let status = 0;
    await withAuditInsertsFailing(service.container.db, async () => {
      const response = await fetch(`${service.url}/api/articles/${stored.slug}`, {
        method: "DELETE",
        headers: { ...tokenHeader(moderator.token), "X-Request-Id": "server-error-once" },
      });
      await response.text();
      status = response.status;
    });

    expect(status).toBeGreaterThanOrEqual(500);
    const entries = await settledLinesOf("server-error-once");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 50,
      msg: "request failed",
      requestId: "server-error-once",
      statusCode: status,
    });
    expect(entries[0]?.err?.message).toContain("audit_log refused by the test");
    expect(entries[0]?.err?.stack).toMatch(/\n\s+at /);
  });

  it("when a request fails with a client error, then it has one info line with the status and no error", async () => {
    const response = await fetch(`${service.url}/api/articles/no-such-article`, {
      headers: { "X-Request-Id": "client-error-once" },
    });
    expect(response.status).toBe(404);

    const entries = await settledLinesOf("client-error-once");
    expect(entries).toEqual([
      expect.objectContaining({ level: 30, msg: "request completed", res: { statusCode: 404 } }),
    ]);
    expect(entries[0]?.err).toBeUndefined();
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
