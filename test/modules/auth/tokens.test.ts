import { SignJWT } from "jose";
import type { ErrorBody } from "../../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../../support/auth";
import { ownRedisPrefix, useTestService, type TestService } from "../../support/service";

interface TokenPayload {
  sub: string;
  sid: string;
  role: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function decodePayload(token: string): TokenPayload {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as TokenPayload;
}

const DAY_SECONDS = 86_400;
const seconds = (ms: number) => Math.floor(ms / 1000);

/** The session a token names, when it started and when it ends at the latest. */
async function sessionOf(
  service: TestService,
  token: string,
): Promise<{ createdAt: number; expiresAt: number }> {
  const res = await fetch(`${service.url}/api/user/sessions`, { headers: tokenHeader(token) });
  expect(res.status).toBe(200);
  const { sessions } = (await res.json()) as {
    sessions: { id: string; createdAt: string; expiresAt: string }[];
  };
  const session = sessions.find(({ id }) => id === decodePayload(token).sid)!;
  return { createdAt: Date.parse(session.createdAt), expiresAt: Date.parse(session.expiresAt) };
}

async function refreshed(service: TestService, refreshToken: string): Promise<string> {
  const res = await postJson(`${service.url}/api/users/refresh`, { refreshToken });
  expect(res.status).toBe(200);
  return ((await res.json()) as { user: { token: string } }).user.token;
}

describe("access tokens", () => {
  const service = useTestService();
  let user: RegisteredUser;

  beforeEach(async () => {
    user = await registerUser(service);
  });

  const getUser = (headers: Record<string, string>) =>
    fetch(`${service.url}/api/user`, { headers });

  /** A token signed the way the service would, with any of its parts overridden. */
  async function forge(
    options: {
      secret?: string;
      alg?: string;
      issuer?: string;
      audience?: string;
      expiresAt?: number;
      issuedAt?: number;
      claims?: Record<string, unknown>;
      subject?: string;
    } = {},
  ): Promise<string> {
    const { auth } = service.container.config;
    const now = Math.floor(Date.now() / 1000);
    const { sid, sub, role } = decodePayload(user.token);
    return new SignJWT({ sid, role, ...options.claims })
      .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
      .setSubject(options.subject ?? sub)
      .setIssuer(options.issuer ?? auth.issuer)
      .setAudience(options.audience ?? auth.audience)
      .setIssuedAt(options.issuedAt ?? now)
      .setExpirationTime(options.expiresAt ?? now + 300)
      .sign(new TextEncoder().encode(options.secret ?? auth.jwtSecret));
  }

  async function expectTokenRefused(res: Response, message: string): Promise<void> {
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expect(body.errors).toEqual({ token: [message] });
    expect(body.code).toBe("UNAUTHENTICATED");
    const challenge = res.headers.get("www-authenticate");
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="invalid_token"');
  }

  it("when the service issues a token, then it is HS256 and names the user, the session, issuer and audience", () => {
    const [header] = user.token.split(".");
    expect(JSON.parse(Buffer.from(header!, "base64url").toString("utf8"))).toEqual({
      alg: "HS256",
      typ: "JWT",
    });
    const payload = decodePayload(user.token);
    const { auth } = service.container.config;
    expect(payload).toMatchObject({
      sub: String(user.id),
      role: "USER",
      iss: auth.issuer,
      aud: auth.audience,
    });
    expect(payload.sid).toMatch(/^[\w-]{22}$/);
    expect(user.refreshToken.startsWith(`${payload.sid}.`)).toBe(true);
  });

  it("when ACCESS_TOKEN_TTL_SECONDS is unset (the default), then a token, signed in or refreshed, lasts until its session's end: SESSION_MAX_AGE_SECONDS (30 days) after sign-in", async () => {
    const { auth } = service.container.config;
    expect(auth.accessTokenTtlSeconds).toBeUndefined();
    const session = await sessionOf(service, user.token);
    expect(session.expiresAt - session.createdAt).toBe(auth.sessionMaxAgeSeconds * 1000);

    const signIn = decodePayload(user.token);
    expect(signIn.exp).toBe(seconds(session.expiresAt));
    expect(signIn.exp - seconds(session.createdAt)).toBe(auth.sessionMaxAgeSeconds);
    // Long enough for a front end that never refreshes (7 days would do; it is 30).
    expect(signIn.exp - seconds(Date.now())).toBeGreaterThanOrEqual(7 * DAY_SECONDS);

    const later = decodePayload(await refreshed(service, user.refreshToken));
    expect(later.exp).toBe(signIn.exp);
  });

  it("when a token is forged with the service's own secret and claims, then it is accepted (control for the cases below)", async () => {
    const res = await getUser(tokenHeader(await forge()));
    expect(res.status).toBe(200);
  });

  it("when a validly signed token names another user with the caller's own live session, then 401 'has been revoked'", async () => {
    const other = await registerUser(service);
    const res = await getUser(tokenHeader(await forge({ subject: String(other.id) })));
    await expectTokenRefused(res, "has been revoked");
  });

  it("when no Authorization header is sent, then it answers 401 token 'is missing' with a WWW-Authenticate challenge", async () => {
    const res = await getUser({});
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expect(body.errors).toEqual({ token: ["is missing"] });
    expect(body.code).toBe("UNAUTHENTICATED");
    expect(typeof body.requestId).toBe("string");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="conduit"/);
  });

  it.each([
    ["only the scheme word", () => "Token"],
    ["another scheme", () => "Basic dXNlcjpwYXNz"],
    ["two values after the scheme", (token: string) => `Token ${token} extra`],
    ["no scheme at all", (token: string) => token],
    ["a scheme glued to the token", (token: string) => `Token${token}`],
    ["characters a JWT cannot hold", () => "Token abc$def.ghi"],
  ])(
    "when the header is malformed (%s), then it answers 401 token 'is invalid'",
    async (_name, build) => {
      const res = await getUser({ authorization: build(user.token) });
      await expectTokenRefused(res, "is invalid");
    },
  );

  it("when the header holds the right token under an unknown scheme, then it is refused", async () => {
    const res = await getUser({ authorization: `JWT ${user.token}` });
    await expectTokenRefused(res, "is invalid");
  });

  it("when a token is not a JWT at all, then it answers 401 token 'is invalid'", async () => {
    await expectTokenRefused(await getUser(tokenHeader("not-a-jwt")), "is invalid");
  });

  it("when one character of the signature is changed, then it answers 401 token 'is invalid'", async () => {
    const [header, payload, signature] = user.token.split(".") as [string, string, string];
    const flipped = signature.startsWith("A") ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    const res = await getUser(tokenHeader(`${header}.${payload}.${flipped}`));
    await expectTokenRefused(res, "is invalid");
  });

  it("when the payload is re-encoded with role ADMIN and the old signature kept, then it answers 401 token 'is invalid'", async () => {
    const [header, , signature] = user.token.split(".") as [string, string, string];
    const payload = { ...decodePayload(user.token), role: "ADMIN" };
    const res = await getUser(tokenHeader(`${header}.${base64url(payload)}.${signature}`));
    await expectTokenRefused(res, "is invalid");
  });

  it("when the payload names another user and the old signature is kept, then it is refused", async () => {
    const other = await registerUser(service);
    const [header, , signature] = user.token.split(".") as [string, string, string];
    const payload = { ...decodePayload(user.token), sub: String(other.id) };
    const res = await getUser(tokenHeader(`${header}.${base64url(payload)}.${signature}`));
    await expectTokenRefused(res, "is invalid");
  });

  it("when a token says alg 'none' and has no signature, then it answers 401 token 'is invalid'", async () => {
    const header = base64url({ alg: "none", typ: "JWT" });
    const token = `${header}.${base64url(decodePayload(user.token))}.`;
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token is signed with another secret, then it answers 401 token 'is invalid'", async () => {
    const token = await forge({ secret: "some-other-secret-that-is-long-enough-1234567890" });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token is HS512 signed with the right secret, then it is refused (one algorithm only)", async () => {
    const token = await forge({ alg: "HS512" });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token is HS384 signed with the right secret, then it is refused (one algorithm only)", async () => {
    const token = await forge({ alg: "HS384" });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token is for another audience, then it answers 401 token 'is invalid'", async () => {
    const token = await forge({ audience: "some-other-api" });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token comes from another issuer, then it answers 401 token 'is invalid'", async () => {
    const token = await forge({ issuer: "someone-else" });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token names a role that does not exist, then it is refused", async () => {
    const token = await forge({ claims: { role: "SUPERUSER" } });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token's subject is not a user id, then it is refused", async () => {
    const token = await forge({ subject: "admin" });
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a token has no session id, then it is refused", async () => {
    const token = await forge({ claims: { sid: undefined } });
    expect(decodePayload(token)).not.toHaveProperty("sid");
    await expectTokenRefused(await getUser(tokenHeader(token)), "is invalid");
  });

  it("when a correctly signed token has expired, then it answers 401 token 'has expired'", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await forge({ issuedAt: now - 3_600, expiresAt: now - 60 });
    await expectTokenRefused(await getUser(tokenHeader(token)), "has expired");
  });

