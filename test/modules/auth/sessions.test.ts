import { randomUUID } from "node:crypto";
import type { ErrorBody } from "../../support/api";
import {
  GOOD_PASSWORD,
  postJson,
  registerUser,
  registerWithRole,
  tokenHeader,
  type RegisteredUser,
} from "../../support/auth";
import { capturingLogger } from "../../support/logs";
import {
  ownRedisPrefix,
  startTestService,
  useTestService,
  type TestService,
} from "../../support/service";

interface SignedInBody {
  user: { username: string; token: string; refreshToken: string };
}

interface SessionBody {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const COOKIE_NAME = "__Secure-conduit-refresh";

function claimsOf(accessToken: string): { sid: string; exp: number } {
  const [, payload] = accessToken.split(".");
  return JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as {
    sid: string;
    exp: number;
  };
}

function sessionIdOf(accessToken: string): string {
  return claimsOf(accessToken).sid;
}

/** HTTP calls to one running service. */
function client(service: TestService) {
  return {
    refresh: (refreshToken: string) =>
      postJson(`${service.url}/api/users/refresh`, { refreshToken }),
    login: (email: string, password: string, userAgent = "jest-sessions") =>
      postJson(
        `${service.url}/api/users/login`,
        { user: { email, password } },
        {
          "user-agent": userAgent,
        },
      ),
    me: (token: string) => fetch(`${service.url}/api/user`, { headers: tokenHeader(token) }),
    logout: (token: string) =>
      fetch(`${service.url}/api/users/logout`, { method: "POST", headers: tokenHeader(token) }),
    logoutAll: (token: string) =>
      fetch(`${service.url}/api/users/logout-all`, {
        method: "POST",
        headers: tokenHeader(token),
      }),
    sessions: (token: string) =>
      fetch(`${service.url}/api/user/sessions`, { headers: tokenHeader(token) }),
    endSession: (token: string, id: string) =>
      fetch(`${service.url}/api/user/sessions/${encodeURIComponent(id)}`, {
        method: "DELETE",
        headers: tokenHeader(token),
      }),
  };
}

async function signedIn(res: Response): Promise<SignedInBody["user"]> {
  expect(res.status).toBe(200);
  return ((await res.json()) as SignedInBody).user;
}

async function expectUnauthenticated(res: Response, field: string, message: string) {
  expect(res.status).toBe(401);
  const body = (await res.json()) as ErrorBody;
  expect(body.errors).toEqual({ [field]: [message] });
  expect(body.code).toBe("UNAUTHENTICATED");
  expect(res.headers.get("www-authenticate")).not.toBeNull();
}

describe("sessions and refresh tokens", () => {
  const service = useTestService();
  const api = client(service);

  describe("POST /api/users/refresh", () => {
    it("when a refresh token is presented, then a new pair comes back, the old access token still works, and the new refresh token works", async () => {
      const user = await registerUser(service);
      const next = await signedIn(await api.refresh(user.refreshToken));
      expect(next.username).toBe(user.username);
      expect(next.refreshToken).not.toBe(user.refreshToken);
      expect(next.refreshToken).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
      expect(sessionIdOf(next.token)).toBe(sessionIdOf(user.token));
      expect(next.refreshToken.split(".")[0]).toBe(user.refreshToken.split(".")[0]);

      expect((await api.me(next.token)).status).toBe(200);
      expect((await api.me(user.token)).status).toBe(200);

      const third = await signedIn(await api.refresh(next.refreshToken));
      expect(third.refreshToken).not.toBe(next.refreshToken);
      expect((await api.me(third.token)).status).toBe(200);
    });

    it("when the same token is presented again within the grace window, then the same successor comes back and the session lives on", async () => {
      const user = await registerUser(service);
      const first = await signedIn(await api.refresh(user.refreshToken));
      const again = await signedIn(await api.refresh(user.refreshToken));
      expect(again.refreshToken).toBe(first.refreshToken);
      expect((await api.me(user.token)).status).toBe(200);
      expect((await api.me(again.token)).status).toBe(200);
      const onward = await signedIn(await api.refresh(first.refreshToken));
      expect((await api.me(onward.token)).status).toBe(200);
    });

    it("when two refreshes of one token race, then both succeed with the same successor", async () => {
      const user = await registerUser(service);
      const [a, b] = await Promise.all([
        api.refresh(user.refreshToken),
        api.refresh(user.refreshToken),
      ]);
      const [first, second] = [await signedIn(a), await signedIn(b)];
      expect(first.refreshToken).toBe(second.refreshToken);
      expect(first.refreshToken).not.toBe(user.refreshToken);
      expect((await api.me(first.token)).status).toBe(200);
      expect((await api.me(second.token)).status).toBe(200);
      expect((await api.refresh(first.refreshToken)).status).toBe(200);
    });

    it("when a token older than the previous one is presented (even inside the grace window), then the whole session is revoked", async () => {
      const user = await registerUser(service);
      const second = await signedIn(await api.refresh(user.refreshToken));
      const third = await signedIn(await api.refresh(second.refreshToken));
      await expectUnauthenticated(
        await api.refresh(user.refreshToken),
        "refreshToken",
        "was already used; the session has been ended",
      );
      await expectUnauthenticated(await api.me(third.token), "token", "has been revoked");
      await expectUnauthenticated(
        await api.refresh(third.refreshToken),
        "refreshToken",
        "is invalid or expired",
      );
    });

    it.each([
      ["garbage", "garbage"],
      ["well formed but unknown", `${"A".repeat(22)}.${"B".repeat(43)}`],
    ])(
      "when the refresh token is %s, then it answers 401 refreshToken 'is invalid or expired'",
      async (_name, token) => {
        await expectUnauthenticated(
          await api.refresh(token),
          "refreshToken",
          "is invalid or expired",
        );
      },
    );

    it("when the secret half belongs to another session, then it is refused", async () => {
      const a = await registerUser(service);
      const b = await registerUser(service);
      const mixed = `${a.refreshToken.split(".")[0]}.${b.refreshToken.split(".")[1]}`;
      await expectUnauthenticated(
        await api.refresh(mixed),
        "refreshToken",
        "is invalid or expired",
      );
      expect((await api.me(a.token)).status).toBe(200);
    });

    it("when an access token is presented as the refresh token, then it is refused", async () => {
      const user = await registerUser(service);
      await expectUnauthenticated(
        await api.refresh(user.token),
        "refreshToken",
        "is invalid or expired",
      );
    });

    it("when no refresh token is sent, then it answers 401 refreshToken 'is missing'", async () => {
      await expectUnauthenticated(
        await postJson(`${service.url}/api/users/refresh`, {}),
        "refreshToken",
        "is missing",
      );
      await expectUnauthenticated(
        await fetch(`${service.url}/api/users/refresh`, { method: "POST" }),
        "refreshToken",
        "is missing",
      );
    });

    it("when the refresh token is empty or not a string, then it answers 422", async () => {
      for (const refreshToken of ["", null, 42]) {
        const res = await postJson(`${service.url}/api/users/refresh`, { refreshToken });
        expect(res.status).toBe(422);
        expect(((await res.json()) as ErrorBody).errors.refreshToken).toBeDefined();
      }
    });

    it("when the user has been banned since sign-in, then refresh is refused and the session ends", async () => {
      const user = await registerUser(service);
      await service.container.db.user.update({
        where: { id: user.id },
        data: { status: "BANNED" },
      });
      await expectUnauthenticated(
        await api.refresh(user.refreshToken),
        "refreshToken",
        "is invalid or expired",
      );
      await expectUnauthenticated(await api.me(user.token), "token", "has been revoked");
    });
  });

  describe("POST /api/users/logout and /logout-all", () => {
    it("when a session logs out, then its access and refresh tokens stop working and other sessions keep working", async () => {
      const user = await registerUser(service);
      const other = await signedIn(await api.login(user.email, user.password));

      const res = await api.logout(user.token);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");

      await expectUnauthenticated(await api.me(user.token), "token", "has been revoked");
      await expectUnauthenticated(
        await api.refresh(user.refreshToken),
        "refreshToken",
        "is invalid or expired",
      );
      expect((await api.me(other.token)).status).toBe(200);
      expect((await api.refresh(other.refreshToken)).status).toBe(200);
    });

    it("when logout is called without a token, then it answers 401 token 'is missing'", async () => {
      await expectUnauthenticated(
        await fetch(`${service.url}/api/users/logout`, { method: "POST" }),
        "token",
        "is missing",
      );
    });

    it("when logout-all is called, then every session of the user ends, and other users' do not", async () => {
      const user = await registerUser(service);
      const second = await signedIn(await api.login(user.email, user.password));
      const third = await signedIn(await api.login(user.email, user.password));
      const stranger = await registerUser(service);

      expect((await api.logoutAll(second.token)).status).toBe(204);

      for (const token of [user.token, second.token, third.token]) {
        await expectUnauthenticated(await api.me(token), "token", "has been revoked");
      }
      for (const refreshToken of [user.refreshToken, second.refreshToken, third.refreshToken]) {
        expect((await api.refresh(refreshToken)).status).toBe(401);
      }
      expect((await api.me(stranger.token)).status).toBe(200);
      const again = await signedIn(await api.login(user.email, user.password));
      expect((await api.me(again.token)).status).toBe(200);
    });
  });

  describe("GET and DELETE /api/user/sessions", () => {
    it("when the user has several sessions, then each is listed with its details and exactly one is current", async () => {
      const user = await registerUser(service);
      const firefox = await signedIn(await api.login(user.email, user.password, "Firefox/140"));
      const curl = await signedIn(await api.login(user.email, user.password, "curl/8.0"));

      const res = await api.sessions(firefox.token);
      expect(res.status).toBe(200);
      const { sessions } = (await res.json()) as { sessions: SessionBody[] };
      expect(sessions).toHaveLength(3);
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(
          ["createdAt", "current", "expiresAt", "id", "ip", "lastUsedAt", "userAgent"].sort(),
        );
        expect(session.createdAt).toMatch(ISO_DATE);
        expect(session.lastUsedAt).toMatch(ISO_DATE);
        expect(session.expiresAt).toMatch(ISO_DATE);
        expect(session.ip).toBe("127.0.0.1");
      }
      expect(new Set(sessions.map((session) => session.id)).size).toBe(3);
      expect(sessions.map((session) => session.id).sort()).toEqual(
        [user.token, firefox.token, curl.token].map(sessionIdOf).sort(),
      );
      const current = sessions.filter((session) => session.current);
      expect(current).toHaveLength(1);
      expect(current[0]!.id).toBe(sessionIdOf(firefox.token));
      expect(current[0]!.userAgent).toBe("Firefox/140");
      expect(sessions.find((s) => s.id === sessionIdOf(curl.token))!.userAgent).toBe("curl/8.0");
      // Refresh tokens and their hashes are never part of the listing.
      expect(JSON.stringify(sessions)).not.toContain(firefox.refreshToken.split(".")[1]);
    });

    it("when a session is refreshed, then it moves to the top with a later lastUsedAt", async () => {
      const user = await registerUser(service);
      const other = await signedIn(await api.login(user.email, user.password));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await signedIn(await api.refresh(user.refreshToken));
      const { sessions } = (await (await api.sessions(other.token)).json()) as {
        sessions: SessionBody[];
      };
      expect(sessions[0]!.id).toBe(sessionIdOf(user.token));
      expect(Date.parse(sessions[0]!.lastUsedAt)).toBeGreaterThan(
        Date.parse(sessions[0]!.createdAt),
      );
    });

    it("when one of the user's sessions is deleted, then 204, it stops working, and deleting it again is 404", async () => {
      const user = await registerUser(service);
      const other = await signedIn(await api.login(user.email, user.password));
      const otherId = sessionIdOf(other.token);

      const res = await api.endSession(user.token, otherId);
      expect(res.status).toBe(204);
      await expectUnauthenticated(await api.me(other.token), "token", "has been revoked");
      expect((await api.refresh(other.refreshToken)).status).toBe(401);
      expect((await api.me(user.token)).status).toBe(200);

      const again = await api.endSession(user.token, otherId);
      expect(again.status).toBe(404);
      expect(((await again.json()) as ErrorBody).errors).toEqual({ session: ["not found"] });
    });

    it("when the caller deletes their own current session, then their token stops working", async () => {
      const user = await registerUser(service);
      expect((await api.endSession(user.token, sessionIdOf(user.token))).status).toBe(204);
      await expectUnauthenticated(await api.me(user.token), "token", "has been revoked");
    });

    it("when the session id belongs to another user, then 404 and that session keeps working", async () => {
      const user = await registerUser(service);
      const victim = await registerUser(service);
      const res = await api.endSession(user.token, sessionIdOf(victim.token));
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorBody).errors).toEqual({ session: ["not found"] });
      expect((await api.me(victim.token)).status).toBe(200);
      expect((await api.refresh(victim.refreshToken)).status).toBe(200);
    });

    it("when the sessions are listed without a token, then it answers 401", async () => {
      await expectUnauthenticated(
        await fetch(`${service.url}/api/user/sessions`),
        "token",
        "is missing",
      );
    });
  });

  describe("password change", () => {
    it("when the password changes through PUT /api/user, then every other session ends and the current one goes on", async () => {
      const user = await registerUser(service);
      const other = await signedIn(await api.login(user.email, user.password));

      const res = await postJson(
        `${service.url}/api/user`,
        { user: { password: "an entirely new passphrase" } },
        tokenHeader(user.token),
        "PUT",
      );
      expect(res.status).toBe(200);

      await expectUnauthenticated(await api.me(other.token), "token", "has been revoked");
      expect((await api.refresh(other.refreshToken)).status).toBe(401);
      expect((await api.me(user.token)).status).toBe(200);
      expect((await api.refresh(user.refreshToken)).status).toBe(200);
      const { sessions } = (await (await api.sessions(user.token)).json()) as {
        sessions: SessionBody[];
      };
      expect(sessions.map((session) => session.id)).toEqual([sessionIdOf(user.token)]);
    });

    it("when other fields change without the password, then the other sessions go on", async () => {
      const user = await registerUser(service);
      const other = await signedIn(await api.login(user.email, user.password));
      const res = await postJson(
        `${service.url}/api/user`,
        { user: { bio: "new bio" } },
        tokenHeader(user.token),
        "PUT",
      );
      expect(res.status).toBe(200);
      expect((await api.me(other.token)).status).toBe(200);
    });
  });
});

