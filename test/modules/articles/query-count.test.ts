import { tokenHeader } from "../../support/auth";
import { createArticle, createComment, createUser } from "../../support/factories";
import { QueryCounter } from "../../support/query-counter";
import { useTestService } from "../../support/service";

/**
 * What one page may cost in SQL statements, whatever it holds: the rows, the
 * total, and one batched query per relation (authors, the viewer's follows of
 * them, the viewer's favorites, tag links, tags). A loop of per-row queries
 * (N+1) would grow with the page and break the equality below long before it
 * reached these numbers.
 */
const LIST_BUDGET = 8;
const COMMENTS_BUDGET = 5;
const NOTIFICATIONS_BUDGET = 7;

interface ListedArticle {
  slug: string;
  tagList: string[];
  favorited: boolean;
  favoritesCount: number;
  author: { username: string; following: boolean };
}

interface Viewer {
  id: number;
  username: string;
  token: string;
}

describe("SQL statements per page (no N+1)", () => {
  const service = useTestService();
  const counter = new QueryCounter();

  beforeAll(() => counter.install());
  afterAll(() => counter.uninstall());

  const db = () => service.container.db;

  async function signedIn(): Promise<Viewer> {
    const row = await createUser(db());
    const session = await service.container.services.auth.startSession(row, {
      ip: null,
      userAgent: null,
    });
    return { id: row.id, username: row.username, token: session.accessToken };
  }

  /** The SQL one GET costs, with its parsed answer (checked, so a count of an error page is never compared). */
  async function measure<T>(path: string, token?: string) {
    const { result, queries } = await counter.measure(async () => {
      const response = await fetch(`${service.url}/api${path}`, {
        headers: token === undefined ? {} : tokenHeader(token),
      });
      return { status: response.status, body: (await response.json()) as T };
    });
    expect(result.status).toBe(200);
    return { body: result.body, queries };
  }

  let seeded = 0;

  /**
   * Adds `count` articles, each by a new author and with three tags (one shared
   * by all, two of its own). A fan favorites every one; the viewer favorites
   * and follows the authors of every other one, so both flags are loaded for
   * real and come out mixed.
   */
  async function seedArticles(count: number, viewer: Viewer, fanId: number) {
    for (let n = 0; n < count; n++) {
      const i = seeded++;
      const author = await createUser(db());
      const liked = i % 2 === 0;
      const article = await createArticle(db(), author.id, {
        favoritesCount: liked ? 2 : 1,
        tags: {
          create: ["shared", `own-a-${i}`, `own-b-${i}`].map((name) => ({
            tag: { connectOrCreate: { where: { name }, create: { name } } },
          })),
        },
      });
      await db().favorite.create({ data: { userId: fanId, articleId: article.id } });
      if (liked) {
        await db().favorite.create({ data: { userId: viewer.id, articleId: article.id } });
        await db().follow.create({ data: { followerId: viewer.id, followingId: author.id } });
      }
    }
  }

  /** Same number of statements for a page of 1 and a page of 20, and a small one. */
  function expectSameSmallCost(one: string[], twenty: string[], budget: number) {
    expect(twenty).toHaveLength(one.length);
    expect(one.length).toBeLessThanOrEqual(budget);
    expect(one.length).toBeGreaterThan(0);
  }

  /** The page really held what was seeded: both flags loaded, both values present. */
  function expectLoadedRelations(articles: ListedArticle[], count: number) {
    expect(articles).toHaveLength(count);
    for (const article of articles) {
      expect(article.tagList).toHaveLength(3);
      expect(article.tagList).toContain("shared");
      expect(article.favorited).toBe(article.author.following);
      expect(article.favoritesCount).toBe(article.favorited ? 2 : 1);
    }
    if (count > 1) {
      expect(articles.some((article) => article.favorited)).toBe(true);
      expect(articles.some((article) => !article.favorited)).toBe(true);
    }
  }

  describe("GET /api/articles", () => {
    let viewer: Viewer;
    let fanName: string;
    let fanId: number;

    beforeEach(async () => {
      seeded = 0;
      viewer = await signedIn();
      const fan = await createUser(db());
      fanName = fan.username;
      fanId = fan.id;
    });

    it.each([
      ["the whole list, signed in", "/articles?limit=20", true],
      ["the whole list, anonymous", "/articles?limit=20", false],
      ["the list by tag, signed in", "/articles?limit=20&tag=shared", true],
      ["the list favorited by a user, signed in", "/articles?limit=20&favorited=FAN", true],
    ])(
      "when %s holds 1 article or 20, then it costs the same few statements",
      async (_case, template, withToken) => {
        const path = template.replace("FAN", fanName);
        const token = withToken ? viewer.token : undefined;
        await seedArticles(1, viewer, fanId);
        await measure(path, token); // the first request may warm something up; not counted

        const one = await measure<{ articles: ListedArticle[]; articlesCount: number }>(
          path,
          token,
        );
        if (withToken) expectLoadedRelations(one.body.articles, 1);
        await seedArticles(19, viewer, fanId);
        const twenty = await measure<{ articles: ListedArticle[]; articlesCount: number }>(
          path,
          token,
        );

        expect(twenty.body.articlesCount).toBe(20);
        if (withToken) expectLoadedRelations(twenty.body.articles, 20);
        expectSameSmallCost(one.queries, twenty.queries, LIST_BUDGET);
      },
    );

    it("when the feed holds 1 article or 20, then it costs the same few statements", async () => {
      await seedArticles(1, viewer, fanId);
      // The feed is the followed authors' articles: follow the one not yet followed too.
      const follow = async () => {
        const authors = await db().user.findMany({
          where: { articles: { some: {} }, followers: { none: { followerId: viewer.id } } },
        });
        for (const author of authors) {
          await db().follow.create({ data: { followerId: viewer.id, followingId: author.id } });
        }
      };
      await follow();
      await measure("/articles/feed?limit=20", viewer.token);

      const one = await measure<{ articles: ListedArticle[] }>(
        "/articles/feed?limit=20",
        viewer.token,
      );
      await seedArticles(19, viewer, fanId);
      await follow();
      const twenty = await measure<{ articles: ListedArticle[]; articlesCount: number }>(
        "/articles/feed?limit=20",
        viewer.token,
      );

      expect(one.body.articles).toHaveLength(1);
      expect(twenty.body.articlesCount).toBe(20);
      for (const article of twenty.body.articles) {
        expect(article.author.following).toBe(true);
        expect(article.tagList).toHaveLength(3);
      }
      expect(twenty.body.articles.filter((article) => article.favorited)).toHaveLength(10);
      expectSameSmallCost(one.queries, twenty.queries, LIST_BUDGET);
    });
  });

  describe("GET /api/articles/:slug/comments", () => {
    it.each([
      ["signed in", true],
      ["anonymous", false],
    ])(
      "when an article has 1 comment or 20 (%s), then it costs the same few statements",
      async (_case, withToken) => {
        const viewer = await signedIn();
        const token = withToken ? viewer.token : undefined;
        const articleAuthor = await createUser(db());
        const article = await createArticle(db(), articleAuthor.id);
        const comment = async (i: number) => {
          const author = await createUser(db());
          if (i % 2 === 0) {
            await db().follow.create({ data: { followerId: viewer.id, followingId: author.id } });
          }
          await createComment(db(), article.id, author.id, `Comment ${i}`);
        };
        const path = `/articles/${article.slug}/comments`;
        type Comments = { comments: Array<{ body: string; author: { following: boolean } }> };

        await comment(0);
        await measure(path, token);
        const one = await measure<Comments>(path, token);
        for (let i = 1; i < 20; i++) await comment(i);
        const twenty = await measure<Comments>(path, token);

        expect(one.body.comments).toHaveLength(1);
        expect(twenty.body.comments).toHaveLength(20);
        const following = twenty.body.comments.filter((c) => c.author.following);
        expect(following).toHaveLength(withToken ? 10 : 0);
        expectSameSmallCost(one.queries, twenty.queries, COMMENTS_BUDGET);
      },
    );
  });

  describe("GET /api/notifications", () => {
    it("when there is 1 notification or 20, then it costs the same few statements", async () => {
      const viewer = await signedIn();
      const article = await createArticle(db(), viewer.id);
      const notify = async (i: number) => {
        const actor = await createUser(db());
        if (i % 2 === 0) {
          await db().follow.create({ data: { followerId: viewer.id, followingId: actor.id } });
        }
        const comment = await createComment(db(), article.id, actor.id, `Comment ${i}`);
        await db().notification.create({
          data: {
            recipientId: viewer.id,
            actorId: actor.id,
            kind: "COMMENT",
            articleId: article.id,
            commentId: comment.id,
          },
        });
      };
      type Page = { notifications: Array<{ actor: { following: boolean } }> };

      await notify(0);
      await measure("/notifications?limit=20", viewer.token);
      const one = await measure<Page>("/notifications?limit=20", viewer.token);
      for (let i = 1; i < 20; i++) await notify(i);
      const twenty = await measure<Page>("/notifications?limit=20", viewer.token);

      expect(one.body.notifications).toHaveLength(1);
      expect(twenty.body.notifications).toHaveLength(20);
      expect(twenty.body.notifications.filter((n) => n.actor.following)).toHaveLength(10);
      expectSameSmallCost(one.queries, twenty.queries, NOTIFICATIONS_BUDGET);
    });
  });

  describe("the counter itself", () => {
    it("sees every statement a request sends, so a per-row query would show", async () => {
      const viewer = await signedIn();
      const author = await createUser(db());
      await createArticle(db(), author.id);
      const { queries } = await counter.measure(async () => {
        // Twenty separate reads: what an N+1 would look like from the database's side.
        for (let i = 0; i < 20; i++) await db().user.findUnique({ where: { id: viewer.id } });
      });
      expect(queries).toHaveLength(20);
      expect(queries.every((sql) => /\bFROM "public"\."users"/.test(sql))).toBe(true);
    });
  });
});
