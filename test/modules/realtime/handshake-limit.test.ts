import { connectError, connectSocket, openSocket, useTwoInstances } from "../../support/realtime";
import { registerUser } from "../../support/auth";
import { startTestService, type TestService } from "../../support/service";

/** A polling handshake as a browser's first request makes it, from `forwardedFor` when given. */
function pollingHandshake(service: TestService, forwardedFor?: string): Promise<Response> {
  return fetch(`${service.url}/socket.io/?EIO=4&transport=polling`, {
    headers: forwardedFor === undefined ? {} : { "X-Forwarded-For": forwardedFor },
  });
}

describe("socket handshakes per client address", () => {
  const instances = useTwoInstances({
    env: { SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: "3", TRUST_PROXY: "loopback" },
  });

  it("are counted across instances, and the one past the limit is refused with when to retry", async () => {
    const { a, b } = instances;
    await connectSocket(a);
    await connectSocket(b);
    await connectSocket(a);

    const refused = await pollingHandshake(b);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { code: number; message: string };
    expect(body.code).toBe(4);
    expect(body.message).toMatch(/^too many connections from this address; try again in \d+ s$/);
    await expect(connectError(openSocket(a))).resolves.toBeInstanceOf(Error);
    expect((await fetch(`${a.url}/health/live`)).status).toBe(200);
  });

  it("go by the forwarded address behind a trusted proxy, so one busy client does not lock out others", async () => {
    const { a } = instances;
    for (let i = 0; i < 3; i++) expect((await pollingHandshake(a, "203.0.113.7")).status).toBe(200);
    expect((await pollingHandshake(a, "203.0.113.7")).status).toBe(403);
    expect((await pollingHandshake(a, "198.51.100.9")).status).toBe(200);
  });

  it("count an IPv6 client by its /64, so rotating addresses within it does not escape the limit", async () => {
    const { a } = instances;
    for (let i = 1; i <= 3; i++) {
      expect((await pollingHandshake(a, `2001:db8:1:2::${i}`)).status).toBe(200);
    }
    expect((await pollingHandshake(a, "2001:db8:1:2:ffff::9")).status).toBe(403);
  });
});

describe("socket handshakes while Redis is away", () => {
  it("when Redis cannot be reached, then anonymous sockets still connect, counted per instance, and one with a token is refused with SERVICE_UNAVAILABLE and when to retry", async () => {
    const reachable = await startTestService();
    const away = await startTestService({
      env: { REDIS_URL: "redis://127.0.0.1:1", SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: "3" },
    });
    try {
      const { token } = await registerUser(reachable);

      const refusal = await connectError(openSocket(away, { token }));
      expect(refusal.data).toEqual({
        code: "SERVICE_UNAVAILABLE",
        message: "redis is unavailable, try again shortly",
        retryAfterSeconds: 1,
      });
      (await connectSocket(away)).disconnect();
      expect((await pollingHandshake(away)).status).toBe(200);

      const refused = await pollingHandshake(away);
      expect(refused.status).toBe(403);
      const body = (await refused.json()) as { message: string };
      expect(body.message).toMatch(/^too many connections from this address/);
    } finally {
      await Promise.all([reachable.stop(), away.stop()]);
    }
  });
});