describe("sign-ins racing a password change", () => {
  it("when sign-ins with the old password overlap a password change, then none of their sessions survive it", async () => {
    // A high per-account limit, so the burst is not simply locked out.
    const service = await startTestService({
      env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: "1000", REDIS_KEY_PREFIX: ownRedisPrefix("race") },
    });
    try {
      const api = client(service);
      const user = await registerUser(service);
      const logins = Array.from({ length: 30 }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 3)).then(() =>
          api.login(user.email, user.password),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 40));
      const change = await postJson(
        `${service.url}/api/user`,
        { user: { password: "a password set mid-burst" } },
        tokenHeader(user.token),
        "PUT",
      );
      expect(change.status).toBe(200);
      const statuses = await Promise.all(logins.map(async (login) => (await login).status));
      expect(statuses.every((status) => status === 200 || status === 401)).toBe(true);

      const { sessions } = (await (await api.sessions(user.token)).json()) as {
        sessions: SessionBody[];
      };
      expect(sessions.map((session) => session.id)).toEqual([sessionIdOf(user.token)]);
    } finally {
      await service.stop();
    }
  });
});

describe("sessions per user", () => {
  it("when a user signs in past MAX_SESSIONS_PER_USER, then the oldest sessions end", async () => {
    const service = await startTestService({
      env: { MAX_SESSIONS_PER_USER: "3", REDIS_KEY_PREFIX: ownRedisPrefix("cap") },
    });
    try {
      const api = client(service);
      const user = await registerUser(service);
      const later = [];
      for (let i = 0; i < 3; i++)
        later.push(await signedIn(await api.login(user.email, user.password)));

      await expectUnauthenticated(await api.me(user.token), "token", "has been revoked");
      const { sessions } = (await (await api.sessions(later[2]!.token)).json()) as {
        sessions: SessionBody[];
      };
      expect(sessions.map((session) => session.id).sort()).toEqual(
        later.map((body) => sessionIdOf(body.token)).sort(),
      );
    } finally {
      await service.stop();
    }
  });
});

