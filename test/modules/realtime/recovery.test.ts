import { apiUrl, postArticle, publishArticle, publishComment } from "../../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../../support/auth";
import {
  type ClientSocket,
  collect,
  connectError,
  connectSocket,
  type ConnectOptions,
  disconnected,
  eventually,
  joinArticle,
  LIVE_WAIT_MS,
  nextEvent,
  openSocket,
  useTwoInstances,
} from "../../support/realtime";
import {
  ownRedisPrefix,
  startTestService,
  type TestService,
  useTestService,
} from "../../support/service";

// Every test here drives instances through drops, reconnections and shutdowns and waits on
// several deliveries: real work, which a busy machine makes slow.
jest.setTimeout(60_000);

interface CommentEvent {
  slug: string;
  comment: { body: string };
}

/** What socket.io-client keeps to ask for recovery: the session id and the last offset seen. */
function recoveryStateOf(socket: ClientSocket): { pid?: string; offset?: string } {
  const state = socket as unknown as { _pid?: string; _lastOffset?: string };
  return { pid: state._pid, offset: state._lastOffset };
}

/** A user's article, published through `service`. */
async function anArticle(service: TestService): Promise<{ author: RegisteredUser; slug: string }> {
  const author = await registerUser(service);
  const article = await publishArticle(service, author.token, {
    title: "Recovering",
    description: "d",
    body: "b",
  });
  return { author, slug: article.slug };
}

/**
 * A socket in the article's room that has seen its own presence broadcast, so
 * the client holds an offset of the shared stream to recover from.
 */
async function viewer(
  service: TestService,
  slug: string,
  options: ConnectOptions = {},
): Promise<ClientSocket> {
  const socket = await connectSocket(service, options);
  const counted = nextEvent(socket, "presence:article");
  await joinArticle(socket, slug);
  await counted;
  return socket;
}

/** Closes the client's transport, as a network drop would (the client calls it a forced close). */
async function dropTransport(socket: ClientSocket): Promise<void> {
  const gone = disconnected(socket);
  socket.io.engine.close();
  expect(await gone).toBe("forced close");
}

