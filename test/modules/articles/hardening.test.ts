import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../../../src/core/database/prisma";
import type { Transaction } from "../../../src/core/database/repository";
import { safeMarkdown } from "../../../src/modules/articles/markdown";
import {
  apiUrl,
  auth,
  expectError,
  favoriteArticle,
  json,
  postArticle,
  postComment,
  publishArticle,
  type Article,
  type ArticlePage,
  type ErrorBody,
} from "../../support/api";
import { postJson, registerUser, uniqueName, type RegisteredUser } from "../../support/auth";
import { resetState } from "../../support/database";
import { startTestService, type TestService } from "../../support/service";

/*
 * Over HTTP, the fixes of a security review (commit 33c3611): article bodies
 * whose escaping settles, Markdown checked off the event loop with a deadline,
 * the reserved slug "feed", updates that take turns, favorites and comments
 * racing a delete, empty list filters, path parameters matched as given,
 * plainer messages, and the OpenAPI document. The check itself is unit-tested
 * in markdown.test.ts.
 */

const UNSAFE_LINK = "may only link to http, https or mailto addresses, or relative ones";
const UNSETTLED = "holds HTML that could not be escaped safely";
const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT_LINK = "[click](javascript:alert(1))";

/** Slow to parse: checking it to the end takes many seconds on one core. */
const SLOW_BODY = "_*".repeat(24_500);
/** Within the counted limits (100 markers a line) but seconds of CPU time to parse. */
const SLOW_TO_PARSE_BODY = ("- ".repeat(100) + "x\n").repeat(240);
/** Deeply nested list items: slow to parse, though less so. */
const NESTED_LIST_BODY = "- ".repeat(3_000) + "x";

const newArticle = (fields: Record<string, unknown> = {}) => ({
  title: uniqueName("title"),
  description: "What it is about",
  body: "Some *Markdown*.",
  ...fields,
});

/** The answer to a favorite or comment that raced the article's delete: done, or 404 on article. */
async function expectDoneOrArticleGone(response: Response, done: number): Promise<void> {
  const text = await response.text();
  if (response.status === done) return;
  expect({ status: response.status, text }).toMatchObject({ status: 404 });
  expect((JSON.parse(text) as ErrorBody).errors).toEqual({ article: ["not found"] });
}

/** Waits until a query on this run's database waits for a lock: the request under test has reached it. */
async function untilWaitingForLock(db: Database): Promise<void> {
  // Generous: on a busy machine the request may take a while to get there.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [row] = await db.$queryRaw<{ waiting: number }[]>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((row?.waiting ?? 0) > 0) return;
    await sleep(10);
  }
  throw new Error("no query came to wait for the article's row lock");
}

/**
 * Holds the article's row in a transaction, makes `change` in it, sends
 * `request` and, once the request waits for the row, commits: the request
 * then goes on against the changed (or deleted) article. Returns its answer.
 */
