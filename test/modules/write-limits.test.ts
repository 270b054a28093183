import { postArticle, postComment, updateArticle } from "../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../support/auth";
import { resetState } from "../support/database";
import { createArticle, createComment } from "../support/factories";
import { ownRedisPrefix, startTestService, useTestService } from "../support/service";

const TOO_MANY = { requests: ["are too many, try again later"] };

describe("per-user write limits", () => {
  const service = useTestService({
    env: {
      REDIS_KEY_PREFIX: ownRedisPrefix("write-limits"),
      ARTICLE_WRITES_PER_USER_PER_HOUR: "3",
      COMMENTS_PER_USER_PER_MINUTE: "2",
      FAVORITES_PER_USER_PER_MINUTE: "2",
      FOLLOWS_PER_USER_PER_MINUTE: "2",
    },
  });
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;
  const send = (method: string, path: string, user: RegisteredUser) =>
    fetch(api(path), { method, headers: tokenHeader(user.token) });

  const newArticle = (user: RegisteredUser, title: string) =>
    postArticle(service, user.token, { title, description: "About it", body: "Text" });
  const editArticle = (user: RegisteredUser, slug: string, changes: Record<string, unknown>) =>
    updateArticle(service, user.token, slug, changes);
  const comment = (user: RegisteredUser, slug: string, body: string) =>
    postComment(service, user.token, slug, body);

  /** The limit headers of an allowed answer, and that it was allowed. */
  async function expectAllowed(
    response: Response,
    status: number,
    policy: string,
    remaining: number,
    window: number,
  ): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status });
    expect(response.headers.get("ratelimit-policy")).toBe(policy);
    const header = response.headers.get("ratelimit") ?? "";
    const match = /^limit=(\d+), remaining=(\d+), reset=(\d+)$/.exec(header);
    expect(match).not.toBeNull();
    const [, limit, left, reset] = match!;
    expect([Number(limit), Number(left)]).toEqual([Number(policy.split(";")[0]), remaining]);
    expect(Number(reset)).toBeGreaterThanOrEqual(1);
    expect(Number(reset)).toBeLessThanOrEqual(window);
  }

  /** A 429 with the RealWorld envelope and a Retry-After within the window. */
  async function expectRefused(response: Response, window: number): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 429 });
    const body = JSON.parse(text) as { errors: unknown; code: string };
    expect(body.errors).toEqual(TOO_MANY);
    expect(body.code).toBe("TOO_MANY_REQUESTS");
    const retryAfter = response.headers.get("retry-after");
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(window);
    expect(response.headers.get("ratelimit")).toMatch(/^limit=\d+, remaining=0, reset=\d+$/);
  }

  describe("COMMENTS_PER_USER_PER_MINUTE", () => {
    it("when a user comments over the limit, then 429 and the refused comment is not stored", async () => {
      const author = await registerUser(service);
      const user = await registerUser(service);
      const article = await createArticle(db(), author.id);

      await expectAllowed(await comment(user, article.slug, "One"), 201, "2;w=60", 1, 60);
      await expectAllowed(await comment(user, article.slug, "Two"), 201, "2;w=60", 0, 60);
      await expectRefused(await comment(user, article.slug, "Three"), 60);

      const stored = await db().comment.findMany({ orderBy: { id: "asc" } });
      expect(stored.map((row) => row.body)).toEqual(["One", "Two"]);
      expect(await db().notification.count({ where: { kind: "COMMENT" } })).toBe(2);
      // The limit is the user's, not the session's: a new sign-in does not reset it.
      const login = await postJson(api("/users/login"), {
        user: { email: user.email, password: user.password },
      });
      const { user: signedIn } = (await login.json()) as { user: { token: string } };
      await expectRefused(
        await comment({ ...user, token: signedIn.token }, article.slug, "Four"),
        60,
      );
      expect(await db().comment.count()).toBe(2);
      // Reading is not limited.
      expect((await fetch(api(`/articles/${article.slug}/comments`))).status).toBe(200);
    });

    it("when a user deletes comments, then the deletes count toward the same limit, and a refused delete removes nothing", async () => {
      const author = await registerUser(service);
      const user = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const first = await createComment(db(), article.id, user.id, "First");
      const second = await createComment(db(), article.id, user.id, "Second");
      const deleteComment = (id: number) =>
        send("DELETE", `/articles/${article.slug}/comments/${id}`, user);

      await expectAllowed(await comment(user, article.slug, "New"), 201, "2;w=60", 1, 60);
      await expectAllowed(await deleteComment(first.id), 204, "2;w=60", 0, 60);
      await expectRefused(await deleteComment(second.id), 60);
      await expectRefused(await comment(user, article.slug, "Too many"), 60);

      const stored = await db().comment.findMany({ orderBy: { id: "asc" } });
      expect(stored.map((row) => row.body)).toEqual(["Second", "New"]);
    });

    it("when a burst of comments arrives at once, then exactly the limit is let through", async () => {
      const author = await registerUser(service);
      const user = await registerUser(service);
      const article = await createArticle(db(), author.id);

      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) => comment(user, article.slug, `Burst ${i}`)),
      );

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 201, 429, 429, 429, 429]);
      expect(await db().comment.count()).toBe(2);
    });

    it("when one user has spent the limit, then another user may still comment", async () => {
      const author = await registerUser(service);
      const spender = await registerUser(service);
      const other = await registerUser(service);
      const article = await createArticle(db(), author.id);
      for (const body of ["a", "b"])
        expect((await comment(spender, article.slug, body)).status).toBe(201);
      await expectRefused(await comment(spender, article.slug, "c"), 60);

      await expectAllowed(await comment(other, article.slug, "mine"), 201, "2;w=60", 1, 60);
      expect(await db().comment.count({ where: { authorId: other.id } })).toBe(1);
    });
  });

  describe("ARTICLE_WRITES_PER_USER_PER_HOUR", () => {
    it("when creating, editing and deleting share the limit, then the next of each is 429 and changes nothing", async () => {
      const user = await registerUser(service);
      const kept = await createArticle(db(), user.id);

      const created = await newArticle(user, "First one");
      const { article } = (await created.clone().json()) as { article: { slug: string } };
      await expectAllowed(created, 201, "3;w=3600", 2, 3600);
      await expectAllowed(
        await editArticle(user, article.slug, { body: "Edited" }),
        200,
        "3;w=3600",
        1,
        3600,
      );
      await expectAllowed(
        await send("DELETE", `/articles/${article.slug}`, user),
        204,
        "3;w=3600",
        0,
        3600,
      );

      await expectRefused(await newArticle(user, "Second one"), 3600);
      await expectRefused(await editArticle(user, kept.slug, { title: "Renamed" }), 3600);
      await expectRefused(await send("DELETE", `/articles/${kept.slug}`, user), 3600);

      const stored = await db().article.findMany({ where: { authorId: user.id } });
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ id: kept.id, slug: kept.slug, title: kept.title });
      expect(stored[0]?.updatedAt).toEqual(kept.updatedAt);
      expect(await db().article.count({ where: { title: "Second one" } })).toBe(0);
    });

    it("when one user has spent the limit, then another user may still publish", async () => {
      const spender = await registerUser(service);
      const other = await registerUser(service);
      for (const title of ["a", "b", "c"])
        expect((await newArticle(spender, title)).status).toBe(201);
      await expectRefused(await newArticle(spender, "d"), 3600);

      await expectAllowed(await newArticle(other, "Mine"), 201, "3;w=3600", 2, 3600);
      expect(await db().article.count({ where: { authorId: other.id } })).toBe(1);
      expect(await db().article.count({ where: { authorId: spender.id } })).toBe(3);
    });
  });

  describe("FAVORITES_PER_USER_PER_MINUTE", () => {
    it("when favorite and unfavorite share the limit, then the next is 429 and the favorite is not stored", async () => {
      const author = await registerUser(service);
      const user = await registerUser(service);
      const other = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const path = `/articles/${article.slug}/favorite`;

      await expectAllowed(await send("POST", path, user), 200, "2;w=60", 1, 60);
      await expectAllowed(await send("DELETE", path, user), 200, "2;w=60", 0, 60);
      await expectRefused(await send("POST", path, user), 60);

      expect(await db().favorite.count()).toBe(0);
      const stored = await db().article.findUniqueOrThrow({ where: { id: article.id } });
      expect(stored.favoritesCount).toBe(0);

      // Another user is unaffected.
      await expectAllowed(await send("POST", path, other), 200, "2;w=60", 1, 60);
      expect(await db().favorite.count({ where: { userId: other.id } })).toBe(1);
    });
  });

  describe("FOLLOWS_PER_USER_PER_MINUTE", () => {
    it("when follow and unfollow share the limit, then the next is 429 and no follow is made", async () => {
      const target = await registerUser(service);
      const user = await registerUser(service);
      const other = await registerUser(service);
      const path = `/profiles/${target.username}/follow`;

      await expectAllowed(await send("POST", path, user), 200, "2;w=60", 1, 60);
      await expectAllowed(await send("DELETE", path, user), 200, "2;w=60", 0, 60);
      await expectRefused(await send("POST", path, user), 60);

      expect(await db().follow.count({ where: { followerId: user.id } })).toBe(0);
      const profile = (await (
        await fetch(api(`/profiles/${target.username}`), { headers: tokenHeader(user.token) })
      ).json()) as { profile: { following: boolean } };
      expect(profile.profile.following).toBe(false);

      await expectAllowed(await send("POST", path, other), 200, "2;w=60", 1, 60);
      expect(await db().follow.count({ where: { followerId: other.id } })).toBe(1);
    });
  });

  describe("limits are separate", () => {
    it("when a user has spent the comment limit, then their favorites, follows and articles still go through", async () => {
      const author = await registerUser(service);
      const user = await registerUser(service);
      const article = await createArticle(db(), author.id);
      for (const body of ["a", "b"])
        expect((await comment(user, article.slug, body)).status).toBe(201);
      await expectRefused(await comment(user, article.slug, "c"), 60);

      await expectAllowed(
        await send("POST", `/articles/${article.slug}/favorite`, user),
        200,
        "2;w=60",
        1,
        60,
      );
      await expectAllowed(
        await send("POST", `/profiles/${author.username}/follow`, user),
        200,
        "2;w=60",
        1,
        60,
      );
      await expectAllowed(await newArticle(user, "Still allowed"), 201, "3;w=3600", 2, 3600);
    });
  });

  describe("the default test limits", () => {
    it("when the test environment's raised limits apply, then a few writes are never refused", async () => {
      const relaxed = await startTestService();
      try {
        const author = await registerUser(relaxed);
        const user = await registerUser(relaxed);
        const article = await createArticle(relaxed.container.db, author.id);
        for (let i = 0; i < 4; i++) {
          const response = await postComment(relaxed, user.token, article.slug, `Comment ${i}`);
          expect(response.status).toBe(201);
          expect(response.headers.get("ratelimit-policy")).toBe("100000;w=60");
        }
      } finally {
        await resetState(relaxed.container);
        await relaxed.stop();
      }
    });
  });
});
