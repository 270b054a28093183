import {
  ARTICLE_SUMMARY_KEYS,
  auth,
  expectErrorWithCode,
  favoriteArticle,
  followUser,
  jsonWithContentType,
  NO_ARTICLES,
  publishArticle,
  unfollowUser,
  type Article,
  type ArticlePage,
} from "../../support/api";
import { registerUser, uniqueName, type RegisteredUser } from "../../support/auth";
import { createArticle } from "../../support/factories";
import { useTestService } from "../../support/service";

describe("article lists and the feed", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  const list = (query = "", token?: string) =>
    fetch(api(`/articles${query}`), { headers: auth(token) });
  const feed = (query = "", token?: string) =>
    fetch(api(`/articles/feed${query}`), { headers: auth(token) });
  const follow = async (follower: RegisteredUser, followed: RegisteredUser) => {
    expect((await followUser(service, follower.token, followed.username)).status).toBe(200);
  };
  const favorite = async (user: RegisteredUser, slug: string) => {
    expect((await favoriteArticle(service, user.token, slug)).status).toBe(200);
  };

  const page = async (res: Response) => jsonWithContentType<ArticlePage>(res);
  const slugsOf = (result: ArticlePage) => result.articles.map((article) => article.slug);

  /** Publishes through the API, one after the other, so creation order is newest last. */
  const publish = (user: RegisteredUser, tagList: string[] = []): Promise<Article> =>
    publishArticle(service, user.token, {
      title: `Article ${uniqueName("t")}`,
      description: "What it is about",
      body: "The body of it.",
      tagList,
    });

  describe("GET /api/articles", () => {
    it("when there are no articles, then 200 with an empty list and a count of 0", async () => {
      expect(await page(await list())).toEqual(NO_ARTICLES);
    });

    it("when articles are listed, then each is the Article without body", async () => {
      const author = await registerUser(service);
      const created = await publish(author, ["training", "dragons"]);
      const result = await page(await list());
      expect(result.articlesCount).toBe(1);
      const [listed] = result.articles;
      expect(listed).not.toHaveProperty("body");
      expect(Object.keys(listed!).sort()).toEqual(ARTICLE_SUMMARY_KEYS);
      // toEqual treats the undefined body as absent; the key check above holds it to that.
      expect(listed).toEqual({ ...created, body: undefined, tagList: ["dragons", "training"] });
    });

    it("when there are several, then they come newest first, page by page with limit=1", async () => {
      const author = await registerUser(service);
      const oldest = await publish(author);
      const middle = await publish(author);
      const newest = await publish(author);

      expect(slugsOf(await page(await list()))).toEqual([newest.slug, middle.slug, oldest.slug]);
      const expected = [newest.slug, middle.slug, oldest.slug];
      for (let offset = 0; offset < 3; offset++) {
        const result = await page(await list(`?limit=1&offset=${offset}`));
        expect(result.articlesCount).toBe(3);
        expect(slugsOf(result)).toEqual([expected[offset]]);
      }
      const beyond = await page(await list("?limit=1&offset=3"));
      expect(beyond).toEqual({ articles: [], articlesCount: 3 });
    });

    it("when a page is smaller than the total, then articlesCount is the total", async () => {
      const author = await registerUser(service);
      for (let i = 0; i < 3; i++) await publish(author);
      const result = await page(await list("?limit=2"));
      expect(result.articles).toHaveLength(2);
      expect(result.articlesCount).toBe(3);
      const rest = await page(await list("?limit=2&offset=2"));
      expect(rest.articles).toHaveLength(1);
      expect(rest.articlesCount).toBe(3);
    });

    it("when no limit is given, then 20 articles are returned out of more", async () => {
      const author = await registerUser(service);
      for (let i = 0; i < 23; i++) await createArticle(db(), author.id);
      const result = await page(await list());
      expect(result.articles).toHaveLength(20);
      expect(result.articlesCount).toBe(23);
      const rest = await page(await list("?offset=20"));
      expect(rest.articles).toHaveLength(3);
      expect(new Set([...slugsOf(result), ...slugsOf(rest)]).size).toBe(23);
    });

    it("when limit is the maximum page size, then it is accepted", async () => {
      const author = await registerUser(service);
      for (let i = 0; i < 3; i++) await createArticle(db(), author.id);
      const max = service.container.config.http.maxPageSize;
      const result = await page(await list(`?limit=${max}`));
      expect(result.articles).toHaveLength(3);
      expect(result.articlesCount).toBe(3);
    });

    it("when filtered by tag, then only articles with that tag are listed and counted", async () => {
      const author = await registerUser(service);
      const dragons = await publish(author, ["dragons", "training"]);
      const alsoDragons = await publish(author, ["dragons"]);
      await publish(author, ["training"]);
      await publish(author);

      const result = await page(await list("?tag=dragons"));
      expect(result.articlesCount).toBe(2);
      expect(slugsOf(result)).toEqual([alsoDragons.slug, dragons.slug]);
      expect(result.articles[1]!.tagList).toEqual(["dragons", "training"]);
      expect(await page(await list("?tag=unicorns"))).toEqual(NO_ARTICLES);
    });

    it("when filtered by author, then only that author's articles are listed and counted", async () => {
      const jake = await registerUser(service);
      const other = await registerUser(service);
      const first = await publish(jake);
      await publish(other);
      const second = await publish(jake);

      const result = await page(await list(`?author=${jake.username}`));
      expect(result.articlesCount).toBe(2);
      expect(slugsOf(result)).toEqual([second.slug, first.slug]);
      expect(result.articles.every((article) => article.author.username === jake.username)).toBe(
        true,
      );
    });

    it("when the author is unknown, then 200 with an empty list", async () => {
      const author = await registerUser(service);
      await publish(author);
      expect(await page(await list("?author=nobody_here"))).toEqual(NO_ARTICLES);
    });

    it("when filtered by favorited, then only articles that user favorited are listed and counted", async () => {
      const author = await registerUser(service);
      const fan = await registerUser(service);
      const liked = await publish(author);
      await publish(author);
      const alsoLiked = await publish(author);
      await favorite(fan, liked.slug);
      await favorite(fan, alsoLiked.slug);

      const anonymous = await page(await list(`?favorited=${fan.username}`));
      expect(anonymous.articlesCount).toBe(2);
      expect(slugsOf(anonymous)).toEqual([alsoLiked.slug, liked.slug]);
      expect(anonymous.articles.map((article) => article.favorited)).toEqual([false, false]);
      expect(anonymous.articles.map((article) => article.favoritesCount)).toEqual([1, 1]);

      const forFan = await page(await list(`?favorited=${fan.username}`, fan.token));
      expect(forFan.articles.map((article) => article.favorited)).toEqual([true, true]);

      expect(await page(await list(`?favorited=${author.username}`))).toEqual(NO_ARTICLES);
      expect(await page(await list("?favorited=nobody_here"))).toEqual(NO_ARTICLES);
    });

    it("when filters are combined, then an article must match all of them", async () => {
      const jake = await registerUser(service);
      const other = await registerUser(service);
      const fan = await registerUser(service);
      const jakeDragons = await publish(jake, ["dragons"]);
      const jakeTraining = await publish(jake, ["training"]);
      const otherDragons = await publish(other, ["dragons"]);
      await favorite(fan, jakeDragons.slug);
      await favorite(fan, otherDragons.slug);

      const byTagAndAuthor = await page(await list(`?tag=dragons&author=${jake.username}`));
      expect(slugsOf(byTagAndAuthor)).toEqual([jakeDragons.slug]);
      expect(byTagAndAuthor.articlesCount).toBe(1);

      const byAuthorAndFavorited = await page(
        await list(`?author=${other.username}&favorited=${fan.username}`),
      );
      expect(slugsOf(byAuthorAndFavorited)).toEqual([otherDragons.slug]);
      expect(byAuthorAndFavorited.articlesCount).toBe(1);

      const byTagAndFavorited = await page(await list(`?tag=training&favorited=${fan.username}`));
      expect(byTagAndFavorited).toEqual(NO_ARTICLES);

      const all = await page(
        await list(`?tag=dragons&author=${jake.username}&favorited=${fan.username}&limit=10`),
      );
      expect(slugsOf(all)).toEqual([jakeDragons.slug]);
      expect(all.articlesCount).toBe(1);
      expect(slugsOf(await page(await list(`?tag=training&author=${jake.username}`)))).toEqual([
        jakeTraining.slug,
      ]);
    });

    it("when the caller follows an author and favorited an article, then the list is personalised", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const liked = await publish(author);
      await follow(reader, author);
      await favorite(reader, liked.slug);

      const [forReader] = (await page(await list("", reader.token))).articles;
      expect(forReader).toMatchObject({
        slug: liked.slug,
        favorited: true,
        favoritesCount: 1,
        author: { username: author.username, following: true },
      });
      const [forNobody] = (await page(await list())).articles;
      expect(forNobody).toMatchObject({
        favorited: false,
        favoritesCount: 1,
        author: { following: false },
      });
    });

    it.each([
      ["limit=0", "limit", "must be at least 1"],
      ["limit=-1", "limit", "must be a whole number"],
      ["limit=abc", "limit", "must be a whole number"],
      ["limit=1.5", "limit", "must be a whole number"],
      ["limit=1e3", "limit", "must be a whole number"],
      ["limit=", "limit", "must be a whole number"],
      ["offset=-1", "offset", "must be a whole number"],
      ["offset=abc", "offset", "must be a whole number"],
      ["offset=2.5", "offset", "must be a whole number"],
      ["limit=1&limit=2", "limit", "must be a whole number"],
    ])("when the query has %s, then 422 naming %s (never 500)", async (query, field, message) => {
      const { errors } = await expectErrorWithCode(
        await list(`?${query}`),
        422,
        "VALIDATION_FAILED",
      );
      expect(errors).toEqual({ [field]: [message] });
    });

    it("when limit is above the maximum page size, then 422 naming limit", async () => {
      const max = service.container.config.http.maxPageSize;
      expect(max).toBe(100);
      const { errors } = await expectErrorWithCode(
        await list(`?limit=${max + 1}`),
        422,
        "VALIDATION_FAILED",
      );
      expect(errors).toEqual({ limit: [`must be at most ${max}`] });
    });

    it.each(["tag", "author", "favorited"])(
      "when %s is repeated in the query, then 422 naming it (never 500)",
      async (field) => {
        const { errors } = await expectErrorWithCode(
          await list(`?${field}=a&${field}=b`),
          422,
          "VALIDATION_FAILED",
        );
        expect(Object.keys(errors)).toEqual([field]);
      },
    );

    it("when the token is bad (optional auth), then the list is served as anonymous with a WWW-Authenticate hint", async () => {
      const author = await registerUser(service);
      await publish(author);
      const res = await list("", "not-a-jwt");
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      const result = await page(res);
      expect(result.articlesCount).toBe(1);
    });
  });

  describe("GET /api/articles/feed", () => {
    it("when no token is sent, then 401 token 'is missing'", async () => {
      const { errors } = await expectErrorWithCode(await feed(), 401, "UNAUTHENTICATED");
      expect(errors).toEqual({ token: ["is missing"] });
    });

    it("when the token is garbage, then 401 token 'is invalid'", async () => {
      const { errors } = await expectErrorWithCode(
        await feed("", "not-a-jwt"),
        401,
        "UNAUTHENTICATED",
      );
      expect(errors).toEqual({ token: ["is invalid"] });
    });

    it("when a new user follows nobody, then the feed is exactly empty", async () => {
      const author = await registerUser(service);
      await publish(author);
      const newcomer = await registerUser(service);
      expect(await page(await feed("", newcomer.token))).toEqual(NO_ARTICLES);
    });

    it("when the caller follows authors, then only their articles are listed, newest first, with following true", async () => {
      const reader = await registerUser(service);
      const followed = await registerUser(service);
      const alsoFollowed = await registerUser(service);
      const stranger = await registerUser(service);
      const first = await publish(followed);
      await publish(stranger);
      const second = await publish(alsoFollowed);
      await publish(reader);
      const third = await publish(followed);
      await follow(reader, followed);
      await follow(reader, alsoFollowed);

      const result = await page(await feed("", reader.token));
      expect(result.articlesCount).toBe(3);
      expect(slugsOf(result)).toEqual([third.slug, second.slug, first.slug]);
      for (const article of result.articles) {
        expect(article).not.toHaveProperty("body");
        expect(article.author.following).toBe(true);
      }
      expect(result.articles.map((article) => article.author.username)).toEqual([
        followed.username,
        alsoFollowed.username,
        followed.username,
      ]);
    });

    it("when limit=1, then one article and the full count, and offset pages through", async () => {
      const reader = await registerUser(service);
      const followed = await registerUser(service);
      const older = await publish(followed);
      const newer = await publish(followed);
      await follow(reader, followed);

      const first = await page(await feed("?limit=1", reader.token));
      expect(first.articles).toHaveLength(1);
      expect(first.articlesCount).toBe(2);
      expect(slugsOf(first)).toEqual([newer.slug]);
      const second = await page(await feed("?limit=1&offset=1", reader.token));
      expect(slugsOf(second)).toEqual([older.slug]);
      expect(second.articlesCount).toBe(2);
    });

    it("when the caller unfollows, then that author's articles leave the feed", async () => {
      const reader = await registerUser(service);
      const followed = await registerUser(service);
      await publish(followed);
      await follow(reader, followed);
      expect((await page(await feed("", reader.token))).articlesCount).toBe(1);
      const res = await unfollowUser(service, reader.token, followed.username);
      expect(res.status).toBe(200);
      expect(await page(await feed("", reader.token))).toEqual(NO_ARTICLES);
    });

    it("when the feed is longer than 20, then 20 are returned by default with the full count", async () => {
      const reader = await registerUser(service);
      const followed = await registerUser(service);
      for (let i = 0; i < 21; i++) await createArticle(db(), followed.id);
      await follow(reader, followed);
      const result = await page(await feed("", reader.token));
      expect(result.articles).toHaveLength(20);
      expect(result.articlesCount).toBe(21);
    });

    it.each([
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["limit=1.5", "limit"],
      ["limit=101", "limit"],
      ["offset=-1", "offset"],
    ])("when the query has %s, then 422 naming %s (never 500)", async (query, field) => {
      const reader = await registerUser(service);
      const { errors } = await expectErrorWithCode(
        await feed(`?${query}`, reader.token),
        422,
        "VALIDATION_FAILED",
      );
      expect(Object.keys(errors)).toEqual([field]);
    });
  });
});
