import type { Role } from "../../src/generated/prisma/client";
import { postJson, tokenHeader, uniqueName } from "../support/auth";
import { slugBase } from "../../src/modules/articles/slug";
import { createArticle, createComment, createUser } from "../support/factories";
import { useTestService } from "../support/service";

interface Member {
  id: number;
  username: string;
  token: string;
}

interface Answer {
  status: number;
  body: unknown;
}

interface ArticleAnswer {
  article: {
    slug: string;
    title: string;
    favorited: boolean;
    favoritesCount: number;
    tagList: string[];
  };
}

/** Statuses by how often each came back, e.g. { 200: 49, 500: 1 }, for readable failures. */
function tally(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** The bodies of the answers that were server errors, so a failure shows what went wrong. */
function serverErrors(answers: Answer[]): unknown[] {
  return answers.filter(({ status }) => status >= 500).map(({ body }) => body);
}

/**
 * What a request racing the deletion of its article may answer: its success
 * status (it came first), 404 (the article was already gone when it looked), or
 * the documented 409 (it found the article, which was deleted before it wrote;
 * docs/api.md, "Errors"). Anything else, a 500 above all, fails the comparison.
 */
function raceOutcome(answer: Answer, successes: readonly number[]): unknown {
  if (successes.includes(answer.status)) return answer;
  if (answer.status === 404) {
    return {
      status: 404,
      body: expect.objectContaining({ errors: { article: ["not found"] } }) as unknown,
    };
  }
  return {
    status: 409,
    body: expect.objectContaining({
      code: "CONFLICT",
      errors: { record: ["refers to something that no longer exists"] },
    }) as unknown,
  };
}

describe("concurrent requests", () => {
  // These tests are about what races do to the data, not about shedding load:
  // dozens of transactions queue for the pool and for one row's lock, and on a
  // busy machine that queue may outlast the default waits, which would then
  // (rightly) answer 503 "busy". Bounds far above any queue keep the verdict
  // independent of the machine's speed.
  const service = useTestService({
    env: { DATABASE_CONNECT_TIMEOUT_MS: "60000", DATABASE_STATEMENT_TIMEOUT_MS: "60000" },
  });
  const db = () => service.container.db;

  /**
   * A user with a real session and a real access token. The row comes from the
   * factory and the session from the service's own AuthService (Redis session,
   * signed JWT) rather than POST /api/users, which would spend an argon2 hash per
   * user on something these tests are not about.
   */
  async function member(role: Role = "USER"): Promise<Member> {
    const row = await createUser(db(), { role });
    const session = await service.container.services.auth.startSession(row, {
      ip: "127.0.0.1",
      userAgent: "concurrency-test",
    });
    return { id: row.id, username: row.username, token: session.accessToken };
  }

  const members = (count: number) => Promise.all(Array.from({ length: count }, () => member()));

  async function send(method: string, path: string, token: string, body?: unknown) {
    const response =
      body === undefined
        ? await fetch(`${service.url}/api${path}`, { method, headers: tokenHeader(token) })
        : await postJson(`${service.url}/api${path}`, body, tokenHeader(token), method);
    const text = await response.text();
    return {
      status: response.status,
      body: text === "" ? undefined : (JSON.parse(text) as unknown),
    };
  }

  /** Sends every request at the same moment and waits for all the answers. */
  const atOnce = (requests: Array<() => Promise<Answer>>) =>
    Promise.all(requests.map((request) => request()));
  const times = (count: number, request: () => Promise<Answer>) =>
    atOnce(Array.from({ length: count }, () => request));

  async function storedCount(articleId: number) {
    const article = await db().article.findUnique({ where: { id: articleId } });
    return {
      counter: article?.favoritesCount,
      rows: await db().favorite.count({ where: { articleId } }),
    };
  }

  async function authorWithArticle() {
    const author = await member();
    const article = await createArticle(db(), author.id);
    return { author, article };
  }

  it("the tokens these tests use are accepted by the service", async () => {
    const user = await member();
    const answer = await send("GET", "/user", user.token);
    expect(answer).toMatchObject({ status: 200, body: { user: { username: user.username } } });
  });

  describe("favorites", () => {
    it("when 50 users favorite one article at the same time, then every answer is 200 and the count is exactly 50", async () => {
      const { author, article } = await authorWithArticle();
      const fans = await members(50);

      const answers = await atOnce(
        fans.map((fan) => () => send("POST", `/articles/${article.slug}/favorite`, fan.token)),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 200: 50 },
        errors: [],
      });
      const counts = answers.map(({ body }) => (body as ArticleAnswer).article.favoritesCount);
      for (const { body } of answers) expect((body as ArticleAnswer).article.favorited).toBe(true);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...counts)).toBe(50);

      expect(await storedCount(article.id)).toEqual({ counter: 50, rows: 50 });
      const read = await fetch(`${service.url}/api/articles/${article.slug}`);
      expect(((await read.json()) as ArticleAnswer).article.favoritesCount).toBe(50);
      expect(
        await db().notification.count({ where: { recipientId: author.id, kind: "FAVORITE" } }),
      ).toBe(50);
    });

    it("when one user favorites the same article 20 times at once, then the count is 1, with one notification", async () => {
      const { author, article } = await authorWithArticle();
      const fan = await member();

      const answers = await times(20, () =>
        send("POST", `/articles/${article.slug}/favorite`, fan.token),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 200: 20 },
        errors: [],
      });
      for (const { body } of answers) {
        expect((body as ArticleAnswer).article).toMatchObject({
          favorited: true,
          favoritesCount: 1,
        });
      }
      expect(await storedCount(article.id)).toEqual({ counter: 1, rows: 1 });
      expect(
        await db().notification.count({ where: { recipientId: author.id, kind: "FAVORITE" } }),
      ).toBe(1);
    });

    it("when the same user then unfavorites 20 times at once, then the count is 0 and never negative", async () => {
      const { article } = await authorWithArticle();
      const fan = await member();
      await times(20, () => send("POST", `/articles/${article.slug}/favorite`, fan.token));
      expect(await storedCount(article.id)).toEqual({ counter: 1, rows: 1 });

      const answers = await times(20, () =>
        send("DELETE", `/articles/${article.slug}/favorite`, fan.token),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 200: 20 },
        errors: [],
      });
      for (const { body } of answers) {
        expect((body as ArticleAnswer).article).toMatchObject({
          favorited: false,
          favoritesCount: 0,
        });
      }
      expect(await storedCount(article.id)).toEqual({ counter: 0, rows: 0 });
    });

    it("when favorites and unfavorites by many users interleave, then the counter equals the rows", async () => {
      const { article } = await authorWithArticle();
      const leaving = await members(20);
      const arriving = await members(20);
      for (const fan of leaving) {
        await send("POST", `/articles/${article.slug}/favorite`, fan.token);
      }
      expect(await storedCount(article.id)).toEqual({ counter: 20, rows: 20 });

      const answers = await atOnce([
        ...leaving.map(
          (fan) => () => send("DELETE", `/articles/${article.slug}/favorite`, fan.token),
        ),
        ...arriving.map(
          (fan) => () => send("POST", `/articles/${article.slug}/favorite`, fan.token),
        ),
        // Each arriving user's second, duplicate favorite.
        ...arriving.map(
          (fan) => () => send("POST", `/articles/${article.slug}/favorite`, fan.token),
        ),
      ]);

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 200: 60 },
        errors: [],
      });
      for (const { body } of answers) {
        expect((body as ArticleAnswer).article.favoritesCount).toBeGreaterThanOrEqual(0);
      }
      expect(await storedCount(article.id)).toEqual({ counter: 20, rows: 20 });
    });
  });

  describe("slugs and tags", () => {
    const publish = (author: Member, article: Record<string, unknown>) =>
      send("POST", "/articles", author.token, {
        article: { description: "About it", body: "Body.", ...article },
      });

    it.each([2, 10])(
      "when %i articles with the same title are created at once, then all are 201 with distinct slugs",
      async (count) => {
        const authors = await members(count);
        const title = `Same Title ${uniqueName("t")}`;

        const answers = await atOnce(authors.map((author) => () => publish(author, { title })));

        expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
          statuses: { 201: count },
          errors: [],
        });
        const slugs = answers.map(({ body }) => (body as ArticleAnswer).article.slug);
        expect(new Set(slugs).size).toBe(count);
        const base = slugBase(title);
        for (const slug of slugs) expect(slug.startsWith(base)).toBe(true);
        const stored = await db().article.findMany({ where: { title }, select: { slug: true } });
        expect(stored.map(({ slug }) => slug).sort()).toEqual([...slugs].sort());
      },
    );

    it("when one author creates 10 articles with the same title at once, then all are 201 with distinct slugs", async () => {
      const author = await member();
      const title = `Mine ${uniqueName("t")}`;

      const answers = await times(10, () => publish(author, { title }));

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 201: 10 },
        errors: [],
      });
      const slugs = answers.map(({ body }) => (body as ArticleAnswer).article.slug);
      expect(new Set(slugs).size).toBe(10);
      expect(await db().article.count({ where: { authorId: author.id } })).toBe(10);
    });

    it("when articles sharing brand-new tags are created at once, then all are 201 and each tag exists once", async () => {
      const authors = await members(12);
      const shared = ["zeta", "alpha", "mu", "omega"].map((name) => uniqueName(name));
      // Every author lists the shared tags in a different order, plus one of their own.
      const tagLists = authors.map((_, i) => [
        ...shared.slice(i % shared.length),
        ...shared.slice(0, i % shared.length),
        `own-${i}-${uniqueName("t")}`,
      ]);

      const answers = await atOnce(
        authors.map(
          (author, i) => () =>
            publish(author, {
              title: `Tagged ${i}`,
              tagList: i % 2 === 0 ? tagLists[i] : [...tagLists[i]!].reverse(),
            }),
        ),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 201: 12 },
        errors: [],
      });
      for (const [i, { body }] of answers.entries()) {
        expect((body as ArticleAnswer).article.tagList).toEqual([...tagLists[i]!].sort());
      }
      for (const name of shared) {
        expect(await db().tag.count({ where: { name } })).toBe(1);
        expect(await db().articleTag.count({ where: { tag: { name } } })).toBe(12);
      }
      expect(await db().tag.count()).toBe(shared.length + 12);
      const listed = await fetch(`${service.url}/api/tags`);
      const { tags } = (await listed.json()) as { tags: string[] };
      for (const name of shared) expect(tags.filter((tag) => tag === name)).toHaveLength(1);
    });
  });

  describe("follows", () => {
    it("when one user follows the same profile 20 times at once, then all are 200, with one follow and one notification", async () => {
      const fan = await member();
      const star = await member();

      const answers = await times(20, () =>
        send("POST", `/profiles/${star.username}/follow`, fan.token),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 200: 20 },
        errors: [],
      });
      for (const { body } of answers) {
        expect(body).toMatchObject({ profile: { username: star.username, following: true } });
      }
      expect(await db().follow.count({ where: { followerId: fan.id, followingId: star.id } })).toBe(
        1,
      );
      expect(
        await db().notification.count({ where: { recipientId: star.id, kind: "FOLLOW" } }),
      ).toBe(1);
    });

    it("when 30 users follow one profile at once, then each follow and each notification exists once", async () => {
      const star = await member();
      const fans = await members(30);

      const answers = await atOnce(
        fans.map((fan) => () => send("POST", `/profiles/${star.username}/follow`, fan.token)),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 200: 30 },
        errors: [],
      });
      expect(await db().follow.count({ where: { followingId: star.id } })).toBe(30);
      expect(
        await db().notification.count({ where: { recipientId: star.id, kind: "FOLLOW" } }),
      ).toBe(30);
    });
  });

  describe("deletes racing other requests", () => {
    it("when the author deletes the same comment 10 times at once, then one 204 and the rest 404", async () => {
      const { author, article } = await authorWithArticle();
      const comment = await createComment(db(), article.id, author.id);

      const answers = await times(10, () =>
        send("DELETE", `/articles/${article.slug}/comments/${comment.id}`, author.token),
      );

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 204: 1, 404: 9 },
        errors: [],
      });
      for (const { status, body } of answers) {
        if (status === 404) expect(body).toMatchObject({ errors: { comment: ["not found"] } });
      }
      expect(await db().comment.count()).toBe(0);
    });

    it("when a moderator and the commenter delete the same comment at once, then one 204, the rest 404, and at most one audit entry", async () => {
      const { article } = await authorWithArticle();
      const commenter = await member();
      const moderator = await member("MODERATOR");
      const comment = await createComment(db(), article.id, commenter.id);

      const path = `/articles/${article.slug}/comments/${comment.id}`;
      const answers = await atOnce([
        ...Array.from({ length: 5 }, () => () => send("DELETE", path, moderator.token)),
        ...Array.from({ length: 5 }, () => () => send("DELETE", path, commenter.token)),
      ]);

      expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
        statuses: { 204: 1, 404: 9 },
        errors: [],
      });
      const winner = answers.findIndex(({ status }) => status === 204);
      const audits = await db().auditLog.count({ where: { action: "comment.delete" } });
      // The moderator's removal is audited; the commenter's own is not.
      expect(audits).toBe(winner < 5 ? 1 : 0);
      expect(await db().comment.count()).toBe(0);
    });

    it.each([1, 2, 3, 4, 5])(
      "when an article is deleted while 20 users favorite it (round %i), then no request fails with a server error",
      async () => {
        const { author, article } = await authorWithArticle();
        const fans = await members(20);
        const path = `/articles/${article.slug}`;

        const answers = await atOnce([
          ...fans.slice(0, 10).map((fan) => () => send("POST", `${path}/favorite`, fan.token)),
          () => send("DELETE", path, author.token),
          ...fans.slice(10).map((fan) => () => send("POST", `${path}/favorite`, fan.token)),
        ]);

        const deletion = answers[10]!;
        const favorites = answers.filter((_, i) => i !== 10);
        expect({ deletion: deletion.status, errors: serverErrors(answers) }).toEqual({
          deletion: 204,
          errors: [],
        });
        for (const answer of favorites) expect(answer).toEqual(raceOutcome(answer, [200]));
        expect(await db().article.count({ where: { id: article.id } })).toBe(0);
        expect(await db().favorite.count({ where: { articleId: article.id } })).toBe(0);
        expect(await db().notification.count({ where: { articleId: article.id } })).toBe(0);
      },
    );

    it.each([1, 2, 3])(
      "when an article is deleted while users comment on it, update it and favorite it (round %i), then no server error",
      async () => {
        const { author, article } = await authorWithArticle();
        const fans = await members(15);
        const path = `/articles/${article.slug}`;

        const answers = await atOnce([
          ...fans.slice(0, 5).map((fan) => () => send("POST", `${path}/favorite`, fan.token)),
          ...fans
            .slice(5, 10)
            .map(
              (fan) => () =>
                send("POST", `${path}/comments`, fan.token, { comment: { body: "Hi" } }),
            ),
          () => send("PUT", path, author.token, { article: { description: "Edited" } }),
          () => send("DELETE", path, author.token),
          ...fans.slice(10).map((fan) => () => send("GET", `${path}/comments`, fan.token)),
        ]);

        expect({ statuses: tally(answers), errors: serverErrors(answers) }).toEqual({
          statuses: tally(answers),
          errors: [],
        });
        for (const answer of answers) expect(answer).toEqual(raceOutcome(answer, [200, 201, 204]));
        expect(await db().article.count({ where: { id: article.id } })).toBe(0);
        expect(await db().comment.count({ where: { articleId: article.id } })).toBe(0);
      },
    );
  });
});
