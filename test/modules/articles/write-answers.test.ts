import {
  apiUrl,
  auth,
  favoriteArticle,
  json,
  postArticle,
  postComment,
  unfavoriteArticle,
  updateArticle,
  type Article,
  type Comment,
} from "../../support/api";
import { COMMIT, DatabaseFailure } from "../../support/database-failure";
import { createArticle, createUser } from "../../support/factories";
import { useTestService } from "../../support/service";

/*
 * PostgreSQL failing at the worst moment for a write: right after its
 * transaction commits. The answer must still be the written resource, read
 * in the transaction itself, so a client is never told "error" about a write
 * that is done (and never retries it into a duplicate).
 */
describe("a write's answer comes from its own transaction", () => {
  const service = useTestService();
  const fault = new DatabaseFailure();
  const db = () => service.container.db;

  beforeAll(() => fault.install());
  afterAll(() => fault.uninstall());

  async function signedIn() {
    const row = await createUser(db());
    const session = await service.container.services.auth.startSession(row, {
      ip: null,
      userAgent: null,
    });
    return { ...row, token: session.accessToken };
  }

  /** The article as its reader sees it afterwards, read normally. */
  async function readBack(slug: string, token: string): Promise<Article> {
    const response = await fetch(apiUrl(service, `/articles/${slug}`), { headers: auth(token) });
    return (await json<{ article: Article }>(response)).article;
  }

  /**
   * Runs the write with the database failing right after its commit, and
   * expects `status`; a failure shows the statements refused after the commit.
   */
  async function writeWithFailureAfterCommit<T>(
    status: number,
    write: () => Promise<Response>,
  ): Promise<T> {
    const { result, began } = await fault.during(COMMIT, async () => {
      const response = await write();
      return { status: response.status, text: await response.text() };
    });
    expect(began).toBe(true);
    expect({ ...result, refusedAfterCommit: fault.refused }).toMatchObject({ status });
    return JSON.parse(result.text) as T;
  }

  it("when the database fails right after an article is created, then the answer is still 201 with the article", async () => {
    const author = await signedIn();
    const input = { title: "Written once", description: "d", body: "b", tagList: ["b", "a"] };

    const { article } = await writeWithFailureAfterCommit<{ article: Article }>(201, () =>
      postArticle(service, author.token, input),
    );

    expect(article).toEqual(await readBack(article.slug, author.token));
    expect(article).toMatchObject({ title: "Written once", tagList: ["a", "b"], favorited: false });
    expect(await db().article.count()).toBe(1);
  });

  it("when the database fails right after an article is updated, then the answer is still 200 with the article under its new slug", async () => {
    const author = await signedIn();
    const stored = await createArticle(db(), author.id);

    const { article } = await writeWithFailureAfterCommit<{ article: Article }>(200, () =>
      updateArticle(service, author.token, stored.slug, { title: "A new title", tagList: ["x"] }),
    );

    expect(article.slug).not.toBe(stored.slug);
    expect(article).toEqual(await readBack(article.slug, author.token));
    expect(article).toMatchObject({ title: "A new title", tagList: ["x"] });
  });

  it("when the database fails right after a favorite and an unfavorite, then each answers 200 with the article as changed", async () => {
    const author = await signedIn();
    const reader = await signedIn();
    const stored = await createArticle(db(), author.id);

    const { article: afterFavorite } = await writeWithFailureAfterCommit<{ article: Article }>(
      200,
      () => favoriteArticle(service, reader.token, stored.slug),
    );
    expect(afterFavorite).toMatchObject({ favorited: true, favoritesCount: 1 });
    expect(afterFavorite).toEqual(await readBack(stored.slug, reader.token));

    const { article: afterUnfavorite } = await writeWithFailureAfterCommit<{ article: Article }>(
      200,
      () => unfavoriteArticle(service, reader.token, stored.slug),
    );
    expect(afterUnfavorite).toMatchObject({ favorited: false, favoritesCount: 0 });
    expect(afterUnfavorite).toEqual(await readBack(stored.slug, reader.token));
  });

  it("when the database fails right after favoriting an article already favorited, then the answer is still 200", async () => {
    const author = await signedIn();
    const reader = await signedIn();
    const stored = await createArticle(db(), author.id);
    await json(await favoriteArticle(service, reader.token, stored.slug));

    const again = await writeWithFailureAfterCommit(200, () =>
      favoriteArticle(service, reader.token, stored.slug),
    );

    expect(again).toMatchObject({ article: { favorited: true, favoritesCount: 1 } });
  });

  it("when the database fails right after a comment is added, then the answer is still 201 with the comment", async () => {
    const author = await signedIn();
    const stored = await createArticle(db(), author.id);

    const { comment } = await writeWithFailureAfterCommit<{ comment: Comment }>(201, () =>
      postComment(service, author.token, stored.slug, "First!"),
    );
    const listed = await fetch(apiUrl(service, `/articles/${stored.slug}/comments`), {
      headers: auth(author.token),
    });
    expect((await json<{ comments: Comment[] }>(listed)).comments).toEqual([comment]);
  });
});
