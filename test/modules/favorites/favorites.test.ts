import {
  auth,
  expectError,
  favoriteArticle,
  json,
  NO_ARTICLES,
  unfavoriteArticle,
  type Article,
  type ArticlePage,
} from "../../support/api";
import { registerUser, type RegisteredUser } from "../../support/auth";
import { createArticle } from "../../support/factories";
import { useTestService } from "../../support/service";

describe("favorites", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  const favorite = (token: string | undefined, slug: string) =>
    favoriteArticle(service, token, slug);
  const unfavorite = (token: string | undefined, slug: string) =>
    unfavoriteArticle(service, token, slug);
  const getArticle = (slug: string, token?: string) =>
    fetch(api(`/articles/${slug}`), { headers: auth(token) });
  const listArticles = (query: string, token?: string) =>
    fetch(api(`/articles${query}`), { headers: auth(token) });

  const articleBy = (author: RegisteredUser, data: { createdAt?: Date } = {}) =>
    createArticle(db(), author.id, data);
  const storedCount = async (articleId: number) =>
    (await db().article.findUniqueOrThrow({ where: { id: articleId } })).favoritesCount;
  const favoriteRows = (articleId: number) => db().favorite.count({ where: { articleId } });

  const articleOf = async (response: Response) =>
    (await json<{ article: Article }>(response)).article;

  describe("POST /api/articles/:slug/favorite", () => {
    it("when a user favorites an article, then 200 with the whole article, favorited and counted", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);

      const article = await articleOf(await favorite(reader.token, stored.slug));

      expect(article).toEqual({
        slug: stored.slug,
        title: stored.title,
        description: stored.description,
        body: stored.body,
        tagList: [],
        createdAt: stored.createdAt.toISOString(),
        // Pinned by its own test below.
        updatedAt: expect.any(String) as string,
        favorited: true,
        favoritesCount: 1,
        author: { username: author.username, bio: null, image: null, following: false },
      });
      expect(await storedCount(stored.id)).toBe(1);
      expect(await favoriteRows(stored.id)).toBe(1);
      // Others see the count without the favorite being theirs.
      const asAuthor = await articleOf(await getArticle(stored.slug, author.token));
      expect([asAuthor.favorited, asAuthor.favoritesCount]).toEqual([false, 1]);
      const anonymous = await articleOf(await getArticle(stored.slug));
      expect([anonymous.favorited, anonymous.favoritesCount]).toEqual([false, 1]);
      const asReader = await articleOf(await getArticle(stored.slug, reader.token));
      expect([asReader.favorited, asReader.favoritesCount]).toEqual([true, 1]);
    });

    it("when readers favorite and unfavorite, then the article's updatedAt stays (it is not an edit)", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);
      const updatedAt = stored.updatedAt.toISOString();

      const favorited = await articleOf(await favorite(reader.token, stored.slug));
      const unfavorited = await articleOf(await unfavorite(reader.token, stored.slug));

      expect([favorited.updatedAt, unfavorited.updatedAt]).toEqual([updatedAt, updatedAt]);
      const row = await db().article.findUniqueOrThrow({ where: { id: stored.id } });
      expect(row.updatedAt.toISOString()).toBe(updatedAt);
    });

    it("when the same user favorites twice, then both answer 200 and it counts once", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);

      const first = await articleOf(await favorite(reader.token, stored.slug));
      const second = await articleOf(await favorite(reader.token, stored.slug));

      expect([first.favorited, first.favoritesCount]).toEqual([true, 1]);
      expect([second.favorited, second.favoritesCount]).toEqual([true, 1]);
      expect(await storedCount(stored.id)).toBe(1);
      expect(await favoriteRows(stored.id)).toBe(1);
    });

    it("when two users favorite, then the count is 2; the author may favorite their own too", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);

      expect((await articleOf(await favorite(reader.token, stored.slug))).favoritesCount).toBe(1);
      const own = await articleOf(await favorite(author.token, stored.slug));
      expect([own.favorited, own.favoritesCount]).toEqual([true, 2]);
      expect(await storedCount(stored.id)).toBe(2);
    });

    it("when many favorites arrive at once, some repeated, then the count equals the distinct fans", async () => {
      const author = await registerUser(service);
      const stored = await articleBy(author);
      const fans: RegisteredUser[] = [];
      for (let i = 0; i < 5; i++) fans.push(await registerUser(service));

      const responses = await Promise.all(
        [...fans, ...fans].map((fan) => favorite(fan.token, stored.slug)),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(await storedCount(stored.id)).toBe(5);
      expect(await favoriteRows(stored.id)).toBe(5);
      expect((await articleOf(await getArticle(stored.slug))).favoritesCount).toBe(5);
    });

    it("when the article does not exist, then 404 article not found", async () => {
      const user = await registerUser(service);
      await expectError(await favorite(user.token, "no-such-article"), 404, {
        article: ["not found"],
      });
      expect(await db().favorite.count()).toBe(0);
    });

    it("when nobody is signed in, then 401 token is missing, even for an unknown article", async () => {
      const author = await registerUser(service);
      const stored = await articleBy(author);
      await expectError(await favorite(undefined, stored.slug), 401, { token: ["is missing"] });
      await expectError(await favorite(undefined, "no-such-article"), 401, {
        token: ["is missing"],
      });
      expect(await storedCount(stored.id)).toBe(0);
      expect(await db().favorite.count()).toBe(0);
    });
  });

  describe("DELETE /api/articles/:slug/favorite", () => {
    it("when a user unfavorites, then 200 with favorited false and the count down; twice changes nothing more", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const other = await registerUser(service);
      const stored = await articleBy(author);
      await favorite(reader.token, stored.slug);
      await favorite(other.token, stored.slug);

      const first = await articleOf(await unfavorite(reader.token, stored.slug));
      expect([first.slug, first.favorited, first.favoritesCount]).toEqual([stored.slug, false, 1]);
      const second = await articleOf(await unfavorite(reader.token, stored.slug));
      expect([second.favorited, second.favoritesCount]).toEqual([false, 1]);

      expect(await storedCount(stored.id)).toBe(1);
      const rows = await db().favorite.findMany({ where: { articleId: stored.id } });
      expect(rows.map((row) => row.userId)).toEqual([other.id]);
      const asOther = await articleOf(await getArticle(stored.slug, other.token));
      expect([asOther.favorited, asOther.favoritesCount]).toEqual([true, 1]);
    });

    it("when a user who never favorited unfavorites, then the count never goes below 0", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);

      const article = await articleOf(await unfavorite(reader.token, stored.slug));

      expect([article.favorited, article.favoritesCount]).toEqual([false, 0]);
      expect(await storedCount(stored.id)).toBe(0);
    });

    it("when favorite and unfavorite alternate, then the count follows", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);
      const counts: number[] = [];
      for (const action of [favorite, unfavorite, favorite, favorite, unfavorite, unfavorite]) {
        counts.push((await articleOf(await action(reader.token, stored.slug))).favoritesCount);
      }
      expect(counts).toEqual([1, 0, 1, 1, 0, 0]);
      expect(await storedCount(stored.id)).toBe(0);
    });

    it("when the article does not exist, then 404 article not found", async () => {
      const user = await registerUser(service);
      await expectError(await unfavorite(user.token, "no-such-article"), 404, {
        article: ["not found"],
      });
    });

    it("when nobody is signed in, then 401 token is missing and the favorite stays", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await articleBy(author);
      await favorite(reader.token, stored.slug);
      await expectError(await unfavorite(undefined, stored.slug), 401, { token: ["is missing"] });
      expect(await storedCount(stored.id)).toBe(1);
      expect(await favoriteRows(stored.id)).toBe(1);
    });
  });

  describe("GET /api/articles?favorited=username", () => {
    it("when filtering by a user's favorites, then exactly those articles, newest first, with the total", async () => {
      const author = await registerUser(service);
      const fan = await registerUser(service);
      const viewer = await registerUser(service);
      const older = await articleBy(author, { createdAt: new Date("2026-01-01T00:00:00.000Z") });
      const newer = await articleBy(author, { createdAt: new Date("2026-02-01T00:00:00.000Z") });
      const dropped = await articleBy(author, { createdAt: new Date("2026-03-01T00:00:00.000Z") });
      await articleBy(author); // never favorited
      for (const slug of [older.slug, newer.slug, dropped.slug]) await favorite(fan.token, slug);
      await unfavorite(fan.token, dropped.slug);
      await favorite(viewer.token, newer.slug);

      const anonymous = await json<ArticlePage>(await listArticles(`?favorited=${fan.username}`));
      expect(anonymous.articlesCount).toBe(2);
      expect(anonymous.articles.map((a) => [a.slug, a.favorited, a.favoritesCount])).toEqual([
        [newer.slug, false, 2],
        [older.slug, false, 1],
      ]);
      expect(anonymous.articles[0]).not.toHaveProperty("body");

      // The viewer's own favorites personalise `favorited`, whatever the filter.
      const asViewer = await json<ArticlePage>(
        await listArticles(`?favorited=${fan.username}`, viewer.token),
      );
      expect(asViewer.articles.map((a) => a.favorited)).toEqual([true, false]);

      const page = await json<ArticlePage>(
        await listArticles(`?favorited=${fan.username}&limit=1&offset=1`),
      );
      expect(page.articlesCount).toBe(2);
      expect(page.articles.map((a) => a.slug)).toEqual([older.slug]);
    });

    it("when the user has favorited nothing or does not exist, then an empty list", async () => {
      const author = await registerUser(service);
      const idle = await registerUser(service);
      await articleBy(author);
      expect(await json(await listArticles(`?favorited=${idle.username}`))).toEqual(NO_ARTICLES);
      expect(await json(await listArticles("?favorited=nobody_here"))).toEqual(NO_ARTICLES);
    });
  });
});
