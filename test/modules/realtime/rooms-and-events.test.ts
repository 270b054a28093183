import type { ServerToClientEvents } from "../../../src/modules/realtime/realtime.protocol";
import {
  ARTICLE_KEYS,
  ARTICLE_SUMMARY_KEYS,
  apiUrl,
  type Article,
  type Comment,
  deleteArticle,
  deleteComment,
  expectStatus,
  favoriteArticle,
  followUser,
  json,
  publishArticle,
  publishComment,
  unfavoriteArticle,
  updateArticle,
} from "../../support/api";
import {
  registerUser,
  registerWithRole,
  type RegisteredUser,
  uniqueName,
} from "../../support/auth";
import { withAuditInsertsFailing } from "../../support/database";
import {
  type Ack,
  type ClientSocket,
  collect,
  connectSocket,
  disconnected,
  joinArticle,
  nextEvent,
  request,
  useTwoInstances,
} from "../../support/realtime";
import type { TestService } from "../../support/service";

type LiveEvent = keyof ServerToClientEvents;
type Payload<E extends LiveEvent> = Parameters<ServerToClientEvents[E]>[0];
type Refusal = Extract<Ack, { ok: false }>;

/** Live payloads carry what every viewer sees alike: no `favorited`, no `following`. */
const LIVE_ARTICLE_KEYS = ARTICLE_KEYS.filter((key) => key !== "favorited");
const LIVE_SUMMARY_KEYS = ARTICLE_SUMMARY_KEYS.filter((key) => key !== "favorited");
const LIVE_PROFILE_KEYS = ["bio", "image", "username"];

/** Presence counts go out at most once per this window, per article and instance. */
const PRESENCE_WINDOW_MS = 1_000;

/** A slug no article has: leaving it is a harmless round trip. */
const NOWHERE = "no-such-article";

/** An article by `author`, titled so that no other test's slug collides with it. */
function newArticle(
  service: TestService,
  author: RegisteredUser,
  title = uniqueName("Live"),
): Promise<Article> {
  return publishArticle(service, author.token, { title, description: "d", body: "b" });
}

/** A new title (so a new slug) for the article; returns it as its author now sees it. */
async function rename(service: TestService, author: RegisteredUser, slug: string) {
  const response = await updateArticle(service, author.token, slug, { title: uniqueName("Moved") });
  return (await json<{ article: Article }>(response)).article;
}

/** What each socket receives of `event` once `action` has run. */
async function deliveredTo<E extends LiveEvent, S extends ClientSocket[]>(
  sockets: [...S],
  event: E,
  action: () => Promise<unknown>,
): Promise<{ [K in keyof S]: Payload<E> }> {
  const arrivals = sockets.map((socket) => nextEvent<Payload<E>>(socket, event));
  await action();
  return (await Promise.all(arrivals)) as { [K in keyof S]: Payload<E> };
}

/** The next presence count of this article the socket receives, once it is `viewers`. */
function presence(socket: ClientSocket, slug: string, viewers: number) {
  return nextEvent<Payload<"presence:article">>(
    socket,
    "presence:article",
    (payload) => payload.slug === slug && payload.viewers === viewers,
  );
}

/** Leaves the article's room by this slug; the ack. */
function leave(socket: ClientSocket, slug: string): Promise<Ack> {
  return request(socket, "article:leave", { slug });
}

/**
 * A round trip on each socket: whatever the server sent them before answering
 * has arrived, so a collector still empty afterwards means nothing was sent.
 */
async function settle(...sockets: ClientSocket[]): Promise<void> {
  const acks = await Promise.all(sockets.map((socket) => leave(socket, NOWHERE)));
  expect(acks).toEqual(sockets.map(() => ({ ok: true, slug: NOWHERE })));
}

/** Where a socket connects: a service (anonymously), or a service and the user signed in. */
type Seat = TestService | [TestService, RegisteredUser];

/** A connected socket for each seat, in order. */
function connectAll<T extends Seat[]>(...seats: T): Promise<{ [K in keyof T]: ClientSocket }> {
  const sockets = seats.map((seat) =>
    Array.isArray(seat) ? connectSocket(seat[0], { token: seat[1].token }) : connectSocket(seat),
  );
  return Promise.all(sockets) as Promise<{ [K in keyof T]: ClientSocket }>;
}

