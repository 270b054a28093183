import type { Role } from "../../../src/generated/prisma/client";
import { AccessTokens } from "../../../src/modules/auth/access-token";
import { apiUrl, followUser, publishArticle, publishComment } from "../../support/api";
import {
  postJson,
  registerUser,
  registerWithRole,
  tokenHeader,
  type RegisteredUser,
} from "../../support/auth";
import {
  type ClientSocket,
  collect,
  connectError,
  connectSocket,
  disconnected,
  joinArticle,
  nextEvent,
  openSocket,
  request,
  useTwoInstances,
} from "../../support/realtime";
import { type TestService, useTestService } from "../../support/service";

const REVOKED = { message: "the session has ended; sign in again and reconnect" };
const EXPIRED = {
  message:
    "the access token has expired; refresh it and reconnect, or send auth:refresh before it expires",
};

/** The session id and expiry (epoch seconds) an access token names. */
function claimsOf(token: string): { sid: string; exp: number } {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as {
    sid: string;
    exp: number;
  };
}

/** The ack of a client event refused with this code. */
const refused = (code: string) => ({
  ok: false,
  error: expect.objectContaining({ code }) as unknown,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lifetime of a token meant to expire while its socket is connected: long
 * enough that connecting and refreshing on a busy machine finish well before it.
 */
const SHORT_TTL_SECONDS = 8;
/** A test that waits out a SHORT_TTL_SECONDS token, with room for its own work. */
const OUTLIVES_SHORT_TTL_MS = 2 * SHORT_TTL_SECONDS * 1000 + 20_000;

/** The longest delay one Node.js timer can wait (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** An access token for the user's registration session, signed here with other settings. */
function signFor(
  service: TestService,
  user: RegisteredUser,
  settings: { ttlSeconds: number; secret?: string },
): Promise<string> {
  const { auth } = service.container.config;
  const tokens = new AccessTokens({
    secret: settings.secret ?? auth.jwtSecret,
    issuer: auth.issuer,
    audience: auth.audience,
    ttlSeconds: settings.ttlSeconds,
  });
  return tokens.sign({
    userId: user.id,
    sessionId: claimsOf(user.token).sid,
    role: "USER",
    sessionExpiresAt: new Date(Date.now() + 86_400_000),
  });
}

/** The REST calls that end sessions or start new ones. */
function rest(service: TestService) {
  const call = (method: string, path: string, token: string, body: unknown = {}) =>
    postJson(apiUrl(service, path), body, tokenHeader(token), method);
  return {
    logout: (token: string) => call("POST", "/users/logout", token),
    logoutAll: (token: string) => call("POST", "/users/logout-all", token),
    ban: (admin: string, username: string) => call("POST", `/admin/users/${username}/ban`, admin),
    setRole: (admin: string, username: string, role: Role) =>
      call("PATCH", `/admin/users/${username}/role`, admin, { role }),
    changePassword: (token: string) =>
      call("PUT", "/user", token, { user: { password: "a brand new passphrase" } }),
    refresh: (refreshToken: string) =>
      postJson(apiUrl(service, "/users/refresh"), { refreshToken }),
    async login(user: RegisteredUser): Promise<{ token: string; refreshToken: string }> {
      const res = await postJson(apiUrl(service, "/users/login"), {
        user: { email: user.email, password: user.password },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { user: { token: string; refreshToken: string } }).user;
    },
  };
}

/** Resolves when the socket disconnects: its reason, and what `event` had told it by then. */
function dropOf(
  socket: ClientSocket,
  event: "auth:revoked" | "auth:expired",
): Promise<{ told: unknown; reason: string }> {
  let told: unknown;
  socket.once(event, (payload: unknown) => {
    told = payload;
  });
  return disconnected(socket).then((reason) => ({ told, reason }));
}

/** A new user follows `user`, whose socket must hear of it: it is connected and in its user's room. */
async function expectStillServed(service: TestService, socket: ClientSocket, user: RegisteredUser) {
  const follower = await registerUser(service);
  const heard = nextEvent(socket, "notification:new");
  expect((await followUser(service, follower.token, user.username)).status).toBe(200);
  await heard;
  expect(socket.connected).toBe(true);
}

async function expectRestServes(service: TestService) {
  expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
}

describe("live sessions on two instances", () => {
  // A retired refresh token presented again is reuse at once (no grace window).
  const instances = useTwoInstances({ env: { REFRESH_REUSE_GRACE_SECONDS: "0" } });

  describe("the handshake", () => {
    it("a socket without a token connects anonymously, may join an article's room, and is in no user's room", async () => {
      const { a, b } = instances;
      const author = await registerUser(a);
      const article = await publishArticle(a, author.token, {
        title: "T",
        description: "d",
        body: "b",
      });
      const anonymous = await connectSocket(a);
      const notifications = collect(anonymous, "notification:new");
      expect(await joinArticle(anonymous, article.slug)).toEqual({
        ok: true,
        slug: article.slug,
        viewers: 1,
      });

      const comment = nextEvent<{ slug: string }>(anonymous, "comment:created");
      await publishComment(b, author.token, article.slug, "for everyone");
      expect((await comment).slug).toBe(article.slug);

      const authorSocket = await connectSocket(a, { token: author.token });
      await expectStillServed(b, authorSocket, author);
      expect(notifications).toEqual([]);
    });

    it("a socket with a valid token connects and hears its user's notifications", async () => {
      const user = await registerUser(instances.a);
      const socket = await connectSocket(instances.a, { token: user.token });
      await expectStillServed(instances.b, socket, user);
    });

    it.each<[string, (service: TestService, user: RegisteredUser) => Promise<unknown>, string]>([
      ["a garbage string", () => Promise.resolve("not-a-token"), "token is invalid"],
      ["a number", () => Promise.resolve(42), "token is invalid"],
      ["an empty string", () => Promise.resolve(""), "token is invalid"],
      [
        "signed with another secret",
        (service, user) => signFor(service, user, { ttlSeconds: 900, secret: "x".repeat(40) }),
        "token is invalid",
      ],
      [
        "that has expired",
        (service, user) => signFor(service, user, { ttlSeconds: -60 }),
        "token has expired",
      ],
      [
        "of a logged-out session",
        async (service, user) => {
          expect((await rest(service).logout(user.token)).status).toBe(204);
          return user.token;
        },
        "token has been revoked",
      ],
    ])(
      "a handshake with a token %s is refused as UNAUTHENTICATED, saying why, and the server keeps serving",
      async (_name, tokenFor, message) => {
        const { a } = instances;
        const user = await registerUser(a);
        const refusal = await connectError(
          openSocket(a, { auth: { token: await tokenFor(a, user) } }),
        );
        expect(refusal.message).toBe(message);
        expect(refusal.data).toEqual({ code: "UNAUTHENTICATED", message });
        await expectRestServes(a);
      },
    );
  });

  describe("ended sessions drop their sockets on every instance", () => {
    type Kept = [ClientSocket, RegisteredUser];

    /**
     * `end` answers `status`; then each victim was told auth:revoked before the server
     * disconnected it, and each kept socket was told nothing and still hears its user's events.
     */
    async function expectDropped(
      victims: ClientSocket[],
      kept: Kept[],
      end: () => Promise<Response>,
      status: number,
    ) {
      const drops = victims.map((socket) => dropOf(socket, "auth:revoked"));
      const keptTold = kept.map(([socket]) => collect(socket, "auth:revoked"));
      expect((await end()).status).toBe(status);
      for (const drop of await Promise.all(drops)) {
        expect(drop).toEqual({ told: REVOKED, reason: "io server disconnect" });
      }
      for (const [socket, user] of kept) await expectStillServed(instances.b, socket, user);
      for (const told of keptTold) expect(told).toEqual([]);
    }

    /** The token's sockets on A and on B, and another user's socket on B. */
    async function victimsAndBystander(token: string) {
      const { a, b } = instances;
      const other = await registerUser(b);
      const bystander: Kept = [await connectSocket(b, { token: other.token }), other];
      return {
        victims: [await connectSocket(a, { token }), await connectSocket(b, { token })],
        bystander,
      };
    }

    it.each(["a", "b"] as const)(
      "when a session logs out on %s, its sockets on both instances are dropped and another user's stays",
      async (where) => {
        const user = await registerUser(instances.a);
        const { victims, bystander } = await victimsAndBystander(user.token);
        const logout = () => rest(instances[where]).logout(user.token);
        await expectDropped(victims, [bystander], logout, 204);
      },
    );

    it("when a user logs out everywhere, the sockets of all their sessions are dropped", async () => {
      const { a, b } = instances;
      const user = await registerUser(a);
      const second = await rest(b).login(user);
      const { victims, bystander } = await victimsAndBystander(user.token);
      victims.push(await connectSocket(b, { token: second.token }));
      await expectDropped(victims, [bystander], () => rest(a).logoutAll(second.token), 204);
    });

    it("when the password changes, the other sessions' sockets are dropped and the changing session's stay", async () => {
      const { a, b } = instances;
      const user = await registerUser(a);
      const other = await rest(a).login(user);
      const { victims, bystander } = await victimsAndBystander(other.token);
      const changing: Kept = [await connectSocket(b, { token: user.token }), user];
      const change = () => rest(a).changePassword(user.token);
      await expectDropped(victims, [bystander, changing], change, 200);
    });

    it.each([
      ["bans", (admin: string, username: string) => rest(instances.b).ban(admin, username)],
      [
        "changes the role of",
        (admin: string, username: string) =>
          rest(instances.a).setRole(admin, username, "MODERATOR"),
      ],
    ])("when an admin %s a user, that user's sockets are dropped", async (_what, act) => {
      const admin = await registerWithRole(instances.a, "ADMIN");
      const user = await registerUser(instances.a);
      const { victims, bystander } = await victimsAndBystander(user.token);
      await expectDropped(victims, [bystander], () => act(admin.token, user.username), 200);
    });

    it("when a retired refresh token is reused, the session's sockets are dropped", async () => {
      const { a, b } = instances;
      const user = await registerUser(a);
      expect((await rest(a).refresh(user.refreshToken)).status).toBe(200);
      await sleep(5);
      const { victims, bystander } = await victimsAndBystander(user.token);
      const reuse = () => rest(b).refresh(user.refreshToken);
      await expectDropped(victims, [bystander], reuse, 401);
    });

    it("when a session ends without its announcement arriving, the socket's next event is refused and the socket dropped", async () => {
      const { b } = instances;
      const user = await registerUser(b);
      const socket = await connectSocket(b, { token: user.token });
      const drop = dropOf(socket, "auth:revoked");
      await b.container.redis.del(`session:${claimsOf(user.token).sid}`);
      const answer = request(socket, "article:join", { slug: "any-article" });
      expect(await drop).toEqual({ told: REVOKED, reason: "io server disconnect" });
      await expect(answer).resolves.toEqual({
        ok: false,
        error: { code: "UNAUTHENTICATED", message: "token has been revoked" },
      });
    });
  });

  describe("expiry and auth:refresh", () => {
    it(
      "a socket whose access token expires is told auth:expired and disconnected when it does",
      async () => {
        const user = await registerUser(instances.a);
        const token = await signFor(instances.a, user, { ttlSeconds: SHORT_TTL_SECONDS });
        const socket = await connectSocket(instances.a, { token });
        expect(await dropOf(socket, "auth:expired")).toEqual({
          told: EXPIRED,
          reason: "io server disconnect",
        });
        expect(Date.now()).toBeGreaterThanOrEqual(claimsOf(token).exp * 1000 - 20);
      },
      OUTLIVES_SHORT_TTL_MS,
    );

    it("a socket signed in with a sign-in token, which lasts past the longest timer Node.js has, is told that expiry in ready and stays connected", async () => {
      const { a } = instances;
      const user = await registerUser(a);
      const { exp } = claimsOf(user.token);
      expect(exp * 1000 - Date.now()).toBeGreaterThan(MAX_TIMER_DELAY_MS);
      const socket = openSocket(a, { token: user.token });
      const expired = collect(socket, "auth:expired");

      const ready = await nextEvent<{ expiresAt: string }>(socket, "ready");
      expect(ready.expiresAt).toBe(new Date(exp * 1000).toISOString());
      // An overflowing expiry timer would have fired by now, a millisecond after connecting.
      await sleep(500);
      expect(await request(socket, "article:join", { slug: "no-such-article" })).toEqual(
        refused("NOT_FOUND"),
      );
      expect(expired).toEqual([]);
      await expectStillServed(a, socket, user);
    });

    it(
      "auth:refresh with a fresh token of the same session before expiry keeps the socket past the old expiry",
      async () => {
        const { a } = instances;
        const user = await registerUser(a);
        const short = await signFor(a, user, { ttlSeconds: SHORT_TTL_SECONDS });
        const socket = await connectSocket(a, { token: short });
        const expired = collect(socket, "auth:expired");
        const refreshed = await rest(a).refresh(user.refreshToken);
        const { token } = ((await refreshed.json()) as { user: { token: string } }).user;

        expect(await request(socket, "auth:refresh", { token })).toEqual({
          ok: true,
          expiresAt: new Date(claimsOf(token).exp * 1000).toISOString(),
        });
        await sleep(claimsOf(short).exp * 1000 - Date.now() + 500);
        // An answer sent after the old expiry: the socket is still there, signed in.
        expect(await request(socket, "article:join", { slug: "no-such-article" })).toEqual(
          refused("NOT_FOUND"),
        );
        expect(expired).toEqual([]);
        await expectStillServed(a, socket, user);
      },
      OUTLIVES_SHORT_TTL_MS,
    );

    it("after auth:refresh with a token of another of the user's sessions, the socket goes with that session", async () => {
      const { a, b } = instances;
      const user = await registerUser(a);
      const other = await rest(a).login(user);
      const socket = await connectSocket(a, { token: user.token });
      const ack = await request(socket, "auth:refresh", { token: other.token });
      expect(ack).toMatchObject({ ok: true });

      const revoked = collect(socket, "auth:revoked");
      expect((await rest(b).logout(user.token)).status).toBe(204);
      await expectStillServed(b, socket, user);
      expect(revoked).toEqual([]);

      const drop = dropOf(socket, "auth:revoked");
      expect((await rest(b).logout(other.token)).status).toBe(204);
      expect(await drop).toEqual({ told: REVOKED, reason: "io server disconnect" });
    });

    it("auth:refresh with another user's token is FORBIDDEN and the socket stays its user's", async () => {
      const { a } = instances;
      const [user, stranger] = [await registerUser(a), await registerUser(a)];
      const socket = await connectSocket(a, { token: user.token });
      expect(await request(socket, "auth:refresh", { token: stranger.token })).toEqual(
        refused("FORBIDDEN"),
      );
      await expectStillServed(a, socket, user);
    });

    it.each([{}, { token: null }])(
      "auth:refresh from an anonymous socket (auth %j) is FORBIDDEN",
      async (auth) => {
        const user = await registerUser(instances.a);
        const socket = await connectSocket(instances.a, { auth });
        const ack = await request(socket, "auth:refresh", { token: user.token });
        expect(ack).toEqual(refused("FORBIDDEN"));
        expect(socket.connected).toBe(true);
      },
    );

    it.each<[string, string, unknown]>([
      ["a garbage token", "UNAUTHENTICATED", { token: "garbage" }],
      ["no token", "VALIDATION_FAILED", {}],
      ["an empty token", "VALIDATION_FAILED", { token: "" }],
    ])("auth:refresh with %s is answered %s and the socket stays", async (_name, code, payload) => {
      const user = await registerUser(instances.a);
      const socket = await connectSocket(instances.a, { token: user.token });
      expect(await request(socket, "auth:refresh", payload)).toEqual(refused(code));
      await expectStillServed(instances.a, socket, user);
    });
  });
});

describe("allowed origins of the handshake", () => {
  const ALLOWED = "https://app.example.com";
  const service = useTestService({ env: { CORS_ORIGINS: ALLOWED } });
  const transports = ["websocket", "polling"] as const;

  it.each([
    ["websocket", "the allowed origin", { Origin: ALLOWED }],
    ["polling", "the allowed origin", { Origin: ALLOWED }],
    ["websocket", "no Origin (not a browser)", undefined],
    ["polling", "no Origin (not a browser)", undefined],
  ] as const)("over %s, a handshake from %s connects", async (transport, _from, headers) => {
    const socket = await connectSocket(service, { headers, transports: [transport] });
    expect(socket.connected).toBe(true);
  });

  it.each(transports)("over %s, a handshake from another origin is refused", async (transport) => {
    const socket = openSocket(service, {
      headers: { Origin: "https://evil.example.com" },
      transports: [transport],
    });
    await expect(connectError(socket)).resolves.toBeInstanceOf(Error);
    await expectRestServes(service);
  });

  const pollingHandshake = (origin: string) =>
    fetch(`${service.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });

  it("a polling handshake from the allowed origin gets CORS headers naming that origin", async () => {
    const res = await pollingHandshake(ALLOWED);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("a polling handshake from another origin is forbidden and names no origin", async () => {
    const res = await pollingHandshake("https://evil.example.com");
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
