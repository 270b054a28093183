import type { Request } from "express";
import type { ErrorBody } from "../../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../../support/auth";
import { useTestService } from "../../support/service";

const MINUTE_MS = 60_000;

function sessionIdOf(accessToken: string): string {
  const [, payload] = accessToken.split(".");
  return (JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as { sid: string }).sid;
}

// These tests read and set the session's record in the service's own Redis
// (its client adds the key prefix), to make a session look as it would after
// hours or weeks without waiting for them.
describe("each use of a session restarts its idle clock", () => {
  const service = useTestService();

  const me = (token: string) => fetch(`${service.url}/api/user`, { headers: tokenHeader(token) });
  const idleTtlMs = () => service.container.config.auth.sessionIdleTtlSeconds * 1000;

  /** The session's Redis keys, as the session store names them. */
  function keysOf(user: RegisteredUser) {
    const sid = sessionIdOf(user.token);
    return { session: `session:${sid}`, used: `session:${sid}:used` };
  }

  it("when two layers ask who made one request, then its session is checked once, and a new request is checked again", async () => {
    const user = await registerUser(service);
    const { authenticator } = service.container;
    const requestWith = (token: string) =>
      ({
        get: (name: string) =>
          name.toLowerCase() === "authorization" ? `Token ${token}` : undefined,
      }) as unknown as Request;
    const request = requestWith(user.token);

    const first = await authenticator.fromRequest(request);
    expect(first?.userId).toBe(user.id);
    // The session ends after the first check: the same request keeps its one answer,
    // where a second check would have refused it.
    await service.container.redis.del(keysOf(user).session);
    expect(await authenticator.fromRequest(request)).toBe(first);
    await expect(authenticator.fromRequest(requestWith(user.token))).rejects.toThrow();
  });

  async function lastUsedAtOf(user: RegisteredUser): Promise<number> {
    return Number(await service.container.redis.hget(keysOf(user).session, "lastUsedAt"));
  }

  /** The session was last used `idleForMs` ago, and Redis would drop it in `leftMs`. */
  async function makeIdle(user: RegisteredUser, idleForMs: number, leftMs: number): Promise<void> {
    const { redis } = service.container;
    const { session, used } = keysOf(user);
    await redis.hset(session, "lastUsedAt", Date.now() - idleForMs);
    await redis.pexpire(session, leftMs);
    await redis.pexpire(used, leftMs);
  }

  it("when a session unused for ten minutes is used, then lastUsedAt is now and the session (and its used tokens) live the idle TTL again", async () => {
    const user = await registerUser(service);
    // Two rotations, so the list of used refresh tokens exists too.
    let refreshToken = user.refreshToken;
    for (let i = 0; i < 2; i += 1) {
      const res = await postJson(`${service.url}/api/users/refresh`, { refreshToken });
      expect(res.status).toBe(200);
      refreshToken = ((await res.json()) as { user: { refreshToken: string } }).user.refreshToken;
    }
    await makeIdle(user, 10 * MINUTE_MS, MINUTE_MS);

    const before = Date.now();
    expect((await me(user.token)).status).toBe(200);

    expect(await lastUsedAtOf(user)).toBeGreaterThanOrEqual(before);
    const { redis } = service.container;
    const { session, used } = keysOf(user);
    for (const key of [session, used]) {
      // Back to a week (less the moments since), from the minute it had left.
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(idleTtlMs() - 10 * MINUTE_MS);
      expect(ttl).toBeLessThanOrEqual(idleTtlMs());
    }
  });

  it("when the session was used less than a minute ago, then a request writes nothing: lastUsedAt and the TTL stay", async () => {
    const user = await registerUser(service);
    await makeIdle(user, 10 * MINUTE_MS, MINUTE_MS);
    expect((await me(user.token)).status).toBe(200);
    const touched = await lastUsedAtOf(user);
    await service.container.redis.pexpire(keysOf(user).session, 10 * MINUTE_MS);

    expect((await me(user.token)).status).toBe(200);

    expect(await lastUsedAtOf(user)).toBe(touched);
    expect(await service.container.redis.pttl(keysOf(user).session)).toBeLessThanOrEqual(
      10 * MINUTE_MS,
    );
  });

  it("when a check is made for an open connection without its client doing anything (use: false), then the session is not touched, while a check for a client's event is", async () => {
    const user = await registerUser(service);
    const { authenticator } = service.container;
    const who = { sessionId: sessionIdOf(user.token), userId: user.id };
    await makeIdle(user, 10 * MINUTE_MS, MINUTE_MS);
    const idleSince = await lastUsedAtOf(user);

    // What a live connection's periodic sweep asks: live, but not used.
    expect(await authenticator.isActive(who, { use: false })).toBe(true);
    expect(await lastUsedAtOf(user)).toBe(idleSince);
    expect(await service.container.redis.pttl(keysOf(user).session)).toBeLessThanOrEqual(MINUTE_MS);

    // What a client event asks: that is use.
    expect(await authenticator.isActive(who, { use: true })).toBe(true);
    expect(await lastUsedAtOf(user)).toBeGreaterThan(idleSince);
  });

  it("when the session's absolute end is nearer than the idle TTL, then a use keeps it only until that end", async () => {
    const user = await registerUser(service);
    const { session } = keysOf(user);
    await service.container.redis.hset(session, "expiresAt", Date.now() + 10 * MINUTE_MS);
    await makeIdle(user, 10 * MINUTE_MS, MINUTE_MS);

    expect((await me(user.token)).status).toBe(200);

    const ttl = await service.container.redis.pttl(session);
    expect(ttl).toBeGreaterThan(MINUTE_MS);
    expect(ttl).toBeLessThanOrEqual(10 * MINUTE_MS);
  });

  it("when the session's absolute end has passed, then its token is refused (401 'has been revoked') though the key is still there", async () => {
    const user = await registerUser(service);
    const { session } = keysOf(user);
    await service.container.redis.hset(session, "expiresAt", Date.now() - 1_000);
    expect(await service.container.redis.exists(session)).toBe(1);

    const res = await me(user.token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).errors).toEqual({ token: ["has been revoked"] });
  });
});