type Tuple<T, N extends number, R extends T[] = []> = R["length"] extends N
  ? R
  : Tuple<T, N, [T, ...R]>;

/** `count` users registered on the service. */
function usersOn<N extends number>(
  service: TestService,
  count: N,
): Promise<Tuple<RegisteredUser, N>> {
  const users = Array.from({ length: count }, () => registerUser(service));
  return Promise.all(users) as Promise<Tuple<RegisteredUser, N>>;
}

function refusal(code: string): Refusal {
  return { ok: false, error: { code, message: expect.any(String) as string } };
}

describe("article rooms and live events across two instances", () => {
  const instances = useTwoInstances();

  async function authorWithArticle() {
    const author = await registerUser(instances.b);
    return { author, article: await newArticle(instances.b, author) };
  }

  test("a new comment reaches the article's room on the other instance, the same for every viewer, and no one else", async () => {
    const { a, b } = instances;
    const { author, article } = await authorWithArticle();
    const other = await newArticle(b, author);
    const [viewer, outsider, elsewhere] = await connectAll(a, a, a);
    await joinArticle(viewer, article.slug);
    await joinArticle(elsewhere, other.slug);
    const strays = [outsider, elsewhere].map((socket) => collect(socket, "comment:created"));
    let comment!: Comment;
    const [event] = await deliveredTo([viewer], "comment:created", async () => {
      comment = await publishComment(b, author.token, article.slug, "hello live");
    });
    const { id, body, createdAt, updatedAt } = comment;
    const { username, bio, image } = comment.author;
    expect(event).toStrictEqual({
      slug: article.slug,
      comment: { id, body, createdAt, updatedAt, author: { username, bio, image } },
    });
    await settle(outsider, elsewhere);
    expect(strays).toEqual([[], []]);
  });

  test("an edited article is sent to its room whole, without viewer-dependent fields", async () => {
    const { a, b } = instances;
    const { author, article } = await authorWithArticle();
    const viewer = await connectSocket(a);
    await joinArticle(viewer, article.slug);
    const [event] = await deliveredTo([viewer], "article:updated", async () =>
      json(await updateArticle(b, author.token, article.slug, { body: "new body" })),
    );
    expect(event.previousSlug).toBe(article.slug);
    expect(Object.keys(event.article).sort()).toEqual(LIVE_ARTICLE_KEYS);
    expect(Object.keys(event.article.author).sort()).toEqual(LIVE_PROFILE_KEYS);
    expect(event.article).toMatchObject({ slug: article.slug, body: "new body" });
  });

  test("a renamed article's room keeps its viewers, who can leave it by any slug it has had", async () => {
    const { a, b } = instances;
    const { author, article } = await authorWithArticle();
    // All on A, so that what reaches the watcher has been handled for the leavers too.
    const [watcher, ...leavers] = await connectAll(a, a, a, a);
    const everyone = [...leavers, watcher];
    for (const socket of everyone) await joinArticle(socket, article.slug);
    const slugs = [article.slug];
    for (let round = 0; round < 2; round++) {
      let renamed!: Article;
      const updates = await deliveredTo(everyone, "article:updated", async () => {
        renamed = await rename(b, author, slugs.at(-1)!);
      });
      expect(updates.map(({ previousSlug, article: live }) => [previousSlug, live.slug])).toEqual(
        everyone.map(() => [slugs.at(-1), renamed.slug]),
      );
      slugs.push(renamed.slug);
    }
    const current = slugs.at(-1)!;
    const comments = await deliveredTo(everyone, "comment:created", () =>
      publishComment(b, author.token, current, "still here"),
    );
    expect(comments.map((event) => event.slug)).toEqual(everyone.map(() => current));

    // The first leaves by the slug it joined with, the second by the one in between, the third by the current one.
    const afterLeaving = leavers.map((socket) => collect(socket, "comment:created"));
    for (const [index, socket] of leavers.entries()) {
      const counted = presence(watcher, current, leavers.length - index);
      const ack = await leave(socket, slugs[index]!);
      expect(ack).toEqual({ ok: true, slug: current });
      await counted;
    }
    await deliveredTo([watcher], "comment:created", () =>
      publishComment(b, author.token, current, "after they left"),
    );
    await settle(...leavers);
    expect(afterLeaving).toEqual([[], [], []]);
  });

  test("leaving by a slug that a renamed article gave up leaves the article that has that slug now", async () => {
    const { a, b } = instances;
    const author = await registerUser(b);
    const title = uniqueName("Reused");
    const first = await newArticle(b, author, title);
    const viewer = await connectSocket(a);
    await joinArticle(viewer, first.slug);
    let renamed!: Article;
    await deliveredTo([viewer], "article:updated", async () => {
      renamed = await rename(b, author, first.slug);
    });
    const second = await newArticle(b, author, title);
    expect(second.slug).toBe(first.slug);
    await joinArticle(viewer, second.slug);

    expect(await leave(viewer, second.slug)).toEqual({ ok: true, slug: second.slug });
    const received = collect<Payload<"comment:created">>(viewer, "comment:created");
    await publishComment(b, author.token, second.slug, "on the article left");
    await deliveredTo([viewer], "comment:created", () =>
      publishComment(b, author.token, renamed.slug, "on the article still joined"),
    );
    expect(received.map((event) => event.slug)).toEqual([renamed.slug]);
  });

  test("a deleted article is announced to its room on both instances and can no longer be joined", async () => {
    const { a, b } = instances;
    const { author, article } = await authorWithArticle();
    const viewers = await connectAll(a, b);
    for (const socket of viewers) await joinArticle(socket, article.slug);
    const events = await deliveredTo(viewers, "article:deleted", async () =>
      expectStatus(await deleteArticle(b, author.token, article.slug), 204),
    );
    expect(events).toStrictEqual([{ slug: article.slug }, { slug: article.slug }]);
    expect(await request(viewers[0], "article:join", { slug: article.slug })).toEqual(
      refusal("NOT_FOUND"),
    );
  });

  test("favorites and unfavorites are announced to the room with the count after each change, and repeats with none", async () => {
    const { a, b } = instances;
    const { article } = await authorWithArticle();
    const [first, second] = await usersOn(b, 2);
    const viewer = await connectSocket(a);
    await joinArticle(viewer, article.slug);
    const seen: [string, Payload<"article:favorited">][] = [];
    for (const event of ["article:favorited", "article:unfavorited"]) {
      viewer.on(event, (payload: Payload<"article:favorited">) => seen.push([event, payload]));
    }
    const steps = [
      [favoriteArticle, first],
      [favoriteArticle, second],
      [favoriteArticle, first],
      [unfavoriteArticle, first],
      [unfavoriteArticle, first],
    ] as const;
    for (const [change, user] of steps) await json(await change(b, user.token, article.slug));
    await deliveredTo([viewer], "article:unfavorited", async () =>
      json(await unfavoriteArticle(b, second.token, article.slug)),
    );
    const expected = [
      ["article:favorited", 1],
      ["article:favorited", 2],
      ["article:unfavorited", 1],
      ["article:unfavorited", 0],
    ] as const;
    expect(seen).toStrictEqual(
      expected.map(([event, favoritesCount]) => [event, { slug: article.slug, favoritesCount }]),
    );
  });

  test("viewers are counted across instances as sockets join, join again, leave and disconnect", async () => {
    const { a, b } = instances;
    const { article } = await authorWithArticle();
    const { slug } = article;
    const first = await connectSocket(a);
    const counts = collect<Payload<"presence:article">>(first, "presence:article");
    const countedOwn = presence(first, slug, 1);
    expect(await joinArticle(first, slug)).toEqual({ ok: true, slug, viewers: 1 });
    // Counts are announced at most once a second per article and instance, so
    // each step waits for its count before the next change.
    await countedOwn;

    const [second, third] = await connectAll(b, b);
    let countedTwo = presence(first, slug, 2);
    expect(await joinArticle(second, slug)).toEqual({ ok: true, slug, viewers: 2 });
    await countedTwo;
    expect(await joinArticle(second, slug)).toEqual({ ok: true, slug, viewers: 2 });
    let countedOne = presence(first, slug, 1);
    expect(await leave(second, slug)).toEqual({ ok: true, slug });
    await countedOne;

    countedTwo = presence(first, slug, 2);
    expect(await joinArticle(third, slug)).toEqual({ ok: true, slug, viewers: 2 });
    await countedTwo;
    countedOne = presence(first, slug, 1);
    third.disconnect();
    await countedOne;
    const ours = counts.filter((event) => event.slug === slug);
    expect(ours.map((event) => event.viewers)).toEqual([1, 2, 1, 2, 1]);
  });

  test("a crowd joining at once is announced together, not one packet per joiner", async () => {
    const { a } = instances;
    const { article } = await authorWithArticle();
    const { slug } = article;
    const observer = await connectSocket(a);
    const countedOwn = presence(observer, slug, 1);
    await joinArticle(observer, slug);
    await countedOwn;

    const counts = collect<Payload<"presence:article">>(observer, "presence:article");
    const crowd = await connectAll(...Array.from({ length: 10 }, () => a));
    const everyoneCounted = presence(observer, slug, 11);
    const joining = Date.now();
    await Promise.all(crowd.map((socket) => joinArticle(socket, slug)));
    const joinsTookMs = Date.now() - joining;
    await everyoneCounted;
    // One count at the first join and one at the end of its window, plus one
    // for each further window the joins spanned where the machine is slow.
    const windows = Math.floor(joinsTookMs / PRESENCE_WINDOW_MS);
    expect(counts.length).toBeLessThanOrEqual(2 + windows);
    expect(counts.at(-1)).toEqual({ slug, viewers: 11 });
  });

  test("a new article reaches the signed-in sockets of its author's followers, and no one else's", async () => {
    const { a, b } = instances;
    const [author, onA, onB, stranger] = await usersOn(b, 4);
    for (const fan of [onA, onB]) await json(await followUser(b, fan.token, author.username));
    const followers = await connectAll([a, onA], [b, onB]);
    const others = await connectAll([a, stranger], [a, author], a);
    const strays = others.map((socket) => collect(socket, "feed:article"));
    let article!: Article;
    const events = await deliveredTo(followers, "feed:article", async () => {
      article = await newArticle(b, author);
    });
    for (const { article: live } of events) {
      expect(Object.keys(live).sort()).toEqual(LIVE_SUMMARY_KEYS);
      expect(Object.keys(live.author).sort()).toEqual(LIVE_PROFILE_KEYS);
      expect(live).toMatchObject({ slug: article.slug, title: article.title, favoritesCount: 0 });
    }
    await settle(...others);
    expect(strays).toEqual([[], [], []]);
  });

  test("follows, favorites and comments by others notify only the recipient, on each of their sockets", async () => {
    const { a, b } = instances;
    const [recipient, actor, bystander] = await usersOn(b, 3);
    const article = await newArticle(b, recipient);
    const own = await connectAll([a, recipient], [b, recipient]);
    const others = await connectAll([a, bystander], [a, actor], a);
    const strays = others.map((socket) => collect(socket, "notification:new"));
    const received = collect<Payload<"notification:new">>(own[0], "notification:new");
    const notified = async (action: () => Promise<unknown>) => {
      const [onA, onB] = await deliveredTo(own, "notification:new", action);
      expect(onB).toStrictEqual(onA);
      return onA.notification;
    };
    const common = {
      id: expect.any(Number) as number,
      read: false,
      createdAt: expect.any(String) as string,
      actor: expect.objectContaining({ username: actor.username }) as unknown,
    };
    const about = { slug: article.slug, title: article.title };

    const follow = await notified(async () =>
      json(await followUser(b, actor.token, recipient.username)),
    );
    expect(follow).toEqual({ ...common, kind: "follow", article: null, comment: null });
    const favorite = await notified(async () =>
      json(await favoriteArticle(b, actor.token, article.slug)),
    );
    expect(favorite).toEqual({ ...common, kind: "favorite", article: about, comment: null });
    await publishComment(b, recipient.token, article.slug, "my own, no notification");
    let comment!: Comment;
    const reply = await notified(async () => {
      comment = await publishComment(b, actor.token, article.slug, "nice one");
    });
    const { id, body } = comment;
    expect(reply).toEqual({ ...common, kind: "comment", article: about, comment: { id, body } });
    const kinds = received.map((event) => event.notification.kind);
    expect(kinds).toEqual(["follow", "favorite", "comment"]);
    await settle(...others);
    expect(strays).toEqual([[], [], []]);
  });

  test("a comment deletion that rolls back is not announced, and the one that commits is, by the comment's id", async () => {
    const { a, b } = instances;
    const { author, article } = await authorWithArticle();
    const moderator = await registerWithRole(b, "MODERATOR");
    const comment = await publishComment(b, author.token, article.slug, "contested");
    const viewer = await connectSocket(a);
    await joinArticle(viewer, article.slug);
    const deletions = collect(viewer, "comment:deleted");

    await withAuditInsertsFailing(b.container.db, async () => {
      const response = await deleteComment(b, moderator.token, article.slug, comment.id);
      expect(response.status).toBeGreaterThanOrEqual(500);
    });
    const listed = await json<{ comments: Comment[] }>(
      await fetch(apiUrl(b, `/articles/${article.slug}/comments`)),
    );
    expect(listed.comments.map(({ id }) => id)).toEqual([comment.id]);

    await deliveredTo([viewer], "comment:deleted", async () =>
      expectStatus(await deleteComment(b, moderator.token, article.slug, comment.id), 204),
    );
    expect(deletions).toStrictEqual([{ slug: article.slug, commentId: comment.id }]);
  });

  test("malformed joins are refused in the ack, and the socket stays connected and usable", async () => {
    const { a } = instances;
    const { article } = await authorWithArticle();
    const socket = await connectSocket(a);
    const cases: [string, unknown[], string][] = [
      ["an empty object", [{}], "VALIDATION_FAILED"],
      ["a numeric slug", [{ slug: 5 }], "VALIDATION_FAILED"],
      ["a blank slug", [{ slug: "" }], "VALIDATION_FAILED"],
      ["a 400-character slug", [{ slug: "a".repeat(400) }], "VALIDATION_FAILED"],
      ["no payload", [], "BAD_REQUEST"],
      ["two payloads", [{ slug: article.slug }, { slug: article.slug }], "BAD_REQUEST"],
      ["a string", [article.slug], "VALIDATION_FAILED"],
    ];
    const answers: Record<string, Ack> = {};
    for (const [name, args] of cases)
      answers[name] = await request(socket, "article:join", ...args);
    expect(answers).toEqual(
      Object.fromEntries(cases.map(([name, , code]) => [name, refusal(code)])),
    );
    expect(socket.connected).toBe(true);
    expect(await joinArticle(socket, article.slug)).toMatchObject({ viewers: 1 });
  });

  test("an event the server does not handle is refused with BAD_REQUEST and the socket goes on", async () => {
    const socket = await connectSocket(instances.a);
    expect(await request(socket, "article:explode", { slug: NOWHERE })).toEqual(
      refusal("BAD_REQUEST"),
    );
    // The wire format also allows a number as the event's name.
    expect(await request(socket, 42 as unknown as string, { slug: NOWHERE })).toEqual(
      refusal("BAD_REQUEST"),
    );
    await settle(socket);
  });
});