/** The next successful (re)connection of the socket. */
function reconnected(socket: ClientSocket, timeoutMs = LIVE_WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the socket did not reconnect")), timeoutMs);
    timer.unref();
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Reconnects a dropped socket and waits for its `ready`, which the server sends
 * after whatever the socket missed. The tests call it only once what was missed
 * is in the shared stream (another socket heard it), so it comes back as
 * recovered, never live, however slow the machine.
 */
async function comeBack(socket: ClientSocket): Promise<{ recovered: boolean }> {
  const ready = nextEvent<{ recovered: boolean }>(socket, "ready");
  socket.connect();
  return ready;
}

const bodies = (events: CommentEvent[]) => events.map((event) => event.comment.body);

/** Waits until the instance has stored the socket's session for recovery. */
async function sessionStored(service: TestService, pid: string): Promise<void> {
  await eventually(
    "the socket's session stored for recovery",
    async () => (await service.container.redis.exists(`sio:session:${pid}`)) === 1,
  );
}

describe("connection-state recovery", () => {
  const instances = useTwoInstances();

  it("every connection starts with ready, and a signed-in socket that heard nothing else still recovers its notifications", async () => {
    const { a, b } = instances;
    const user = await registerUser(a);
    const fan = await registerUser(b);
    const socket = openSocket(a, { token: user.token });
    const ready = await nextEvent<{ recovered: boolean; signedIn: boolean; expiresAt: string }>(
      socket,
      "ready",
    );
    expect(Object.keys(ready).sort()).toEqual(["expiresAt", "recovered", "signedIn"]);
    expect(ready).toMatchObject({ recovered: false, signedIn: true });
    expect(Date.parse(ready.expiresAt)).toBeGreaterThan(Date.now());
    const missed = collect<{ notification: { kind: string } }>(socket, "notification:new");
    const witness = await connectSocket(b, { token: user.token });
    const sent = nextEvent(witness, "notification:new");

    await dropTransport(socket);
    await sessionStored(a, recoveryStateOf(socket).pid!);
    const follow = await postJson(
      apiUrl(b, `/profiles/${user.username}/follow`),
      {},
      tokenHeader(fan.token),
    );
    expect(follow.status).toBe(200);
    await sent;
    const again = await comeBack(socket);
    expect(socket.recovered).toBe(true);
    expect(again).toMatchObject({ recovered: true });
    expect(missed.map((event) => event.notification.kind)).toEqual(["follow"]);
  });

  it("a client whose transport drops gets the comment it missed on reconnecting, stays in the room, and is counted once", async () => {
    const { a, b } = instances;
    const { author, slug } = await anArticle(b);
    const socket = await viewer(a, slug);
    const witness = await viewer(b, slug);
    const comments = collect<CommentEvent>(socket, "comment:created");
    const sent = nextEvent(witness, "comment:created");

    await dropTransport(socket);
    await sessionStored(a, recoveryStateOf(socket).pid!);
    await publishComment(b, author.token, slug, "while you were away");
    await sent;
    await comeBack(socket);
    expect(socket.recovered).toBe(true);
    expect(bodies(comments)).toEqual(["while you were away"]);

    const later = nextEvent<CommentEvent>(socket, "comment:created");
    await publishComment(b, author.token, slug, "after you came back");
    expect((await later).comment.body).toBe("after you came back");

    // Joining again answers the count: the returning socket and the witness, once each.
    expect(await joinArticle(witness, slug)).toEqual({ ok: true, slug, viewers: 2 });
  });

  it("a session ended while its client was away is not recovered, and what it missed is never delivered", async () => {
    const { a, b } = instances;
    const { author, slug } = await anArticle(b);
    const user = await registerUser(a);
    const socket = await viewer(a, slug, { token: user.token });
    const comments = collect<CommentEvent>(socket, "comment:created");

    await dropTransport(socket);
    await sessionStored(a, recoveryStateOf(socket).pid!);
    await publishComment(b, author.token, slug, "after the logout");
    const logout = await fetch(apiUrl(b, "/users/logout"), {
      method: "POST",
      headers: tokenHeader(user.token),
    });
    expect(logout.status).toBe(204);

    const refused = connectError(socket);
    socket.connect();
    expect((await refused).data).toEqual({
      code: "UNAUTHENTICATED",
      message: "token has been revoked",
    });

    // Signed in again, the same client connects afresh: nothing it missed comes with it.
    const login = await postJson(apiUrl(a, "/users/login"), {
      user: { email: user.email, password: user.password },
    });
    socket.auth = { token: ((await login.json()) as { user: { token: string } }).user.token };
    const back = reconnected(socket);
    socket.connect();
    await back;
    expect(socket.recovered).toBe(false);
    await joinArticle(socket, slug);
    const fresh = nextEvent<CommentEvent>(socket, "comment:created");
    await publishComment(b, author.token, slug, "for the new session");
    await fresh;
    expect(bodies(comments)).toEqual(["for the new session"]);
  });
});

describe("missed events of a recovering socket", () => {
  const instances = useTwoInstances();

  it.each([
    ["anonymously", () => undefined],
    ["as another user", (other: RegisteredUser) => other.token],
  ])(
    "are withheld from a client that comes back %s, though it was told they exist",
    async (_how, tokenOf) => {
      const { a, b } = instances;
      const { author, slug } = await anArticle(b);
      const user = await registerUser(a);
      const other = await registerUser(a);
      const socket = await viewer(a, slug, { token: user.token });
      await dropTransport(socket);
      const { pid, offset } = recoveryStateOf(socket);
      await sessionStored(a, pid!);
      await publishComment(b, author.token, slug, "for the viewer who left");
      const follow = await postJson(
        apiUrl(b, `/profiles/${user.username}/follow`),
        {},
        tokenHeader(author.token),
      );
      expect(follow.status).toBe(200);

      const token = tokenOf(other);
      const resumed = openSocket(b, { auth: { pid, offset, ...(token && { token }) } });
      const comments = collect<CommentEvent>(resumed, "comment:created");
      const notifications = collect(resumed, "notification:new");
      // Missed events would come before ready, which always follows them.
      const ready = await nextEvent<{ recovered: boolean; signedIn: boolean }>(resumed, "ready");
      expect(ready).toMatchObject({ recovered: true, signedIn: token !== undefined });
      expect(comments).toEqual([]);
      expect(notifications).toEqual([]);
    },
  );
});

describe("an instance shutting down", () => {
  let a: TestService;
  let b: TestService;

  beforeEach(async () => {
    // A deadline no busy machine reaches: these tests are about draining, not about cutting.
    const env = { REDIS_KEY_PREFIX: ownRedisPrefix("shutdown"), SHUTDOWN_TIMEOUT_MS: "60000" };
    [a, b] = await Promise.all([startTestService({ env }), startTestService({ env })]);
  });
  afterEach(() => Promise.all([a.stop(), b.stop()]));

  it("closes its clients' transports, and they resume on another instance with what they missed", async () => {
    const { author, slug } = await anArticle(b);
    const socket = await viewer(a, slug);
    const witness = await viewer(b, slug);
    const dropped = disconnected(socket);
    await a.stop();
    expect(await dropped).toBe("transport close");

    const sent = nextEvent(witness, "comment:created");
    await publishComment(b, author.token, slug, "while the instance was gone");
    await sent;
    const resumed = openSocket(b, { auth: recoveryStateOf(socket) });
    const comments = collect<CommentEvent>(resumed, "comment:created");
    expect(await nextEvent(resumed, "ready")).toMatchObject({ recovered: true });
    expect(bodies(comments)).toEqual(["while the instance was gone"]);

    // Back in the room without joining it: the next comment arrives too.
    const later = nextEvent<CommentEvent>(resumed, "comment:created");
    await publishComment(b, author.token, slug, "on the new instance");
    expect((await later).comment.body).toBe("on the new instance");
    // Counted once: A stopped counting it, B counts it again (with the witness).
    expect(await joinArticle(witness, slug)).toEqual({ ok: true, slug, viewers: 2 });
    expect((await fetch(`${b.url}/health/live`)).status).toBe(200);
  });

  it("still relays a change that commits while it drains its requests", async () => {
    const author = await registerUser(a);
    const follower = await registerUser(b);
    const follow = await postJson(
      apiUrl(b, `/profiles/${author.username}/follow`),
      {},
      tokenHeader(follower.token),
    );
    expect(follow.status).toBe(200);
    const socket = await connectSocket(b, { token: follower.token });
    const announced = nextEvent<{ article: { title: string } }>(socket, "feed:article");

    // The write is held once A has admitted it, and goes on only after A started
    // stopping: it commits while A drains, however fast or slow the machine is.
    const { articles } = a.container.services;
    const create = articles.create.bind(articles);
    let admitted!: () => void;
    const arrived = new Promise<void>((resolve) => (admitted = resolve));
    let release!: () => void;
    const stopping = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(articles, "create").mockImplementationOnce(async (...args) => {
      admitted();
      await stopping;
      return create(...args);
    });
    const posting = postArticle(a, author.token, {
      title: "Published during shutdown",
      description: "d",
      body: "b",
    });
    await arrived;
    const stopped = a.stop();
    release();
    await stopped;
    expect((await posting).status).toBe(201);
    expect((await announced).article.title).toBe("Published during shutdown");
  });

  it("leaves the other instance serving: a client connects to it afresh and rejoins", async () => {
    const { author, slug } = await anArticle(b);
    const socket = await viewer(a, slug);
    const dropped = disconnected(socket);
    await a.stop();
    expect(await dropped).toBe("transport close");

    const fresh = await viewer(b, slug);
    const comment = nextEvent<CommentEvent>(fresh, "comment:created");
    await publishComment(b, author.token, slug, "still live");
    expect((await comment).comment.body).toBe("still live");
  });
});

describe("with recovery turned off", () => {
  const service = useTestService({ env: { SOCKET_RECOVERY_SECONDS: "0" } });

  it("a reconnected client is not recovered and is in none of its rooms until it joins again", async () => {
    const { author, slug } = await anArticle(service);
    const socket = await viewer(service, slug, { reconnection: true });
    const observer = await viewer(service, slug);
    const comments = collect<CommentEvent>(socket, "comment:created");

    await dropTransport(socket);
    await reconnected(socket);
    // socket.io-client leaves it undefined when the server offers no recovery at all.
    expect(socket.recovered).toBeFalsy();

    const seen = nextEvent<CommentEvent>(observer, "comment:created");
    await publishComment(service, author.token, slug, "to the room");
    await seen;
    expect(comments).toEqual([]);

    expect(await joinArticle(socket, slug)).toEqual({ ok: true, slug, viewers: 2 });
    const arrives = nextEvent<CommentEvent>(socket, "comment:created");
    await publishComment(service, author.token, slug, "after joining again");
    await arrives;
    expect(bodies(comments)).toEqual(["after joining again"]);
  });
});
