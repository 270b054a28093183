import { randomUUID } from "node:crypto";
import { inTransaction, joinEveryTransaction } from "../../../src/core/database/repository";
import { AppError } from "../../../src/core/errors/app-error";
import { IdempotencyRepository } from "../../../src/modules/idempotency/idempotency.repository";
import { IdempotencyService } from "../../../src/modules/idempotency/idempotency.service";
import {
  apiUrl,
  auth,
  expectErrorWithCode,
  json,
  type Article,
  type Comment,
} from "../../support/api";
import { postJson } from "../../support/auth";
import { COMMIT, DatabaseFailure, ROLLBACK } from "../../support/database-failure";
import { createArticle, createUser } from "../../support/factories";
import { QueryCounter } from "../../support/query-counter";
import { type TestService, useTestService } from "../../support/service";

interface Caller {
  id: number;
  token: string;
}

/** An article body that passes validation, unique per call. */
function newArticle(title = `Retried ${randomUUID().slice(0, 8)}`) {
  return { title, description: "About retries", body: "Sent *once*.", tagList: ["retry"] };
}

/** Calls to one service, each with an Idempotency-Key when given. */
function callsTo(service: TestService) {
  const withKey = (token: string | undefined, key: string | undefined) => ({
    ...auth(token),
    ...(key === undefined ? {} : { "idempotency-key": key }),
  });
  return {
    signedIn: async (): Promise<Caller> => {
      const row = await createUser(service.container.db);
      const session = await service.container.services.auth.startSession(row, {
        ip: null,
        userAgent: null,
      });
      return { id: row.id, token: session.accessToken };
    },
    post: (token: string | undefined, key: string | undefined, article: unknown) =>
      postJson(apiUrl(service, "/articles"), { article }, withKey(token, key)),
    put: (token: string, key: string, slug: string, article: unknown) =>
      postJson(apiUrl(service, `/articles/${slug}`), { article }, withKey(token, key), "PUT"),
    remove: (token: string, key: string, path: string) =>
      fetch(apiUrl(service, path), { method: "DELETE", headers: withKey(token, key) }),
    favorite: (token: string, key: string, slug: string) =>
      fetch(apiUrl(service, `/articles/${slug}/favorite`), {
        method: "POST",
        headers: withKey(token, key),
      }),
    comment: (token: string, key: string, slug: string, body: string) =>
      postJson(
        apiUrl(service, `/articles/${slug}/comments`),
        { comment: { body } },
        withKey(token, key),
      ),
    articleCount: () => service.container.db.article.count(),
    keyRow: (userId: number, key: string) =>
      service.container.db.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } }),
  };
}

/** Status, body text and the headers a replay must repeat. */
async function answerOf(response: Response) {
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get("content-type"),
    replayed: response.headers.get("idempotent-replayed"),
  };
}