describe("limits on what one socket may do", () => {
  const limited = useTwoInstances({
    env: {
      SOCKET_MAX_ARTICLE_ROOMS: "2",
      SOCKET_EVENTS_PER_MINUTE: "5",
      SOCKET_MAX_PAYLOAD_BYTES: "1024",
    },
  });

  /** An author and the slugs of three of their articles. */
  async function threeArticles() {
    const author = await registerUser(limited.b);
    const slug = async () => (await newArticle(limited.b, author)).slug;
    return { author, slugs: [await slug(), await slug(), await slug()] as const };
  }

  /** Sends `count` harmless events one after another; returns their acks. */
  async function spend(socket: ClientSocket, count: number): Promise<Ack[]> {
    const acks: Ack[] = [];
    for (let i = 0; i < count; i++) acks.push(await leave(socket, NOWHERE));
    return acks;
  }

  /** Another socket is still answered and so is REST: the instance is unaffected. */
  async function expectStillServing(service: TestService, socket: ClientSocket) {
    await settle(socket);
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
  }

  test("a socket in as many rooms as allowed is refused another until it leaves one", async () => {
    const {
      slugs: [first, second, third],
    } = await threeArticles();
    const socket = await connectSocket(limited.a);
    await joinArticle(socket, first);
    await joinArticle(socket, second);
    expect(await request(socket, "article:join", { slug: third })).toEqual(refusal("CONFLICT"));
    expect(await leave(socket, first)).toEqual({ ok: true, slug: first });
    expect(await joinArticle(socket, third)).toEqual({ ok: true, slug: third, viewers: 1 });
  });

  test("an article deleted on the other instance frees its place among the socket's rooms", async () => {
    const { a, b } = limited;
    const {
      author,
      slugs: [first, second, third],
    } = await threeArticles();
    const socket = await connectSocket(a);
    await joinArticle(socket, first);
    await joinArticle(socket, second);
    await deliveredTo([socket], "article:deleted", async () =>
      expectStatus(await deleteArticle(b, author.token, first), 204),
    );
    // At once: the room may not be closed on this instance yet, but a deleted
    // article no longer counts against the cap.
    expect(await joinArticle(socket, third)).toEqual({ ok: true, slug: third, viewers: 1 });
  });

  test("the event after a minute's allowance is refused with a retry delay, and other sockets go on", async () => {
    const [busy, calm] = await connectAll(limited.a, limited.a);
    expect(await spend(busy, 5)).toEqual(Array<Ack>(5).fill({ ok: true, slug: NOWHERE }));
    const refused = await leave(busy, NOWHERE);
    expect(refused).toMatchObject(refusal("TOO_MANY_REQUESTS"));
    const { retryAfterSeconds } = (refused as Refusal).error;
    expect(retryAfterSeconds).toBeGreaterThan(0);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(busy.connected).toBe(true);
    await expectStillServing(limited.a, calm);
  });

  test("a socket that keeps sending past twice its allowance is disconnected, and others are still served", async () => {
    const [flooder, calm] = await connectAll(limited.a, limited.a);
    const acks = await spend(flooder, 10);
    expect(acks.map((ack) => ack.ok)).toEqual([
      ...Array<boolean>(5).fill(true),
      ...Array<boolean>(5).fill(false),
    ]);
    expect(flooder.connected).toBe(true);
    const gone = disconnected(flooder);
    for (let i = 0; i < 5; i++) flooder.emit("article:leave", { slug: NOWHERE });
    expect(await gone).toBe("io server disconnect");
    await expectStillServing(limited.a, calm);
  });

  test("a message over the payload limit closes that connection only", async () => {
    const [sender, calm] = await connectAll(limited.a, limited.a);
    // Just under the limit, an over-long slug is an ordinary refusal.
    expect(await request(sender, "article:join", { slug: "a".repeat(900) })).toEqual(
      refusal("VALIDATION_FAILED"),
    );
    const gone = disconnected(sender);
    sender.emit("article:join", { slug: "a".repeat(5_000) });
    expect(await gone).toBe("transport close");
    await expectStillServing(limited.a, calm);
  });
});

