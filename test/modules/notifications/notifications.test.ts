import {
  auth,
  expectError,
  expectStatus,
  favoriteArticle,
  followUser,
  json,
  publishComment,
  unfavoriteArticle,
  unfollowUser,
  type Profile,
} from "../../support/api";
import { postJson, registerUser, type RegisteredUser } from "../../support/auth";
import { createArticle } from "../../support/factories";
import { useTestService } from "../../support/service";

interface Notification {
  id: number;
  kind: "follow" | "favorite" | "comment";
  read: boolean;
  createdAt: string;
  actor: Profile;
  article: { slug: string; title: string } | null;
  comment: { id: number; body: string } | null;
}

interface NotificationPage {
  notifications: Notification[];
  unreadCount: number;
  nextCursor: string | null;
}

const ISO_WITH_MILLISECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const EMPTY: NotificationPage = { notifications: [], unreadCount: 0, nextCursor: null };

describe("notifications", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;
  const send = (method: string, path: string, token: string) =>
    fetch(api(path), { method, headers: auth(token) });

  const follow = async (actor: RegisteredUser, target: RegisteredUser) =>
    expectStatus(await followUser(service, actor.token, target.username), 200);
  const unfollow = async (actor: RegisteredUser, target: RegisteredUser) =>
    expectStatus(await unfollowUser(service, actor.token, target.username), 200);
  const favorite = async (actor: RegisteredUser, slug: string) =>
    expectStatus(await favoriteArticle(service, actor.token, slug), 200);
  const unfavorite = async (actor: RegisteredUser, slug: string) =>
    expectStatus(await unfavoriteArticle(service, actor.token, slug), 200);
  /** Comments through the API and returns the new comment's id. */
  const comment = async (actor: RegisteredUser, slug: string, body: string): Promise<number> =>
    (await publishComment(service, actor.token, slug, body)).id;

  const list = (token: string | undefined, query = "") =>
    fetch(api(`/notifications${query}`), { headers: auth(token) });
  const markRead = (token: string | undefined, body: unknown) =>
    postJson(api("/notifications/read"), body, auth(token));
  const page = async (user: RegisteredUser, query = "") =>
    json<NotificationPage>(await list(user.token, query));

  const articleBy = (author: RegisteredUser) => createArticle(db(), author.id);

  describe("what creates a notification", () => {
    it("when someone follows me, then I get one follow notification and they get none", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);

      await follow(fan, me);

      const mine = await page(me);
      const row = await db().notification.findFirstOrThrow({ where: { recipientId: me.id } });
      expect(mine).toEqual({
        notifications: [
          {
            id: row.id,
            kind: "follow",
            read: false,
            createdAt: row.createdAt.toISOString(),
            actor: { username: fan.username, bio: null, image: null, following: false },
            article: null,
            comment: null,
          },
        ],
        unreadCount: 1,
        nextCursor: null,
      });
      expect(mine.notifications[0]?.createdAt).toMatch(ISO_WITH_MILLISECONDS);
      expect(await page(fan)).toEqual(EMPTY);
    });

    it("when someone favorites my article, then I get a favorite notification naming the article", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);
      const article = await articleBy(me);

      await favorite(fan, article.slug);

      const { notifications, unreadCount } = await page(me);
      expect(unreadCount).toBe(1);
      expect(notifications).toEqual([
        {
          id: expect.any(Number) as number,
          kind: "favorite",
          read: false,
          createdAt: expect.stringMatching(ISO_WITH_MILLISECONDS) as string,
          actor: { username: fan.username, bio: null, image: null, following: false },
          article: { slug: article.slug, title: article.title },
          comment: null,
        },
      ]);
      expect(await page(fan)).toEqual(EMPTY);
    });

    it("when someone comments on my article, then I get a comment notification with the comment", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);

      const commentId = await comment(reader, article.slug, "  Well put.  ");

      const { notifications, unreadCount } = await page(me);
      expect(unreadCount).toBe(1);
      expect(notifications).toEqual([
        {
          id: expect.any(Number) as number,
          kind: "comment",
          read: false,
          createdAt: expect.stringMatching(ISO_WITH_MILLISECONDS) as string,
          actor: { username: reader.username, bio: null, image: null, following: false },
          article: { slug: article.slug, title: article.title },
          comment: { id: commentId, body: "Well put." },
        },
      ]);
      expect(await page(reader)).toEqual(EMPTY);
    });

    it("when someone comments twice, then each comment is its own notification", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);
      const first = await comment(reader, article.slug, "One");
      const second = await comment(reader, article.slug, "Two");

      const { notifications, unreadCount } = await page(me);
      expect(unreadCount).toBe(2);
      expect(notifications.map((n) => n.comment?.id)).toEqual([second, first]);
    });

    it("when the actor is someone I follow, then the actor carries following true (my view)", async () => {
      const me = await registerUser(service);
      const friend = await registerUser(service);
      await follow(me, friend);
      await follow(friend, me);

      const { notifications } = await page(me);
      expect(notifications.map((n) => [n.kind, n.actor.username, n.actor.following])).toEqual([
        ["follow", friend.username, true],
      ]);
    });

    it("when I favorite or comment on my own article, then no notification", async () => {
      const me = await registerUser(service);
      const article = await articleBy(me);

      await favorite(me, article.slug);
      await comment(me, article.slug, "A note to self");

      expect(await page(me)).toEqual(EMPTY);
      expect(await db().notification.count()).toBe(0);
    });

    it("when someone follows, unfollows and follows again (or follows twice), then only one notification", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);

      await follow(fan, me);
      await follow(fan, me);
      await unfollow(fan, me);
      await follow(fan, me);

      const { notifications, unreadCount } = await page(me);
      expect(notifications.map((n) => [n.kind, n.actor.username])).toEqual([
        ["follow", fan.username],
      ]);
      expect(unreadCount).toBe(1);
    });

    it("when someone favorites, unfavorites and favorites again, then only one notification", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);
      const article = await articleBy(me);

      await favorite(fan, article.slug);
      await unfavorite(fan, article.slug);
      await favorite(fan, article.slug);
      await favorite(fan, article.slug);

      const { notifications, unreadCount } = await page(me);
      expect(notifications.map((n) => [n.kind, n.article?.slug])).toEqual([
        ["favorite", article.slug],
      ]);
      expect(unreadCount).toBe(1);
    });

    it("when the same follow and favorite arrive twice at once, then one notification each", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);
      const article = await articleBy(me);

      await Promise.all([follow(fan, me), follow(fan, me)]);
      await Promise.all([favorite(fan, article.slug), favorite(fan, article.slug)]);

      const { notifications } = await page(me);
      expect(notifications.map((n) => n.kind)).toEqual(["favorite", "follow"]);
    });

    it("when the repeat comes after I read the first one, then still no second notification", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);
      const article = await articleBy(me);
      await favorite(fan, article.slug);
      await follow(fan, me);
      expect(await json(await markRead(me.token, { all: true }))).toEqual({
        marked: 2,
        unreadCount: 0,
      });

      await unfavorite(fan, article.slug);
      await favorite(fan, article.slug);
      await unfollow(fan, me);
      await follow(fan, me);

      const { notifications, unreadCount } = await page(me);
      expect(notifications).toHaveLength(2);
      expect(unreadCount).toBe(0);
    });

    it("when the same person favorites two of my articles, then one notification for each", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);
      const first = await articleBy(me);
      const second = await articleBy(me);

      await favorite(fan, first.slug);
      await favorite(fan, second.slug);

      const { notifications } = await page(me);
      expect(notifications.map((n) => n.article?.slug)).toEqual([second.slug, first.slug]);
    });
  });

  describe("GET /api/notifications", () => {
    it("when nobody is signed in, then 401 token is missing", async () => {
      await expectError(await list(undefined), 401, { token: ["is missing"] });
    });

    it("when several kinds arrive, then they are listed newest first, each only to its recipient", async () => {
      const me = await registerUser(service);
      const other = await registerUser(service);
      const a = await registerUser(service);
      const b = await registerUser(service);
      const mine = await articleBy(me);
      const theirs = await articleBy(other);

      await follow(a, me);
      await favorite(b, mine.slug);
      await favorite(a, theirs.slug);
      await comment(a, mine.slug, "Hello");

      const { notifications, unreadCount } = await page(me);
      expect(notifications.map((n) => [n.kind, n.actor.username])).toEqual([
        ["comment", a.username],
        ["favorite", b.username],
        ["follow", a.username],
      ]);
      const ids = notifications.map((n) => n.id);
      expect(ids).toEqual([...ids].sort((x, y) => y - x));
      expect(unreadCount).toBe(3);
      const theirPage = await page(other);
      expect(theirPage.notifications.map((n) => [n.kind, n.actor.username])).toEqual([
        ["favorite", a.username],
      ]);
    });

    it("when walking with limit=2 via nextCursor, then every notification comes once, in order, until null", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);
      for (let i = 1; i <= 7; i++) await comment(reader, article.slug, `Comment ${i}`);
      const all = await page(me, "?limit=100");
      expect(all.notifications).toHaveLength(7);
      expect(all.nextCursor).toBeNull();

      const seen: Notification[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? "?limit=2" : `?limit=2&cursor=${cursor}`;
        const current = await page(me, query);
        expect(current.unreadCount).toBe(7);
        sizes.push(current.notifications.length);
        seen.push(...current.notifications);
        cursor = current.nextCursor;
        if (cursor !== null) expect(cursor).toBe(String(current.notifications.at(-1)?.id));
        pages++;
      } while (cursor !== null && pages < 10);

      expect(sizes).toEqual([2, 2, 2, 1]);
      expect(seen).toEqual(all.notifications);
      expect(seen.map((n) => n.comment?.body)).toEqual(
        [7, 6, 5, 4, 3, 2, 1].map((i) => `Comment ${i}`),
      );
    });

    it("when the last page is exactly full, then its nextCursor is null (no empty page after it)", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);
      for (let i = 1; i <= 4; i++) await comment(reader, article.slug, `Comment ${i}`);

      const first = await page(me, "?limit=2");
      expect(first.notifications).toHaveLength(2);
      expect(first.nextCursor).not.toBeNull();
      const second = await page(me, `?limit=2&cursor=${first.nextCursor}`);
      expect(second.notifications.map((n) => n.comment?.body)).toEqual(["Comment 2", "Comment 1"]);
      expect(second.nextCursor).toBeNull();
    });

    it("when new notifications arrive while paging, then the older pages neither repeat nor skip", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);
      for (let i = 1; i <= 4; i++) await comment(reader, article.slug, `Old ${i}`);

      const first = await page(me, "?limit=2");
      await comment(reader, article.slug, "New");
      const second = await page(me, `?limit=2&cursor=${first.nextCursor}`);

      expect(first.notifications.map((n) => n.comment?.body)).toEqual(["Old 4", "Old 3"]);
      expect(second.notifications.map((n) => n.comment?.body)).toEqual(["Old 2", "Old 1"]);
      expect(second.unreadCount).toBe(5);
    });

    it("when no limit is given, then a page holds 20", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);
      for (let i = 1; i <= 21; i++) await comment(reader, article.slug, `Comment ${i}`);
      const first = await page(me);
      expect(first.notifications).toHaveLength(20);
      expect(first.nextCursor).toBe(String(first.notifications[19]?.id));
      const rest = await page(me, `?cursor=${first.nextCursor}`);
      expect(rest.notifications.map((n) => n.comment?.body)).toEqual(["Comment 1"]);
      expect(rest.nextCursor).toBeNull();
    });

    it.each([
      ["?limit=0", "limit"],
      ["?limit=abc", "limit"],
      ["?limit=-1", "limit"],
      ["?limit=1.5", "limit"],
      ["?limit=", "limit"],
      ["?cursor=abc", "cursor"],
      ["?cursor=0", "cursor"],
      ["?cursor=-3", "cursor"],
      ["?cursor=1.5", "cursor"],
      ["?cursor=99999999999", "cursor"],
      ["?cursor=", "cursor"],
    ])("when the query is %s, then 422 naming %s", async (query, field) => {
      const me = await registerUser(service);
      const response = await list(me.token, query);
      const body = await json<{ errors: Record<string, string[]> }>(response, 422);
      expect(Object.keys(body.errors)).toEqual([field]);
    });

    it("when limit is above MAX_PAGE_SIZE, then 422 saying the maximum", async () => {
      const me = await registerUser(service);
      const max = service.container.config.http.maxPageSize;
      await expectError(await list(me.token, `?limit=${max + 1}`), 422, {
        limit: [`must be at most ${max}`],
      });
      expect((await list(me.token, `?limit=${max}`)).status).toBe(200);
    });
  });

  describe("POST /api/notifications/read", () => {
    /** Three notifications for `me`: a follow, a favorite and a comment, newest first. */
    async function threeFor(me: RegisteredUser): Promise<number[]> {
      const actor = await registerUser(service);
      const article = await articleBy(me);
      await follow(actor, me);
      await favorite(actor, article.slug);
      await comment(actor, article.slug, "Hi");
      return (await page(me)).notifications.map((n) => n.id);
    }

    it("when given ids, then only those are marked read and the answer counts them", async () => {
      const me = await registerUser(service);
      const [newest, middle, oldest] = await threeFor(me);

      const result = await json(await markRead(me.token, { ids: [newest, oldest] }));

      expect(result).toEqual({ marked: 2, unreadCount: 1 });
      const after = await page(me);
      expect(after.notifications.map((n) => [n.id, n.read])).toEqual([
        [newest, true],
        [middle, false],
        [oldest, true],
      ]);
      expect(after.unreadCount).toBe(1);
      // Already read ones are not counted again.
      expect(await json(await markRead(me.token, { ids: [newest, middle] }))).toEqual({
        marked: 1,
        unreadCount: 0,
      });
    });

    it("when the ids are someone else's, then theirs stay unread and nothing is marked", async () => {
      const me = await registerUser(service);
      const other = await registerUser(service);
      const [mine] = await threeFor(me);
      const theirs = await threeFor(other);

      expect(await json(await markRead(me.token, { ids: theirs }))).toEqual({
        marked: 0,
        unreadCount: 3,
      });
      expect(await json(await markRead(me.token, { ids: [theirs[0], mine] }))).toEqual({
        marked: 1,
        unreadCount: 2,
      });

      const theirPage = await page(other);
      expect(theirPage.unreadCount).toBe(3);
      expect(theirPage.notifications.map((n) => n.read)).toEqual([false, false, false]);
      const stored = await db().notification.findMany({ where: { recipientId: other.id } });
      expect(stored.map((row) => row.readAt)).toEqual([null, null, null]);
    });

    it("when given ids that do not exist, then nothing is marked", async () => {
      const me = await registerUser(service);
      await threeFor(me);
      expect(await json(await markRead(me.token, { ids: [999_999] }))).toEqual({
        marked: 0,
        unreadCount: 3,
      });
    });

    it("when given all: true, then every one of mine is read and nobody else's", async () => {
      const me = await registerUser(service);
      const other = await registerUser(service);
      await threeFor(me);
      await threeFor(other);

      expect(await json(await markRead(me.token, { all: true }))).toEqual({
        marked: 3,
        unreadCount: 0,
      });

      const after = await page(me);
      expect(after.unreadCount).toBe(0);
      expect(after.notifications.map((n) => n.read)).toEqual([true, true, true]);
      expect((await page(other)).unreadCount).toBe(3);
      expect(await json(await markRead(me.token, { all: true }))).toEqual({
        marked: 0,
        unreadCount: 0,
      });
    });

    it.each([
      ["neither ids nor all", {}],
      ["both ids and all", { ids: [1], all: true }],
      ["all: false", { all: false }],
      ["an empty ids list", { ids: [] }],
      ["ids that are not a list", { ids: "1" }],
      ["ids that are not numbers", { ids: ["abc"] }],
      ["an id of 0", { ids: [0] }],
    ])("when the body has %s, then 422 and nothing is marked", async (_case, body) => {
      const me = await registerUser(service);
      await threeFor(me);
      await expectError(await markRead(me.token, body), 422);
      expect((await page(me)).unreadCount).toBe(3);
    });

    it("when neither ids nor all is given, then the 422 says what to give", async () => {
      const me = await registerUser(service);
      await expectError(await markRead(me.token, {}), 422, {
        body: ["must give either ids or all: true"],
      });
    });

    it("when more than 100 ids are given, then 422", async () => {
      const me = await registerUser(service);
      const ids = Array.from({ length: 101 }, (_, i) => i + 1);
      await expectError(await markRead(me.token, { ids }), 422, {
        ids: ["must name at most 100 notifications"],
      });
    });

    it("when nobody is signed in, then 401 token is missing", async () => {
      await expectError(await markRead(undefined, { all: true }), 401, { token: ["is missing"] });
    });
  });

  describe("when what a notification is about goes away", () => {
    it("when my article is deleted, then its favorite and comment notifications disappear; the follow stays", async () => {
      const me = await registerUser(service);
      const fan = await registerUser(service);
      const doomed = await articleBy(me);
      const kept = await articleBy(me);
      await follow(fan, me);
      await favorite(fan, doomed.slug);
      await comment(fan, doomed.slug, "On the doomed one");
      await favorite(fan, kept.slug);
      expect((await page(me)).unreadCount).toBe(4);

      expect((await send("DELETE", `/articles/${doomed.slug}`, me.token)).status).toBe(204);

      const after = await page(me);
      expect(after.notifications.map((n) => [n.kind, n.article?.slug ?? null])).toEqual([
        ["favorite", kept.slug],
        ["follow", null],
      ]);
      expect(after.unreadCount).toBe(2);
    });

    it("when a comment is deleted, then its notification disappears", async () => {
      const me = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(me);
      const kept = await comment(reader, article.slug, "Kept");
      const doomed = await comment(reader, article.slug, "Doomed");

      expect(
        (await send("DELETE", `/articles/${article.slug}/comments/${doomed}`, reader.token)).status,
      ).toBe(204);

      const after = await page(me);
      expect(after.notifications.map((n) => n.comment?.id)).toEqual([kept]);
      expect(after.unreadCount).toBe(1);
    });
  });
});