describe("refresh token reuse after the grace window", () => {
  it("when a rotated token is presented again after the grace window, then the session is revoked and the reuse is logged", async () => {
    const { logger, lines } = capturingLogger();
    const service = await startTestService({
      env: { REFRESH_REUSE_GRACE_SECONDS: "0", REDIS_KEY_PREFIX: ownRedisPrefix("reuse") },
      logger,
    });
    try {
      const api = client(service);
      const user = await registerUser(service);
      const next = await signedIn(await api.refresh(user.refreshToken));
      await new Promise((resolve) => setTimeout(resolve, 5));

      await expectUnauthenticated(
        await api.refresh(user.refreshToken),
        "refreshToken",
        "was already used; the session has been ended",
      );
      await expectUnauthenticated(await api.me(user.token), "token", "has been revoked");
      await expectUnauthenticated(await api.me(next.token), "token", "has been revoked");
      await expectUnauthenticated(
        await api.refresh(next.refreshToken),
        "refreshToken",
        "is invalid or expired",
      );

      const reuse = lines()
        .map((line) => JSON.parse(line) as { event?: string; userId?: number; sessionId?: string })
        .filter((line) => line.event === "auth.refresh_token_reuse");
      expect(reuse).toHaveLength(1);
      expect(reuse[0]).toMatchObject({ userId: user.id, sessionId: sessionIdOf(user.token) });

      // A sign-in after the revocation starts afresh.
      const again = await signedIn(await api.login(user.email, user.password));
      expect((await api.me(again.token)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe("refresh token in a cookie", () => {
  let service: TestService;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    service = await startTestService({
      env: { REFRESH_TOKEN_COOKIE: "true", REDIS_KEY_PREFIX: ownRedisPrefix("cookie") },
    });
    api = client(service);
  });
  afterAll(() => service.stop());

  function refreshCookieOf(res: Response): string | undefined {
    return res.headers.getSetCookie().find((cookie) => cookie.startsWith(`${COOKIE_NAME}=`));
  }

  function attributesOf(cookie: string): string[] {
    return cookie
      .split(";")
      .slice(1)
      .map((part) => part.trim().toLowerCase());
  }

  /** `name=value`, the part of a Set-Cookie a browser sends back. */
  function sentBack(res: Response): string {
    return refreshCookieOf(res)!.split(";")[0]!;
  }

  const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

  function refreshWithCookie(cookie: string, contentType = "application/json") {
    return fetch(`${service.url}/api/users/refresh`, {
      method: "POST",
      headers: { "content-type": contentType, cookie },
      body: contentType === "application/json" ? "{}" : "",
    });
  }

  it("when the user signs in, then the refresh token is an HttpOnly, Secure, SameSite=Strict cookie on /api/users and is left out of the body", async () => {
    const user = await registerUser(service);
    const res = await api.login(user.email, user.password);
    const body = await signedIn(res);
    expect(body).not.toHaveProperty("refreshToken");
    const cookie = refreshCookieOf(res);
    expect(cookie).toBeDefined();
    expect(cookie!.split(";")[0]!.slice(COOKIE_NAME.length + 1)).toMatch(REFRESH_TOKEN_SHAPE);
    const attributes = attributesOf(cookie!);
    expect(attributes).toEqual(
      expect.arrayContaining(["httponly", "secure", "samesite=strict", "path=/api/users"]),
    );
    expect(attributes.some((a) => a.startsWith("max-age=") && Number(a.slice(8)) > 0)).toBe(true);
  });

  it("when the user registers, then the cookie is set and the body has no refresh token", async () => {
    const res = await postJson(`${service.url}/api/users`, {
      user: {
        username: `cookie_${randomUUID().slice(0, 8)}`,
        email: `${randomUUID()}@example.com`,
        password: GOOD_PASSWORD,
      },
    });
    expect(res.status).toBe(201);
    const { user } = (await res.json()) as SignedInBody;
    expect(user).not.toHaveProperty("refreshToken");
    expect(sentBack(res).slice(COOKIE_NAME.length + 1)).toMatch(REFRESH_TOKEN_SHAPE);
  });

  it("when refresh is sent as JSON with only the cookie, then it rotates and sets the successor in the cookie; logout clears it", async () => {
    const user = await registerUser(service);
    const login = await api.login(user.email, user.password);
    const cookie = sentBack(login);

    const res = await refreshWithCookie(cookie);
    const next = await signedIn(res);
    expect(next).not.toHaveProperty("refreshToken");
    const nextCookie = sentBack(res);
    expect(nextCookie).not.toBe(cookie);
    expect((await api.me(next.token)).status).toBe(200);

    const logout = await fetch(`${service.url}/api/users/logout`, {
      method: "POST",
      headers: { ...tokenHeader(next.token), cookie: nextCookie },
    });
    expect(logout.status).toBe(204);
    const cleared = refreshCookieOf(logout);
    expect(cleared).toBeDefined();
    expect(cleared!.split(";")[0]).toBe(`${COOKIE_NAME}=`);
    const attributes = attributesOf(cleared!);
    expect(attributes).toEqual(expect.arrayContaining(["path=/api/users"]));
    const expires = attributes.find((a) => a.startsWith("expires="));
    expect(expires).toBeDefined();
    expect(Date.parse(expires!.slice("expires=".length))).toBeLessThan(Date.now());

    expect((await refreshWithCookie(nextCookie)).status).toBe(401);
  });

  it.each(["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"])(
    "when a refresh authorised by the cookie alone is sent as %s (what a cross-site form can send), then 415 and the token is not used",
    async (contentType) => {
      const user = await registerUser(service);
      const cookie = sentBack(await api.login(user.email, user.password));

      const forged = await refreshWithCookie(cookie, contentType);
      expect(forged.status).toBe(415);
      expect(forged.headers.getSetCookie()).toEqual([]);

      // Not rotated, so not burnt: the real front end's next refresh still works.
      expect((await refreshWithCookie(cookie)).status).toBe(200);
    },
  );

  it("when the cookie is off (the default), then login sets no cookie and a cookie alone does not refresh", async () => {
    const plain = await startTestService({ env: { REDIS_KEY_PREFIX: ownRedisPrefix("nocookie") } });
    try {
      const user = await registerUser(plain);
      const res = await postJson(`${plain.url}/api/users/login`, {
        user: { email: user.email, password: user.password },
      });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
      const refresh = await fetch(`${plain.url}/api/users/refresh`, {
        method: "POST",
        headers: { cookie: `${COOKIE_NAME}=${user.refreshToken}` },
      });
      await expectUnauthenticated(refresh, "refreshToken", "is missing");
    } finally {
      await plain.stop();
    }
  });
});

describe("two instances of the service", () => {
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    const env = { REDIS_KEY_PREFIX: ownRedisPrefix("pair") };
    a = await startTestService({ env });
    b = await startTestService({ env });
  });
  afterAll(() => Promise.all([a.stop(), b.stop()]));

  it.each<[string, (user: RegisteredUser) => Promise<Response>, number]>([
    ["the session logs out", (user) => client(a).logout(user.token), 204],
    [
      "an admin bans the user",
      async (user) => {
        const admin = await registerWithRole(a, "ADMIN");
        const path = `/api/admin/users/${user.username}/ban`;
        return postJson(`${a.url}${path}`, {}, tokenHeader(admin.token));
      },
      200,
    ],
    [
      "an admin changes the user's role",
      async (user) => {
        const admin = await registerWithRole(a, "ADMIN");
        const path = `/api/admin/users/${user.username}/role`;
        return postJson(
          `${a.url}${path}`,
          { role: "MODERATOR" },
          tokenHeader(admin.token),
          "PATCH",
        );
      },
      200,
    ],
    [
      "the user changes the password in another session",
      async (user) => {
        const other = await signedIn(await client(a).login(user.email, user.password));
        const changes = { user: { password: "a password changed elsewhere" } };
        return postJson(`${a.url}/api/user`, changes, tokenHeader(other.token), "PUT");
      },
      200,
    ],
  ])(
    "when %s on one instance, then the other refuses the sign-in token at once, weeks before it expires",
    async (_what, end, status) => {
      const user = await registerUser(a);
      expect(claimsOf(user.token).exp * 1000 - Date.now()).toBeGreaterThan(7 * 86_400_000);
      expect((await client(b).me(user.token)).status).toBe(200);
      expect((await end(user)).status).toBe(status);
      await expectUnauthenticated(await client(b).me(user.token), "token", "has been revoked");
    },
  );

  it("when a token is refreshed on one instance, then the rotated token is known to be used on the other", async () => {
    const user = await registerUser(a);
    const next = await signedIn(await client(a).refresh(user.refreshToken));
    const onB = await signedIn(await client(b).refresh(next.refreshToken));
    expect((await client(a).me(onB.token)).status).toBe(200);
  });
});

describe("Redis keys", () => {
  it("when the service has signed users in, refreshed, failed and locked sign-ins and rate-limited, then every key it wrote has a TTL", async () => {
    const prefix = ownRedisPrefix("ttl");
    const service = await startTestService({
      env: { REDIS_KEY_PREFIX: prefix, LOGIN_MAX_FAILURES_PER_ACCOUNT: "2" },
    });
    try {
      const api = client(service);
      const locked = await registerUser(service);
      expect((await api.login(locked.email, "a wrong password")).status).toBe(401);
      expect((await api.login(locked.email, "a wrong password")).status).toBe(401);
      expect((await api.login(locked.email, locked.password)).status).toBe(429);
      const user = await registerUser(service);
      const second = await signedIn(await api.login(user.email, user.password));
      const r1 = await signedIn(await api.refresh(user.refreshToken));
      const r2 = await signedIn(await api.refresh(r1.refreshToken));
      await signedIn(await api.refresh(r2.refreshToken));
      expect((await api.login(user.email, "a wrong password")).status).toBe(401);
      expect((await api.login("nobody@example.com", "a wrong password")).status).toBe(401);
      expect((await api.logout(second.token)).status).toBe(204);

      const { redis } = service.container;
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== "0");

      const unprefixed = keys.map((key) => key.slice(prefix.length));
      const sid = sessionIdOf(user.token);
      expect(unprefixed).toEqual(
        expect.arrayContaining([
          `session:${sid}`,
          `session:${sid}:used`,
          `user-sessions:${user.id}`,
        ]),
      );
      expect(unprefixed.some((key) => key.startsWith("rate:register"))).toBe(true);
      expect(unprefixed.some((key) => key.startsWith("rate:refresh"))).toBe(true);
      expect(unprefixed.some((key) => key.startsWith("login:failures:account"))).toBe(true);
      expect(unprefixed.some((key) => key.startsWith("login:failures:ip"))).toBe(true);
      expect(unprefixed.some((key) => key.startsWith("login:lock:account"))).toBe(true);
      expect(unprefixed).not.toContain(`session:${sessionIdOf(second.token)}`);

      const ttls = await Promise.all(
        unprefixed.map(async (key) => [key, await redis.ttl(key)] as const),
      );
      const withoutTtl = ttls.filter(([, ttl]) => ttl <= 0);
      expect(withoutTtl).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});