describe("metrics of live connections", () => {
  const fresh = useTwoInstances();

  async function scrape(service: TestService): Promise<string> {
    const response = await fetch(`${service.url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  }

  /** The value of the sample of `name` whose labels include `labels`, if there is one. */
  function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
    for (const line of text.split("\n")) {
      const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
      if (match?.[1] !== name) continue;
      const found = `,${match[2]},`;
      if (Object.entries(labels).every(([key, value]) => found.includes(`,${key}="${value}",`))) {
        return Number(match[3]);
      }
    }
    return undefined;
  }

  test("each instance counts its sockets, the events they sent by outcome, and the events it sent", async () => {
    const { a, b } = fresh;
    const author = await registerUser(b);
    const { slug } = await newArticle(b, author);
    const [first, second] = await connectAll(a, a, [a, author]);
    await joinArticle(first, slug);
    await joinArticle(second, slug);
    expect(await request(first, "party:start", {})).toEqual(refusal("BAD_REQUEST"));
    await deliveredTo([first, second], "comment:created", () =>
      publishComment(b, author.token, slug, "counted"),
    );

    const [onA, onB] = await Promise.all([scrape(a), scrape(b)]);
    const received = "conduit_socket_events_received_total";
    const sent = "conduit_socket_events_sent_total";
    expect({
      anonymous: sample(onA, "conduit_sockets_connected", { kind: "anonymous" }),
      signedIn: sample(onA, "conduit_sockets_connected", { kind: "user" }),
      joins: sample(onA, received, { event: "article:join", outcome: "ok" }),
      unknown: sample(onA, received, { event: "unknown", outcome: "invalid" }),
      sentByB: sample(onB, sent, { event: "comment:created" }),
      sentByA: sample(onA, sent, { event: "comment:created" }) ?? 0,
    }).toEqual({ anonymous: 2, signedIn: 1, joins: 2, unknown: 1, sentByB: 1, sentByA: 0 });
    expect(onA).not.toContain("party:start");

    const counted = presence(first, slug, 1);
    second.disconnect();
    await counted;
    expect(sample(await scrape(a), "conduit_sockets_connected", { kind: "anonymous" })).toBe(1);
  });
});