  it("when a correctly signed token names a session that does not exist, then it answers 401 token 'has been revoked'", async () => {
    const token = await forge({ claims: { sid: "AAAAAAAAAAAAAAAAAAAAAA" } });
    await expectTokenRefused(await getUser(tokenHeader(token)), "has been revoked");
  });

  it("when the token's session has been logged out, then it answers 401 token 'has been revoked'", async () => {
    expect((await getUser(tokenHeader(user.token))).status).toBe(200);
    const logout = await postJson(`${service.url}/api/users/logout`, {}, tokenHeader(user.token));
    expect(logout.status).toBe(204);
    await expectTokenRefused(await getUser(tokenHeader(user.token)), "has been revoked");
  });
});

describe("access tokens with ACCESS_TOKEN_TTL_SECONDS set", () => {
  const TTL_SECONDS = 900;
  const service = useTestService({
    env: {
      ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
      REDIS_KEY_PREFIX: ownRedisPrefix("token-ttl"),
    },
  });

  it("when a user signs in, then the token lasts ACCESS_TOKEN_TTL_SECONDS", async () => {
    const { token } = await registerUser(service);
    const { iat, exp } = decodePayload(token);
    expect(exp - iat).toBe(TTL_SECONDS);
  });

  it("when the session ends sooner than the lifetime, then a refreshed token ends with the session, not after it", async () => {
    const user = await registerUser(service);
    // The session signed in long ago: its absolute end is two minutes away.
    const end = Date.now() + 120_000;
    await service.container.redis.hset(
      `session:${decodePayload(user.token).sid}`,
      "expiresAt",
      end,
    );

    const { iat, exp } = decodePayload(await refreshed(service, user.refreshToken));
    expect(exp).toBe(seconds(end));
    expect(exp - iat).toBeLessThan(TTL_SECONDS);
  });
});