async function racingCommit(
  db: Database,
  articleId: number,
  change: (tx: Transaction) => Promise<unknown>,
  request: () => Promise<Response>,
): Promise<Response> {
  let answer: Promise<Response> | undefined;
  await db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM articles WHERE id = ${articleId} FOR UPDATE`;
      await change(tx);
      answer = request();
      await untilWaitingForLock(db);
    },
    { timeout: 15_000 },
  );
  if (answer === undefined) throw new Error("the request was not sent");
  return answer;
}

describe("article hardening (security review fixes)", () => {
  let service: TestService;
  let author: RegisteredUser;
  let reader: RegisteredUser;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());
  beforeEach(async () => {
    await resetState(service.container);
    [author, reader] = await Promise.all([registerUser(service), registerUser(service)]);
  });

  const api = (path: string) => apiUrl(service, path);
  const db = () => service.container.db;
  const publish = (fields: Record<string, unknown> = {}) =>
    publishArticle(service, author.token, newArticle(fields));
  const putArticle = (slug: string, article: unknown, token = author.token) =>
    postJson(api(`/articles/${slug}`), { article }, auth(token), "PUT");
  const deleteArticle = (slug: string, token = author.token) =>
    fetch(api(`/articles/${slug}`), { method: "DELETE", headers: auth(token) });
  const getArticle = async (slug: string) =>
    (await json<{ article: Article }>(await fetch(api(`/articles/${slug}`)))).article;
  const storedArticle = (slug: string) => db().article.findUnique({ where: { slug } });
  const idOf = async (slug: string) =>
    (await db().article.findUniqueOrThrow({ where: { slug }, select: { id: true } })).id;

  describe("article bodies: escaping settles, and links are read from what is stored", () => {
    it.each([
      [
        "a tag whose escaping re-pairs the backticks around an <img>",
        '<span title="`">`' + IMG + "`",
        '&lt;span title="`">`&lt;img src=x onerror=alert(1)>`',
      ],
      [
        "a GFM table row splitting a code span around an <img>",
        "| a | b |\n|---|---|\n| `x | " + IMG + " ` |",
        "| a | b |\n|---|---|\n| `x | &lt;img src=x onerror=alert(1)> ` |",
      ],
      [
        "HTML in an image's alt text",
        '![<a title="x" onerror=alert(1)>](https://example.com/a.png)',
        "![&lt;a title=&quot;x&quot; onerror=alert(1)>](https://example.com/a.png)",
      ],
      [
        "an HTML comment around an https link",
        "<!--\n\n[click](https://example.com)\n\n-->",
        "&lt;!--\n\n[click](https://example.com)\n\n-->",
      ],
    ])(
      "when the body holds %s, then it is stored escaped and checking it again changes nothing",
      async (_case, body, escaped) => {
        const article = await publish({ body });
        expect(article.body).toBe(escaped);
        expect((await storedArticle(article.slug))?.body).toBe(escaped);
        expect((await getArticle(article.slug)).body).toBe(escaped);
        expect(safeMarkdown(escaped)).toEqual({ ok: true, markdown: escaped });
      },
    );

    it.each([
      ["an HTML comment", "<!--", "-->"],
      ["a script block", "<script>", "</script>"],
      ["a processing instruction", "<?x", "?>"],
      ["a CDATA section", "<![CDATA[", "]]>"],
    ])(
      "when %s hides a javascript: link that escaping reveals, then 422 on body and nothing is stored",
      async (_case, open, close) => {
        const response = await postArticle(service, author.token, {
          ...newArticle(),
          body: `${open}\n\n${SCRIPT_LINK}\n\n${close}`,
        });
        await expectError(response, 422, { body: [UNSAFE_LINK] });
        expect(await db().article.count()).toBe(0);
      },
    );

    it("when a javascript: link sits in a tag's attribute, then 422 on body", async () => {
      const response = await postArticle(service, author.token, {
        ...newArticle(),
        body: `x <span title="${SCRIPT_LINK}">y</span>`,
      });
      await expectError(response, 422, { body: [UNSAFE_LINK] });
      expect(await db().article.count()).toBe(0);
    });

    it("when an update's body hides a javascript: link in a comment, then 422 and the body is unchanged", async () => {
      const article = await publish({ body: "Safe." });
      const response = await putArticle(article.slug, {
        body: `<!--\n\n${SCRIPT_LINK}\n\n-->`,
      });
      await expectError(response, 422, { body: [UNSAFE_LINK] });
      expect((await storedArticle(article.slug))?.body).toBe("Safe.");
    });

    it("when escaping keeps uncovering HTML round after round, then 422 on body", async () => {
      const response = await postArticle(service, author.token, {
        ...newArticle(),
        body: '<span title="`">`'.repeat(12) + IMG + "`",
      });
      await expectError(response, 422, { body: [UNSETTLED] });
      expect(await db().article.count()).toBe(0);
    });

    it.each([
      ["a code span", "Write `<b>` for bold."],
      ["a fenced code block", "```\n<script>alert(1)</script>\n```"],
      ["a code span holding a pipe", "`a | <b>`"],
    ])("when the body holds HTML only in %s, then it is stored as sent", async (_case, body) => {
      const article = await publish({ body });
      expect(article.body).toBe(body);
      expect((await storedArticle(article.slug))?.body).toBe(body);
    });

    // GitHub's dialect differs from CommonMark outside tables too.
    it.each([
      ["a footnote definition holding an <img>", `Note[^1]\n\n[^1]: ${IMG}`],
      ["a GFM autolink literal followed by \\<img>", `See www.example.com\\${IMG}`],
      ["a footnote definition holding a javascript: link", `x[^1]\n\n[^1]: ${SCRIPT_LINK}`],
    ])(
      "when the body holds %s, then it is refused or stored with nothing a GFM renderer would run",
      async (_case, body) => {
        const response = await postArticle(service, author.token, { ...newArticle(), body });
        if (response.status === 422) {
          await expectError(response, 422);
          return;
        }
        const { article } = await json<{ article: Article }>(response, 201);
        expect(article.body).not.toContain("<img");
        expect(article.body).not.toContain("](javascript:");
      },
    );
  });

  describe("slow Markdown", () => {
    it("when a body nests list items thousands deep, then 201 or 422, never 500", async () => {
      const response = await postArticle(service, author.token, {
        ...newArticle(),
        body: NESTED_LIST_BODY,
      });
      const text = await response.text();
      expect([201, 422]).toContain(response.status);
      if (response.status === 422) {
        expect((JSON.parse(text) as ErrorBody).errors.body).toBeDefined();
      }
    });
  });

  describe("the slug 'feed'", () => {
    it.each(["Feed", "feed", "FEED", "  fEeD  ", "Feed!"])(
      "when the title is %j, then the slug is not 'feed' and the article is found by its slug",
      async (title) => {
        const article = await publish({ title });
        expect(article.slug).not.toBe("feed");
        expect(article.slug).toMatch(/^feed-[0-9a-f]+$/);
        const fetched = await getArticle(article.slug);
        expect(fetched).toMatchObject({ slug: article.slug, title: title.trim() });
        expect(await storedArticle("feed")).toBeNull();
      },
    );

    it("when an article is retitled 'Feed', then its new slug is not 'feed'", async () => {
      const article = await publish({ title: "Something else" });
      const response = await putArticle(article.slug, { title: "Feed" });
      const updated = (await json<{ article: Article }>(response)).article;
      expect(updated.slug).not.toBe("feed");
      expect(updated.slug).toMatch(/^feed-[0-9a-f]+$/);
      expect((await getArticle(updated.slug)).title).toBe("Feed");
      expect(await storedArticle("feed")).toBeNull();
    });

    it("when articles are titled 'Feed', then /api/articles/feed is still the caller's feed", async () => {
      await publish({ title: "Feed" });
      const response = await fetch(api("/articles/feed"), { headers: auth(author.token) });
      const page = await json<ArticlePage>(response);
      expect(page).toEqual({ articles: [], articlesCount: 0 });
    });
  });

  describe("updates take turns", () => {
    it("when the author sends 5 updates at once, then all succeed and the stored updatedAt is the latest answered", async () => {
      for (let round = 0; round < 3; round++) {
        const article = await publish();
        const responses = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            putArticle(article.slug, { description: `round ${round} edit ${i}` }),
          ),
        );
        const answered: Article[] = [];
        for (const response of responses) {
          answered.push((await json<{ article: Article }>(response)).article);
        }
        const latest = Math.max(...answered.map((a) => Date.parse(a.updatedAt)));
        const row = await db().article.findUniqueOrThrow({ where: { slug: article.slug } });
        expect(row.updatedAt.getTime()).toBe(latest);
        // The answer that shows the latest time shows the change stored last.
        for (const a of answered.filter((a) => Date.parse(a.updatedAt) === latest)) {
          expect(a.description).toBe(row.description);
        }
        expect(latest).toBeGreaterThan(Date.parse(article.updatedAt));
      }
    });

    it("when the author updates an article several times in a row, then updatedAt strictly increases", async () => {
      const article = await publish();
      let previous = Date.parse(article.updatedAt);
      for (let i = 0; i < 8; i++) {
        const response = await putArticle(article.slug, { description: `edit ${i}` });
        const updatedAt = Date.parse(
          (await json<{ article: Article }>(response)).article.updatedAt,
        );
        expect(updatedAt).toBeGreaterThan(previous);
        previous = updatedAt;
      }
      const row = await db().article.findUniqueOrThrow({ where: { slug: article.slug } });
      expect(row.updatedAt.getTime()).toBe(previous);
    });

    it("when an update waits for another change of the row, then its updatedAt is later than that change's", async () => {
      const article = await publish();
      const id = await idOf(article.slug);
      const ahead = new Date(Date.now() + 60_000);
      const response = await racingCommit(
        db(),
        id,
        (tx) => tx.article.update({ where: { id }, data: { updatedAt: ahead } }),
        () => putArticle(article.slug, { description: "waited" }),
      );
      const updated = (await json<{ article: Article }>(response)).article;
      expect(updated.description).toBe("waited");
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(ahead.getTime());
      const row = await db().article.findUniqueOrThrow({ where: { id } });
      expect(row.updatedAt.getTime()).toBe(Date.parse(updated.updatedAt));
    });
  });

  describe("an update racing a rename", () => {
    it("when an update that changes no title waits while another renames the article, then the new slug and title stay", async () => {
      const article = await publish();
      const id = await idOf(article.slug);
      const response = await racingCommit(
        db(),
        id,
        (tx) => tx.article.update({ where: { id }, data: { title: "Renamed", slug: "renamed-x" } }),
        () => putArticle(article.slug, { description: "edited meanwhile" }),
      );
      const updated = (await json<{ article: Article }>(response)).article;
      expect(updated).toMatchObject({
        slug: "renamed-x",
        title: "Renamed",
        description: "edited meanwhile",
      });
      const row = await db().article.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ slug: "renamed-x", title: "Renamed" });
    });
  });

  describe("favorites and comments racing the article's delete", () => {
    it("when a favorite and a comment race the delete 20 times, then each answers done or 404, never 409 or 500", async () => {
      for (let round = 0; round < 20; round++) {
        const article = await publish();
        const [deleted, favorited, commented] = await Promise.all([
          deleteArticle(article.slug),
          favoriteArticle(service, reader.token, article.slug),
          postComment(service, reader.token, article.slug, `comment ${round}`),
        ]);
        expect(deleted.status).toBe(204);
        await expectDoneOrArticleGone(favorited, 200);
        await expectDoneOrArticleGone(commented, 201);
      }
      expect(await db().article.count()).toBe(0);
      expect(await db().favorite.count()).toBe(0);
      expect(await db().comment.count()).toBe(0);
    });

    it("when the article is deleted while a favorite waits to write, then 404 on article", async () => {
      const article = await publish();
      const id = await idOf(article.slug);
      const response = await racingCommit(
        db(),
        id,
        (tx) => tx.$executeRaw`DELETE FROM articles WHERE id = ${id}`,
        () => favoriteArticle(service, reader.token, article.slug),
      );
      await expectError(response, 404, { article: ["not found"] });
      expect(await db().favorite.count()).toBe(0);
    });

    it("when the article is deleted while a comment waits to write, then 404 on article", async () => {
      const article = await publish();
      const id = await idOf(article.slug);
      const response = await racingCommit(
        db(),
        id,
        (tx) => tx.$executeRaw`DELETE FROM articles WHERE id = ${id}`,
        () => postComment(service, reader.token, article.slug, "too late"),
      );
      await expectError(response, 404, { article: ["not found"] });
      expect(await db().comment.count()).toBe(0);
      expect(await db().notification.count()).toBe(0);
    });
  });

  describe("favoriting answers with the article as it is now", () => {
    it("when the article is retitled after a favorite, then favoriting by the new slug answers with it", async () => {
      const article = await publish({ title: "First title" });
      const first = await json<{ article: Article }>(
        await favoriteArticle(service, reader.token, article.slug),
      );
      expect(first.article).toMatchObject({ slug: article.slug, favorited: true });

      const retitled = (
        await json<{ article: Article }>(await putArticle(article.slug, { title: "Second title" }))
      ).article;
      expect(retitled.slug).toBe("second-title");
      const again = await json<{ article: Article }>(
        await favoriteArticle(service, reader.token, retitled.slug),
      );
      expect(again.article).toMatchObject({
        slug: "second-title",
        title: "Second title",
        favorited: true,
        favoritesCount: 1,
      });
      await expectError(await favoriteArticle(service, reader.token, article.slug), 404, {
        article: ["not found"],
      });
    });

    it("when the slug changes while a favorite waits to write, then the favorite answers 200 with the new slug", async () => {
      const article = await publish({ title: "Old title" });
      const id = await idOf(article.slug);
      const response = await racingCommit(
        db(),
        id,
        (tx) =>
          tx.article.update({ where: { id }, data: { slug: "new-title", title: "New title" } }),
        () => favoriteArticle(service, reader.token, article.slug),
      );
      const { article: favorited } = await json<{ article: Article }>(response);
      expect(favorited).toMatchObject({ slug: "new-title", favorited: true, favoritesCount: 1 });
      expect(await db().favorite.count()).toBe(1);
    });
  });

  describe("empty list filters mean no filter", () => {
    async function threeArticles() {
      await publish({ tagList: ["alpha"] });
      await publish({ tagList: ["beta"] });
      const third = await publish();
      await json(await favoriteArticle(service, reader.token, third.slug));
    }

    it("when tag, author and favorited are all empty, then every article is listed", async () => {
      await threeArticles();
      const page = await json<ArticlePage>(await fetch(api("/articles?tag=&author=&favorited=")));
      expect(page.articlesCount).toBe(3);
      expect(page.articles).toHaveLength(3);
    });

    it.each(["tag", "author", "favorited"])(
      "when only %s is empty, then every article is listed",
      async (filter) => {
        await threeArticles();
        const page = await json<ArticlePage>(await fetch(api(`/articles?${filter}=`)));
        expect(page.articlesCount).toBe(3);
      },
    );

    it("when a filter has a value, then it still filters", async () => {
      await threeArticles();
      const byTag = await json<ArticlePage>(await fetch(api("/articles?tag=alpha&author=")));
      expect(byTag.articlesCount).toBe(1);
      expect(byTag.articles[0]?.tagList).toEqual(["alpha"]);
      const byFavorite = await json<ArticlePage>(
        await fetch(api(`/articles?favorited=${reader.username}&tag=`)),
      );
      expect(byFavorite.articlesCount).toBe(1);
    });

    it.each(["tag", "author", "favorited"])(
      "when %s is only whitespace, then 422 on that filter",
      async (filter) => {
        const response = await fetch(api(`/articles?${filter}=%20`));
        const text = await response.text();
        expect({ status: response.status, text }).toMatchObject({ status: 422 });
        expect(Object.keys((JSON.parse(text) as ErrorBody).errors)).toEqual([filter]);
      },
    );
  });

  describe("path parameters are matched as given", () => {
    it.each([
      ["spaces around it", (slug: string) => `%20${slug}%20`],
      ["a space before it", (slug: string) => `%20${slug}`],
      ["a trailing space", (slug: string) => `${slug}%20`],
    ])("when the slug has %s, then GET answers 404", async (_case, variant) => {
      const article = await publish();
      await expectError(await fetch(api(`/articles/${variant(article.slug)}`)), 404, {
        article: ["not found"],
      });
    });

    it("when the slug has a trailing tab, then GET answers 422 (a control character) rather than trimming it away", async () => {
      const article = await publish();
      await expectError(await fetch(api(`/articles/${article.slug}%09`)), 422, {
        slug: ["must not contain control characters"],
      });
    });

    it("when a write names the slug with spaces around it, then 404 and the article is untouched", async () => {
      const article = await publish();
      const padded = `%20${article.slug}%20`;
      await expectError(await putArticle(padded, { description: "changed" }), 404);
      await expectError(await favoriteArticle(service, reader.token, padded), 404);
      await expectError(await postComment(service, reader.token, padded, "hi"), 404);
      await expectError(await deleteArticle(padded), 404);
      const row = await storedArticle(article.slug);
      expect(row).toMatchObject({ description: "What it is about", favoritesCount: 0 });
      expect(await db().comment.count()).toBe(0);
    });

    it.each([
      ["a space before it", (name: string) => `%20${name}`],
      ["a trailing space", (name: string) => `${name}%20`],
    ])(
      "when a username in a profile path has %s, then 422 or 404, never 200",
      async (_case, variant) => {
        const response = await fetch(api(`/profiles/${variant(author.username)}`));
        await response.text();
        expect([404, 422]).toContain(response.status);
        const follow = await fetch(api(`/profiles/${variant(author.username)}/follow`), {
          method: "POST",
          headers: auth(reader.token),
        });
        await follow.text();
        expect([404, 422]).toContain(follow.status);
        expect(await db().follow.count()).toBe(0);
      },
    );
  });

  describe("plain messages", () => {
    it.each(["abc", "1.5", "1e3", "12345678901"])(
      "when a comment id in the path is %j, then 422 'must be a whole number'",
      async (id) => {
        const article = await publish();
        const response = await fetch(api(`/articles/${article.slug}/comments/${id}`), {
          method: "DELETE",
          headers: auth(author.token),
        });
        await expectError(response, 422, { id: ["must be a whole number"] });
      },
    );

    const markRead = (body: string) =>
      fetch(api("/notifications/read"), {
        method: "POST",
        headers: { "content-type": "application/json", ...auth(author.token) },
        body,
      });

    it("when a notification id is 1e300, then 422 'is too large'", async () => {
      const response = await markRead('{"ids":[1e300]}');
      const text = await response.text();
      expect({ status: response.status, text }).toMatchObject({ status: 422 });
      expect((JSON.parse(text) as ErrorBody).errors.ids).toContain("is too large");
    });

    it.each([
      ['{"ids":[1.5]}', ["must be a whole number"]],
      ['{"ids":["abc"]}', ["must be a whole number"]],
      ['{"ids":[2147483648]}', ["is too large"]],
      ['{"ids":[0]}', ["must be at least 1"]],
    ])("when the body is %s, then 422 with ids %j", async (body, messages) => {
      await expectError(await markRead(body), 422, { ids: messages });
    });

    it("when an article is sent as a JSON array, then 422 'must be a JSON object'", async () => {
      const send = (path: string, method: string) =>
        fetch(api(path), {
          method,
          headers: { "content-type": "application/json", ...auth(author.token) },
          body: "[]",
        });
      await expectError(await send("/articles", "POST"), 422, { body: ["must be a JSON object"] });
      const article = await publish();
      await expectError(await send(`/articles/${article.slug}`, "PUT"), 422, {
        body: ["must be a JSON object"],
      });
      await expectError(await send(`/articles/${article.slug}/comments`, "POST"), 422, {
        body: ["must be a JSON object"],
      });
      expect(await db().article.count()).toBe(1);
    });
  });

  describe("the OpenAPI document", () => {
    it.each(["/api/articles/{slug}/favorite", "/api/articles/{slug}/comments"])(
      "when it describes POST %s, then it lists 404 and 409 among the answers",
      async (path) => {
        const document = await json<{
          paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
        }>(await fetch(`${service.url}/api/openapi.json`));
        const responses = Object.keys(document.paths[path]?.post?.responses ?? {});
        expect(responses).toEqual(expect.arrayContaining(["404", "409"]));
      },
    );
  });
});