describe("Idempotency-Key", () => {
  const service = useTestService();
  const api = callsTo(service);
  const db = () => service.container.db;

  describe("a retry with the same key", () => {
    it("when the same key and body are sent twice, then one article is written and the retry gets the first answer, marked as replayed", async () => {
      const author = await api.signedIn();
      const key = randomUUID();
      const article = newArticle();

      const first = await answerOf(await api.post(author.token, key, article));
      const retry = await answerOf(await api.post(author.token, key, article));

      expect(first).toMatchObject({ status: 201, replayed: null });
      expect(retry).toEqual({ ...first, replayed: "true" });
      expect(await api.articleCount()).toBe(1);
    });

    it("when the body is sent again with its fields in another order and the key quoted as the draft writes it, then it is the same request", async () => {
      const author = await api.signedIn();
      const { title, description, body, tagList } = newArticle();

      const first = await answerOf(
        await api.post(author.token, "order-1", { title, description, body, tagList }),
      );
      const retry = await answerOf(
        await api.post(author.token, '"order-1"', { tagList, body, description, title }),
      );

      expect(first.status).toBe(201);
      expect(retry).toEqual({ ...first, replayed: "true" });
      expect(await api.articleCount()).toBe(1);
    });

    it("when an update, a favorite, a comment and a delete are retried, then each answers as it first did and runs once", async () => {
      const author = await api.signedIn();
      const reader = await api.signedIn();
      const stored = await createArticle(db(), author.id);

      const update = () => api.put(author.token, "update-1", stored.slug, { title: "Renamed" });
      const updated = await answerOf(await update());
      expect(updated.status).toBe(200);
      expect(await answerOf(await update())).toEqual({ ...updated, replayed: "true" });
      const { slug } = (JSON.parse(updated.body) as { article: Article }).article;

      const favorite = () => api.favorite(reader.token, "favorite-1", slug);
      const favorited = await answerOf(await favorite());
      expect(await answerOf(await favorite())).toEqual({ ...favorited, replayed: "true" });

      const comment = () => api.comment(reader.token, "comment-1", slug, "Once.");
      const commented = await answerOf(await comment());
      expect(commented.status).toBe(201);
      expect(await answerOf(await comment())).toEqual({ ...commented, replayed: "true" });
      expect(await db().comment.count()).toBe(1);

      const remove = () => api.remove(author.token, "delete-1", `/articles/${slug}`);
      const removed = await remove();
      expect(removed.status).toBe(204);
      const again = await remove();
      // Without the key, a second delete would say 404: the article is gone.
      expect(again.status).toBe(204);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
    });

    it("when two users send the same key, then each gets their own write", async () => {
      const [one, two] = [await api.signedIn(), await api.signedIn()];
      const article = newArticle();

      const first = await json<{ article: Article }>(
        await api.post(one.token, "shared", article),
        201,
      );
      const second = await api.post(two.token, "shared", article);

      const other = await json<{ article: Article }>(second, 201);
      expect(second.headers.get("idempotent-replayed")).toBeNull();
      expect(other.article.slug).not.toBe(first.article.slug);
      expect(other.article.author.username).not.toBe(first.article.author.username);
      expect(await api.articleCount()).toBe(2);
    });
  });

  describe("a key that cannot be used", () => {
    it("when the same key comes with another body, method or path, then 422 and nothing is written", async () => {
      const author = await api.signedIn();
      const first = await json<{ article: Article }>(
        await api.post(author.token, "reused", newArticle("First")),
        201,
      );
      const mismatch = {
        "Idempotency-Key": [
          "was already used for a different request (method, path or body); use a new key for a new request",
        ],
      };

      await expectErrorWithCode(
        await api.post(author.token, "reused", newArticle("Second")),
        422,
        "VALIDATION_FAILED",
        mismatch,
      );
      await expectErrorWithCode(
        await api.put(author.token, "reused", first.article.slug, newArticle("First")),
        422,
        "VALIDATION_FAILED",
        mismatch,
      );
      expect(await api.articleCount()).toBe(1);
    });

    it.each([
      ["longer than 255 characters", "k".repeat(256)],
      ["empty", ""],
      ["with a space", "two words"],
      ["with a comma, as two headers arrive", "one, two"],
      ["with a quote inside", 'say"what'],
      ["not ASCII", "cl\u00e9"],
    ])("when the key is %s, then 400 and nothing runs", async (_case, key) => {
      const author = await api.signedIn();

      await expectErrorWithCode(
        await api.post(author.token, key, newArticle()),
        400,
        "BAD_REQUEST",
        {
          "Idempotency-Key": [
            "must be 1 to 255 visible ASCII characters, without quotes, backslashes or commas",
          ],
        },
      );
      expect(await api.articleCount()).toBe(0);
    });

    it("when a body is nested deeper than the stack allows, then 400 rather than 500, and nothing runs", async () => {
      const author = await api.signedIn();
      const depth = 40_000;
      const response = await fetch(apiUrl(service, "/articles"), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Token ${author.token}`,
          "idempotency-key": randomUUID(),
        },
        body: `{"article":${"[".repeat(depth)}${"]".repeat(depth)}}`,
      });
      await expectErrorWithCode(response, 400, "BAD_REQUEST", { body: ["is nested too deeply"] });
      expect(await api.articleCount()).toBe(0);
    });

    it("when a key of 255 characters is sent, then it is accepted", async () => {
      const author = await api.signedIn();
      const response = await api.post(author.token, "k".repeat(255), newArticle());
      expect(response.status).toBe(201);
    });

    it("when an anonymous request carries a key, then the route answers as it would without one and nothing is kept", async () => {
      const response = await api.post(undefined, "anonymous", newArticle());

      await expectErrorWithCode(response, 401, "UNAUTHENTICATED");
      expect(await db().idempotencyKey.count()).toBe(0);
    });
  });

  describe("answers that are not kept", () => {
    it("when a request with a key is refused (422), then the key stays free and the corrected request runs under it", async () => {
      const author = await api.signedIn();

      const refused = await api.post(author.token, "fix-and-retry", { ...newArticle(), title: "" });
      expect(refused.status).toBe(422);
      expect(await api.keyRow(author.id, "fix-and-retry")).toBeNull();

      const corrected = await api.post(author.token, "fix-and-retry", newArticle());
      expect(corrected.status).toBe(201);
      expect(corrected.headers.get("idempotent-replayed")).toBeNull();
      expect(await api.articleCount()).toBe(1);
    });
  });

  describe("requests in flight at once", () => {
    it("when two requests with the same key are sent at once, then one article is written and each answer is it or 409", async () => {
      const author = await api.signedIn();
      for (let round = 0; round < 5; round++) {
        const key = `together-${round}`;
        const article = newArticle();

        const answers = await Promise.all([
          api.post(author.token, key, article).then(answerOf),
          api.post(author.token, key, article).then(answerOf),
        ]);

        const created = answers.filter((answer) => answer.status === 201);
        const conflicts = answers.filter((answer) => answer.status === 409);
        expect(created.length + conflicts.length).toBe(2);
        expect(created.length).toBeGreaterThanOrEqual(1);
        if (created.length === 2) expect(created[0]!.body).toBe(created[1]!.body);
        expect(await api.articleCount()).toBe(round + 1);
      }
    });
  });

  describe("keys expire", () => {
    const shortLived = useTestService({ env: { IDEMPOTENCY_KEY_TTL_SECONDS: "60" } });
    const calls = callsTo(shortLived);

    it("when a key is kept, then it expires after IDEMPOTENCY_KEY_TTL_SECONDS, and once expired a request with it runs again", async () => {
      const author = await calls.signedIn();
      const article = newArticle();
      expect((await calls.post(author.token, "expiring", article)).status).toBe(201);

      const row = await calls.keyRow(author.id, "expiring");
      expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(60_000);

      await shortLived.container.db.idempotencyKey.update({
        where: { userId_key: { userId: author.id, key: "expiring" } },
        data: { expiresAt: new Date(Date.now() - 1_000) },
      });
      const again = await calls.post(author.token, "expiring", article);

      expect(again.status).toBe(201);
      expect(again.headers.get("idempotent-replayed")).toBeNull();
      expect(await calls.articleCount()).toBe(2);
    });

    it("when keys have expired, then new claims remove them", async () => {
      const author = await calls.signedIn();
      const past = new Date(Date.now() - 1_000);
      await shortLived.container.db.idempotencyKey.createMany({
        data: Array.from({ length: 5 }, (_, n) => ({
          userId: author.id,
          key: `old-${n}`,
          fingerprint: "f",
          claim: randomUUID(),
          leaseUntil: past,
          expiresAt: past,
        })),
      });

      expect((await calls.post(author.token, "fresh", newArticle())).status).toBe(201);

      const left = await shortLived.container.db.idempotencyKey.findMany({ select: { key: true } });
      expect(left).toEqual([{ key: "fresh" }]);
    });
  });

  describe("the key is marked in the write's own transaction", () => {
    const fault = new DatabaseFailure();
    beforeAll(() => fault.install());
    afterAll(() => fault.uninstall());

    it("when the write commits but its answer cannot be kept, then the client still gets the answer, and a retry is told the write was done instead of writing again", async () => {
      const author = await api.signedIn();
      const article = newArticle();

      const { result: first, began } = await fault.during(COMMIT, async () =>
        answerOf(await api.post(author.token, "answer-lost", article)),
      );

      expect(began).toBe(true);
      expect(first.status).toBe(201);
      expect(await api.keyRow(author.id, "answer-lost")).toMatchObject({
        committedAt: expect.any(Date) as Date,
        responseStatus: null,
      });
      await expectErrorWithCode(
        await api.post(author.token, "answer-lost", article),
        409,
        "CONFLICT",
        {
          "Idempotency-Key": [
            "was used by a request that was carried out, but its answer was lost; read the resource to see the result",
          ],
        },
      );
      expect(await api.articleCount()).toBe(1);
    });

    it("when the write rolls back and its key cannot be freed, then a retry is told to wait while the first is leased, and runs once the lease is over", async () => {
      const author = await api.signedIn();
      const article = newArticle();
      await refusingArticleInserts(async () => {
        const { result, began } = await fault.during(ROLLBACK, () =>
          api.post(author.token, "never-committed", article),
        );
        expect(began).toBe(true);
        expect(result.status).toBeGreaterThanOrEqual(500);
      });
      expect(await api.keyRow(author.id, "never-committed")).toMatchObject({ committedAt: null });

      const early = await api.post(author.token, "never-committed", article);
      await expectErrorWithCode(early, 409, "CONFLICT", {
        "Idempotency-Key": ["is in use by a request still in progress; retry shortly"],
      });
      expect(early.headers.get("retry-after")).toBe("1");

      await db().idempotencyKey.update({
        where: { userId_key: { userId: author.id, key: "never-committed" } },
        data: { leaseUntil: new Date(Date.now() - 1_000) },
      });
      const late = await api.post(author.token, "never-committed", article);

      expect(late.status).toBe(201);
      expect(await api.articleCount()).toBe(1);
    });

    it("when a request outlives its lease and a retry takes the key, then the first one's write rolls back instead of committing a second time", async () => {
      const author = await api.signedIn();
      const idempotency = new IdempotencyService({
        keys: new IdempotencyRepository(db()),
        logger: service.container.logger,
        ttlSeconds: 3_600,
      });
      const slow = await idempotency.admit(author.id, "outlived", "same-request");
      if (!("run" in slow)) throw new Error("the first request should run");
      await db().idempotencyKey.update({
        where: { userId_key: { userId: author.id, key: "outlived" } },
        data: { leaseUntil: new Date(Date.now() - 1_000) },
      });
      const retry = await idempotency.admit(author.id, "outlived", "same-request");
      expect("run" in retry).toBe(true);

      const write = joinEveryTransaction(idempotency.transactionMember(slow.run), () =>
        inTransaction(db(), (tx) =>
          tx.article.create({
            data: { slug: "late", title: "Late", description: "d", body: "b", authorId: author.id },
          }),
        ),
      );

      await expect(write).rejects.toBeInstanceOf(AppError);
      await expect(write).rejects.toMatchObject({ status: 409 });
      expect(await api.articleCount()).toBe(0);
    });

    /** Makes every insert into articles fail while `action` runs: a write that never commits. */
    async function refusingArticleInserts(action: () => Promise<void>): Promise<void> {
      await db().$executeRawUnsafe(`
        CREATE OR REPLACE FUNCTION test_refuse_article() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'articles refused by the test'; END $$`);
      await db().$executeRawUnsafe(`
        CREATE TRIGGER test_refuse_article BEFORE INSERT ON articles
        FOR EACH ROW EXECUTE FUNCTION test_refuse_article()`);
      try {
        await action();
      } finally {
        await db().$executeRawUnsafe(`DROP TRIGGER IF EXISTS test_refuse_article ON articles`);
        await db().$executeRawUnsafe(`DROP FUNCTION IF EXISTS test_refuse_article()`);
      }
    }
  });

  describe("what a key costs", () => {
    const counter = new QueryCounter();
    beforeAll(() => counter.install());
    afterAll(() => counter.uninstall());

    const touchesKeys = (sql: string) => sql.includes("idempotency_keys");

    it("when a write has no key, then no statement touches the keys", async () => {
      const author = await api.signedIn();

      const { result, queries } = await counter.measure(() =>
        api.post(author.token, undefined, newArticle()),
      );

      expect(result.status).toBe(201);
      expect(queries.filter(touchesKeys)).toEqual([]);
    });

    it("when a write has a key, then it costs a claim, one statement inside its transaction and one to keep the answer; a replay costs the claim only", async () => {
      const author = await api.signedIn();
      const article = newArticle();

      const first = await counter.measure(() => api.post(author.token, "counted", article));
      expect(first.result.status).toBe(201);
      const keyStatements = first.queries.filter(touchesKeys);
      expect(keyStatements).toHaveLength(3);
      const marked = first.queries.findIndex((sql) =>
        /UPDATE idempotency_keys SET committed_at/.test(sql),
      );
      expect(marked).toBeGreaterThan(-1);
      expect(marked).toBeLessThan(first.queries.findIndex((sql) => COMMIT.test(sql)));

      const replay = await counter.measure(() => api.post(author.token, "counted", article));
      expect(replay.result.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.queries.filter(touchesKeys)).toHaveLength(1);
      // Nothing else runs: no transaction, no write (the first write's event handlers may still read).
      expect(replay.queries.filter((sql) => /^\s*(BEGIN|INSERT|UPDATE)\b/i.test(sql))).toEqual([]);
    });
  });

  it("when a comment is posted with a key, then the answer kept is exactly the one sent", async () => {
    const author = await api.signedIn();
    const stored = await createArticle(db(), author.id);

    const first = await api.comment(author.token, "kept-comment", stored.slug, "Kept.");
    const sent = await json<{ comment: Comment }>(first, 201);

    const row = await api.keyRow(author.id, "kept-comment");
    expect(row).toMatchObject({ responseStatus: 201 });
    expect(JSON.parse(row!.responseBody!)).toEqual(sent);
    expect(row!.responseHeaders).toEqual({ "content-type": "application/json; charset=utf-8" });
  });
});
