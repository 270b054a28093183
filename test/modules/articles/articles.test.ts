import {
  ARTICLE_KEYS,
  auth,
  expectErrorWithCode,
  favoriteArticle,
  followUser,
  jsonWithContentType,
  postComment,
  publishArticle,
  type Article,
} from "../../support/api";
import { postJson, registerUser, tokenHeader, uniqueName } from "../../support/auth";
import { useTestService } from "../../support/service";

interface ArticleBody {
  article: Article;
}

interface ArticleFields {
  title?: unknown;
  description?: unknown;
  body?: unknown;
  tagList?: unknown;
}

/** The v1 Postman collection's date check: it requires fractional seconds. */
const V1_DATE = /^\d{4,}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d.\d+(?:[+-][0-2]\d:[0-5]\d|Z)$/;

describe("articles: create, read, update, delete", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;
  const articlePath = (slug: string) => `/articles/${encodeURIComponent(slug)}`;

  const create = (token: string | undefined, article: ArticleFields, path = "/articles") =>
    postJson(api(path), { article }, auth(token));
  const getArticle = (slug: string, token?: string) =>
    fetch(api(articlePath(slug)), { headers: auth(token) });
  const update = (token: string | undefined, slug: string, body: unknown) =>
    postJson(api(articlePath(slug)), body, auth(token), "PUT");
  const remove = (token: string | undefined, slug: string) =>
    fetch(api(articlePath(slug)), { method: "DELETE", headers: auth(token) });
  const favorite = (token: string, slug: string) => favoriteArticle(service, token, slug);

  function someArticle(fields: ArticleFields = {}): ArticleFields {
    return {
      title: `How to train your dragon ${uniqueName("t")}`,
      description: "Ever wonder how?",
      body: "You have to believe.",
      ...fields,
    };
  }

  /** Publishes through the API and returns the article as its author sees it. */
  const publish = (token: string, fields: ArticleFields = {}): Promise<Article> =>
    publishArticle(service, token, someArticle(fields));

  describe("POST /api/articles", () => {
    it("when the fields are valid, then 201 with the full Article", async () => {
      const author = await registerUser(service);
      const suffix = uniqueName("x").toLowerCase();
      const before = Date.now();
      const res = await create(author.token, {
        title: `How to train your dragon ${suffix}`,
        description: "Ever wonder how?",
        body: "You have to believe.",
        tagList: ["training", "dragons"],
      });
      const { article } = await jsonWithContentType<ArticleBody>(res, 201);

      expect(Object.keys(article).sort()).toEqual(ARTICLE_KEYS);
      expect(article).toEqual({
        slug: expect.stringMatching(/^how-to-train-your-dragon-/) as unknown,
        title: `How to train your dragon ${suffix}`,
        description: "Ever wonder how?",
        body: "You have to believe.",
        tagList: ["dragons", "training"],
        createdAt: expect.stringMatching(V1_DATE) as unknown,
        updatedAt: expect.stringMatching(V1_DATE) as unknown,
        favorited: false,
        favoritesCount: 0,
        author: { username: author.username, bio: null, image: null, following: false },
      });
      const createdAt = Date.parse(article.createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(before - 5_000);
      expect(createdAt).toBeLessThanOrEqual(Date.now() + 5_000);
      expect(Date.parse(article.updatedAt)).toBeGreaterThanOrEqual(createdAt);

      const row = await db().article.findUniqueOrThrow({ where: { slug: article.slug } });
      expect(row).toMatchObject({ title: article.title, authorId: author.id });
    });

    it.each([
      [
        ["training", "dragons"],
        ["dragons", "training"],
      ],
      [
        ["t_x", "d_x"],
        ["d_x", "t_x"],
      ],
      [
        ["dragons", "training", "dragons"],
        ["dragons", "training"],
      ],
      [[], []],
    ])("when tagList is %p, then it is returned as %p", async (tagList, expected) => {
      const author = await registerUser(service);
      const article = await publish(author.token, { tagList });
      expect(article.tagList).toEqual(expected);
      const again = await jsonWithContentType<ArticleBody>(await getArticle(article.slug));
      expect(again.article.tagList).toEqual(expected);
    });

    it("when tagList holds more than 10 names only before duplicates are dropped, then 201 with the 10", async () => {
      const author = await registerUser(service);
      const names = Array.from({ length: 10 }, (_, i) => `tag${String(i).padStart(2, "0")}`);
      const article = await publish(author.token, { tagList: [...names, "tag00"] });
      expect(article.tagList).toEqual(names);
    });

    it("when tagList holds 11 distinct names, then 422 naming tagList and nothing is stored", async () => {
      const author = await registerUser(service);
      const names = Array.from({ length: 11 }, (_, i) => `tag${i}`);
      const res = await create(author.token, someArticle({ tagList: names }));
      await expectErrorWithCode(res, 422, "VALIDATION_FAILED", {
        tagList: ["must hold at most 10 tags"],
      });
      expect(await db().article.count()).toBe(0);
    });

    it("when tagList is not an array of strings, then 422 naming tagList", async () => {
      const author = await registerUser(service);
      for (const tagList of ["dragons", [1, 2], null]) {
        const res = await create(author.token, someArticle({ tagList }));
        const { errors } = await expectErrorWithCode(res, 422, "VALIDATION_FAILED");
        expect(Object.keys(errors)).toEqual(["tagList"]);
      }
      expect(await db().article.count()).toBe(0);
    });

    it("when tagList is left out, then the article has no tags", async () => {
      const author = await registerUser(service);
      const fields = someArticle();
      expect(fields).not.toHaveProperty("tagList");
      const { article } = await jsonWithContentType<ArticleBody>(
        await create(author.token, fields),
        201,
      );
      expect(article.tagList).toEqual([]);
    });

    it.each(["title", "description", "body"])(
      'when %s is blank, missing or null, then 422 "can\'t be blank" under that key and nothing is stored',
      async (field) => {
        const author = await registerUser(service);
        for (const value of ["", "   ", undefined, null]) {
          const res = await create(author.token, someArticle({ [field]: value }));
          await expectErrorWithCode(res, 422, "VALIDATION_FAILED", { [field]: ["can't be blank"] });
        }
        expect(await db().article.count()).toBe(0);
      },
    );

    it("when every field is blank, then 422 names each of them", async () => {
      const author = await registerUser(service);
      const res = await create(author.token, { title: "", description: "", body: "" });
      await expectErrorWithCode(res, 422, "VALIDATION_FAILED", {
        title: ["can't be blank"],
        description: ["can't be blank"],
        body: ["can't be blank"],
      });
    });

    it('when the article envelope is missing, then 422 article "can\'t be blank"', async () => {
      const author = await registerUser(service);
      const res = await postJson(api("/articles"), someArticle(), tokenHeader(author.token));
      await expectErrorWithCode(res, 422, "VALIDATION_FAILED", { article: ["can't be blank"] });
      expect(await db().article.count()).toBe(0);
    });

    it("when no token is sent, then 401 token 'is missing' before the body is validated", async () => {
      await expectErrorWithCode(await create(undefined, someArticle()), 401, "UNAUTHENTICATED", {
        token: ["is missing"],
      });
      await expectErrorWithCode(
        await postJson(api("/articles"), { nonsense: true }),
        401,
        "UNAUTHENTICATED",
        { token: ["is missing"] },
      );
      expect(await db().article.count()).toBe(0);
    });

    it("when posted to /api/articles/ (trailing slash), then 201 as well", async () => {
      const author = await registerUser(service);
      const res = await create(
        author.token,
        someArticle({ title: "Trailing slash" }),
        "/articles/",
      );
      const { article } = await jsonWithContentType<ArticleBody>(res, 201);
      expect(article.title).toBe("Trailing slash");
      expect((await getArticle(article.slug)).status).toBe(200);
    });

    it("when two articles share a title, then both are created with distinct slugs", async () => {
      const author = await registerUser(service);
      const other = await registerUser(service);
      const title = `Same title ${uniqueName("t")}`;
      const first = await publish(author.token, { title });
      const second = await publish(author.token, { title });
      const third = await publish(other.token, { title });
      expect(new Set([first.slug, second.slug, third.slug]).size).toBe(3);
      for (const article of [first, second, third]) {
        const { article: fetched } = await jsonWithContentType<ArticleBody>(
          await getArticle(article.slug),
        );
        expect(fetched.title).toBe(title);
      }
      expect(await db().article.count({ where: { title } })).toBe(3);
    });
  });

  describe("GET /api/articles/:slug", () => {
    it("when asked anonymously, then 200 with the Article, favorited false", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["b", "a"] });
      const { article } = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
      expect(article).toEqual({ ...created, tagList: ["a", "b"], favorited: false });
    });

    it("when the caller has favorited it, then favorited true for them and the count is shared", async () => {
      const author = await registerUser(service);
      const fan = await registerUser(service);
      const other = await registerUser(service);
      const created = await publish(author.token);
      const favorited = await jsonWithContentType<ArticleBody>(
        await favorite(fan.token, created.slug),
      );
      expect(favorited.article).toMatchObject({ favorited: true, favoritesCount: 1 });

      const forFan = await jsonWithContentType<ArticleBody>(
        await getArticle(created.slug, fan.token),
      );
      expect(forFan.article).toMatchObject({
        slug: created.slug,
        favorited: true,
        favoritesCount: 1,
      });
      const forOther = await jsonWithContentType<ArticleBody>(
        await getArticle(created.slug, other.token),
      );
      expect(forOther.article).toMatchObject({ favorited: false, favoritesCount: 1 });
      const forNobody = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
      expect(forNobody.article).toMatchObject({ favorited: false, favoritesCount: 1 });
    });

    it("when the caller follows the author, then author.following is true for them only", async () => {
      const author = await registerUser(service);
      const fan = await registerUser(service);
      const created = await publish(author.token);
      const follow = await followUser(service, fan.token, author.username);
      expect(follow.status).toBe(200);
      const forFan = await jsonWithContentType<ArticleBody>(
        await getArticle(created.slug, fan.token),
      );
      expect(forFan.article.author).toEqual({
        username: author.username,
        bio: null,
        image: null,
        following: true,
      });
      const forNobody = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
      expect(forNobody.article.author.following).toBe(false);
    });

    it("when the token is bad (optional auth), then 200 as anonymous with a WWW-Authenticate hint", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      const res = await getArticle(created.slug, "not-a-jwt");
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      const { article } = await jsonWithContentType<ArticleBody>(res);
      expect(article.slug).toBe(created.slug);
      expect(article.favorited).toBe(false);
    });

    it("when the slug is unknown, then 404 article 'not found'", async () => {
      const reader = await registerUser(service);
      await expectErrorWithCode(await getArticle("no-such-article"), 404, "NOT_FOUND", {
        article: ["not found"],
      });
      await expectErrorWithCode(
        await getArticle("no-such-article", reader.token),
        404,
        "NOT_FOUND",
        {
          article: ["not found"],
        },
      );
    });
  });

  describe("PUT /api/articles/:slug", () => {
    it("when only the body changes, then the rest stays, createdAt is kept and updatedAt moves forward", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["dragons"] });
      const res = await update(author.token, created.slug, { article: { body: "New body" } });
      const { article } = await jsonWithContentType<ArticleBody>(res);
      expect(article).toEqual({
        ...created,
        body: "New body",
        updatedAt: expect.stringMatching(V1_DATE) as unknown,
      });
      expect(article.createdAt).toBe(created.createdAt);
      expect(Date.parse(article.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

      const { article: stored } = await jsonWithContentType<ArticleBody>(
        await getArticle(created.slug),
      );
      expect(stored).toMatchObject({ body: "New body", updatedAt: article.updatedAt });
    });

    it("when the article is updated several times in a row, then updatedAt strictly increases each time", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      let previous = created.updatedAt;
      for (const description of ["one", "two", "three"]) {
        const { article } = await jsonWithContentType<ArticleBody>(
          await update(author.token, created.slug, { article: { description } }),
        );
        expect(article.description).toBe(description);
        expect(article.createdAt).toBe(created.createdAt);
        expect(Date.parse(article.updatedAt)).toBeGreaterThan(Date.parse(previous));
        previous = article.updatedAt;
      }
    });

    it("when the title is sent unchanged, then the slug stays the same", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      const { article } = await jsonWithContentType<ArticleBody>(
        await update(author.token, created.slug, {
          article: { title: created.title, description: "Same title, new description" },
        }),
      );
      expect(article.slug).toBe(created.slug);
      expect(article.description).toBe("Same title, new description");
      expect((await getArticle(created.slug)).status).toBe(200);
    });

    it("when the title changes, then the slug changes, the new one serves it and the old one 404s", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      const title = `A new title ${uniqueName("t")}`;
      const { article } = await jsonWithContentType<ArticleBody>(
        await update(author.token, created.slug, { article: { title } }),
      );
      expect(article.title).toBe(title);
      expect(article.slug).not.toBe(created.slug);
      expect(article.slug).toMatch(/^a-new-title-/);
      expect(article.createdAt).toBe(created.createdAt);

      const { article: fetched } = await jsonWithContentType<ArticleBody>(
        await getArticle(article.slug),
      );
      expect(fetched.title).toBe(title);
      await expectErrorWithCode(await getArticle(created.slug), 404, "NOT_FOUND", {
        article: ["not found"],
      });
    });

    it("when tagList is missing, then the tags are kept", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["dragons", "training"] });
      const { article } = await jsonWithContentType<ArticleBody>(
        await update(author.token, created.slug, { article: { body: "Changed" } }),
      );
      expect(article.tagList).toEqual(["dragons", "training"]);
    });

    it("when tagList is [], then the tags are cleared", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["dragons", "training"] });
      const { article } = await jsonWithContentType<ArticleBody>(
        await update(author.token, created.slug, { article: { tagList: [] } }),
      );
      expect(article.tagList).toEqual([]);
      const { article: fetched } = await jsonWithContentType<ArticleBody>(
        await getArticle(created.slug),
      );
      expect(fetched.tagList).toEqual([]);
    });

    it("when tagList holds new tags, then they replace the old ones, sorted", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["dragons", "training"] });
      const { article } = await jsonWithContentType<ArticleBody>(
        await update(author.token, created.slug, { article: { tagList: ["zeta", "alpha"] } }),
      );
      expect(article.tagList).toEqual(["alpha", "zeta"]);
    });

    it("when tagList is null, then 422 naming tagList and the tags are kept", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["dragons"] });
      const { errors } = await expectErrorWithCode(
        await update(author.token, created.slug, { article: { tagList: null } }),
        422,
        "VALIDATION_FAILED",
      );
      expect(Object.keys(errors)).toEqual(["tagList"]);
      const { article } = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
      expect(article.tagList).toEqual(["dragons"]);
      expect(article.updatedAt).toBe(created.updatedAt);
    });

    it.each(["title", "description", "body"])(
      'when %s is set blank, then 422 "can\'t be blank" and nothing changes',
      async (field) => {
        const author = await registerUser(service);
        const created = await publish(author.token);
        await expectErrorWithCode(
          await update(author.token, created.slug, { article: { [field]: "  " } }),
          422,
          "VALIDATION_FAILED",
          { [field]: ["can't be blank"] },
        );
        const { article } = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
        expect(article).toEqual(created);
      },
    );

    it("when the article object is empty, then 422 naming article", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      const { errors } = await expectErrorWithCode(
        await update(author.token, created.slug, { article: {} }),
        422,
        "VALIDATION_FAILED",
      );
      expect(Object.keys(errors)).toEqual(["article"]);
    });

    it('when the article envelope is missing, then 422 article "can\'t be blank"', async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      await expectErrorWithCode(
        await update(author.token, created.slug, { body: "Changed" }),
        422,
        "VALIDATION_FAILED",
        { article: ["can't be blank"] },
      );
    });

    it("when someone other than the author updates it, then 403 article 'forbidden' and nothing changes", async () => {
      const author = await registerUser(service);
      const intruder = await registerUser(service);
      const created = await publish(author.token);
      await expectErrorWithCode(
        await update(intruder.token, created.slug, { article: { title: "Hijacked" } }),
        403,
        "FORBIDDEN",
        { article: ["forbidden"] },
      );
      const { article } = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
      expect(article).toEqual(created);
    });

    it("when no token is sent, then 401 token 'is missing', for an unknown slug too (not 404)", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      await expectErrorWithCode(
        await update(undefined, "some-slug", { article: { body: "x" } }),
        401,
        "UNAUTHENTICATED",
        { token: ["is missing"] },
      );
      await expectErrorWithCode(
        await update(undefined, created.slug, { article: { body: "x" } }),
        401,
        "UNAUTHENTICATED",
        { token: ["is missing"] },
      );
      const { article } = await jsonWithContentType<ArticleBody>(await getArticle(created.slug));
      expect(article.body).toBe(created.body);
    });

    it("when the slug is unknown and a token is sent, then 404 article 'not found'", async () => {
      const author = await registerUser(service);
      await expectErrorWithCode(
        await update(author.token, "some-slug", { article: { body: "x" } }),
        404,
        "NOT_FOUND",
        { article: ["not found"] },
      );
    });
  });

  describe("DELETE /api/articles/:slug", () => {
    it("when the author deletes it, then 204 with an empty body and the article is gone", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token, { tagList: ["dragons"] });
      const res = await remove(author.token, created.slug);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
      await expectErrorWithCode(await getArticle(created.slug), 404, "NOT_FOUND", {
        article: ["not found"],
      });
      expect(await db().article.count()).toBe(0);
    });

    it("when the article has comments and favorites, then they go with it", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const created = await publish(author.token);
      const kept = await publish(author.token);
      for (const slug of [created.slug, kept.slug]) {
        const comment = await postComment(service, reader.token, slug, "Great read");
        expect(comment.status).toBe(201);
        expect((await favorite(reader.token, slug)).status).toBe(200);
      }
      const { id } = await db().article.findUniqueOrThrow({ where: { slug: created.slug } });
      expect(await db().comment.count({ where: { articleId: id } })).toBe(1);

      expect((await remove(author.token, created.slug)).status).toBe(204);

      expect(await db().comment.count({ where: { articleId: id } })).toBe(0);
      expect(await db().favorite.count({ where: { articleId: id } })).toBe(0);
      expect(await db().comment.count()).toBe(1);
      expect(await db().favorite.count()).toBe(1);
      await expectErrorWithCode(
        await fetch(api(`${articlePath(created.slug)}/comments`)),
        404,
        "NOT_FOUND",
        { article: ["not found"] },
      );
    });

    it("when someone other than the author deletes it, then 403 article 'forbidden' and it stays", async () => {
      const author = await registerUser(service);
      const intruder = await registerUser(service);
      const created = await publish(author.token);
      await expectErrorWithCode(await remove(intruder.token, created.slug), 403, "FORBIDDEN", {
        article: ["forbidden"],
      });
      expect((await getArticle(created.slug)).status).toBe(200);
    });

    it("when the slug is unknown, then 404 article 'not found'", async () => {
      const author = await registerUser(service);
      await expectErrorWithCode(await remove(author.token, "no-such-article"), 404, "NOT_FOUND", {
        article: ["not found"],
      });
    });

    it("when no token is sent, then 401 token 'is missing' (even for an unknown slug) and it stays", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      await expectErrorWithCode(await remove(undefined, created.slug), 401, "UNAUTHENTICATED", {
        token: ["is missing"],
      });
      await expectErrorWithCode(
        await remove(undefined, "no-such-article"),
        401,
        "UNAUTHENTICATED",
        {
          token: ["is missing"],
        },
      );
      expect((await getArticle(created.slug)).status).toBe(200);
    });

    it("when deleted twice, then the second answers 404", async () => {
      const author = await registerUser(service);
      const created = await publish(author.token);
      expect((await remove(author.token, created.slug)).status).toBe(204);
      await expectErrorWithCode(await remove(author.token, created.slug), 404, "NOT_FOUND", {
        article: ["not found"],
      });
    });
  });

  describe("CORS", () => {
    it.each(["/api/articles", "/api/articles/feed", "/api/profiles/someone"])(
      "when a front end on another origin preflights %s for content-type and authorization, then 2xx with the grants",
      async (path) => {
        const origin = "https://frontend.example";
        const res = await fetch(`${service.url}${path}`, {
          method: "OPTIONS",
          headers: {
            Origin: origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type,authorization",
          },
        });
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(300);
        expect([origin, "*"]).toContain(res.headers.get("access-control-allow-origin"));
        const allowed = (res.headers.get("access-control-allow-headers") ?? "")
          .toLowerCase()
          .split(",")
          .map((header) => header.trim());
        expect(allowed).toEqual(expect.arrayContaining(["content-type", "authorization"]));
      },
    );

    it("when a front end on another origin posts an article, then the answer carries Access-Control-Allow-Origin", async () => {
      const origin = "https://frontend.example";
      const author = await registerUser(service);
      const res = await postJson(
        api("/articles"),
        { article: someArticle() },
        {
          ...tokenHeader(author.token),
          Origin: origin,
        },
      );
      expect(res.status).toBe(201);
      expect([origin, "*"]).toContain(res.headers.get("access-control-allow-origin"));
    });
  });
});