describe("article hardening with a short Markdown deadline", () => {
  let service: TestService;
  let author: RegisteredUser;

  beforeAll(async () => {
    service = await startTestService({ env: { MARKDOWN_CHECK_TIMEOUT_MS: "300" } });
  });
  afterAll(() => service.stop());
  beforeEach(async () => {
    await resetState(service.container);
    author = await registerUser(service);
  });

  const post = (body: string) => postArticle(service, author.token, { ...newArticle(), body });

  it("when a body is too slow to check, then 422 'too complex' on body and nothing is stored", async () => {
    const started = Date.now();
    const response = await post(SLOW_BODY);
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 422 });
    const { errors } = JSON.parse(text) as ErrorBody;
    expect(Object.keys(errors)).toEqual(["body"]);
    expect(errors.body?.[0]).toMatch(/too complex/);
    // Parsing it to the end would take minutes; the bound leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await service.container.db.article.count()).toBe(0);
  });

  it("when a slow body is being checked, then /health/live answers before it", async () => {
    const order: string[] = [];
    const slow = post(SLOW_TO_PARSE_BODY).then((response) => {
      order.push("slow body");
      return response;
    });
    // The check holds its thread for its whole CPU time; the event loop stays free meanwhile.
    const live = await fetch(`${service.url}/health/live`);
    order.push("live");
    expect(live.status).toBe(200);
    await expectError(await slow, 422);
    expect(order).toEqual(["live", "slow body"]);
  }, 60_000);

  it("when a body nests list items thousands deep, then 422 or 201, never 500", async () => {
    const response = await post(NESTED_LIST_BODY);
    const text = await response.text();
    expect([201, 422]).toContain(response.status);
    if (response.status === 422) {
      expect((JSON.parse(text) as ErrorBody).errors.body?.[0]).toMatch(/too complex/);
    }
  });

  it("when a slow body has been refused, then ordinary bodies are accepted again", async () => {
    await expectError(await post(SLOW_BODY), 422);
    // The refused body's thread is replaced; starting the new one does not
    // count against the next body's deadline.
    const response = await post("An *ordinary* body.");
    const { article } = await json<{ article: Article }>(response, 201);
    expect(article.body).toBe("An *ordinary* body.");
  });
});
