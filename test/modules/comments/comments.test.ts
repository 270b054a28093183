import {
  auth,
  deleteComment,
  expectError,
  followUser,
  json,
  publishComment,
  type Comment,
} from "../../support/api";
import { postJson, registerUser, type RegisteredUser } from "../../support/auth";
import { createArticle, createComment } from "../../support/factories";
import { useTestService } from "../../support/service";

const ISO_WITH_MILLISECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("comments", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  const listComments = (slug: string, token?: string) =>
    fetch(api(`/articles/${slug}/comments`), { headers: auth(token) });
  const addComment = (token: string | undefined, slug: string, body: unknown) =>
    postJson(api(`/articles/${slug}/comments`), body, auth(token));
  const follow = (token: string, username: string) => followUser(service, token, username);

  /** An article by `author`, straight in the database. */
  const articleBy = (author: RegisteredUser) => createArticle(db(), author.id);
  const storedComments = () => db().comment.findMany({ orderBy: { id: "asc" } });

  const comment = (user: RegisteredUser, slug: string, body: string): Promise<Comment> =>
    publishComment(service, user.token, slug, body);

  describe("POST /api/articles/:slug/comments", () => {
    it("when a user comments, then 201 with the comment, its body trimmed, and it is stored", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(author);

      const response = await addComment(reader.token, article.slug, {
        comment: { body: "  \n Thanks for this.\nVery clear.  \t" },
      });

      const { comment: created } = await json<{ comment: Comment }>(response, 201);
      expect(created).toEqual({
        id: expect.any(Number) as number,
        createdAt: expect.stringMatching(ISO_WITH_MILLISECONDS) as string,
        updatedAt: expect.stringMatching(ISO_WITH_MILLISECONDS) as string,
        body: "Thanks for this.\nVery clear.",
        author: { username: reader.username, bio: null, image: null, following: false },
      });
      expect(Number.isInteger(created.id)).toBe(true);
      const rows = await storedComments();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        id: created.id,
        articleId: article.id,
        authorId: reader.id,
        body: "Thanks for this.\nVery clear.",
      });
      expect(rows[0]?.createdAt.toISOString()).toBe(created.createdAt);
    });

    it.each([
      ["an empty body", { comment: { body: "" } }],
      ["a body of spaces", { comment: { body: "   \n\t " } }],
      ["a null body", { comment: { body: null } }],
      ["no body", { comment: {} }],
    ])(
      "when the comment has %s, then 422 body can't be blank and nothing is stored",
      async (_case, body) => {
        const author = await registerUser(service);
        const article = await articleBy(author);
        await expectError(await addComment(author.token, article.slug, body), 422, {
          body: ["can't be blank"],
        });
        expect(await storedComments()).toHaveLength(0);
      },
    );

    it("when the comment envelope is missing, then 422 comment can't be blank", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      await expectError(await addComment(author.token, article.slug, {}), 422, {
        comment: ["can't be blank"],
      });
      expect(await storedComments()).toHaveLength(0);
    });

    it("when the body is longer than 10000 characters, then 422 and nothing is stored", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      await expectError(
        await addComment(author.token, article.slug, { comment: { body: "x".repeat(10_001) } }),
        422,
        { body: ["is too long (maximum is 10000 characters)"] },
      );
      expect(await storedComments()).toHaveLength(0);
      expect(
        (await addComment(author.token, article.slug, { comment: { body: "x".repeat(10_000) } }))
          .status,
      ).toBe(201);
    });

    it("when nobody is signed in, then 401 token is missing, before the article is looked up", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      await expectError(
        await addComment(undefined, article.slug, { comment: { body: "Hi" } }),
        401,
        {
          token: ["is missing"],
        },
      );
      await expectError(
        await addComment(undefined, "no-such-article", { comment: { body: "Hi" } }),
        401,
        {
          token: ["is missing"],
        },
      );
      expect(await storedComments()).toHaveLength(0);
    });

    it("when the article does not exist, then 404 article not found", async () => {
      const user = await registerUser(service);
      await expectError(
        await addComment(user.token, "no-such-article", { comment: { body: "Hi" } }),
        404,
        { article: ["not found"] },
      );
      expect(await storedComments()).toHaveLength(0);
    });
  });

  describe("GET /api/articles/:slug/comments", () => {
    it("when anyone reads them, then 200 with the article's comments oldest first", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(author);
      const other = await articleBy(author);
      const first = await comment(reader, article.slug, "First");
      const second = await comment(author, article.slug, "Second");
      await comment(reader, other.slug, "On another article");
      const third = await comment(reader, article.slug, "Third");

      const { comments } = await json<{ comments: Comment[] }>(await listComments(article.slug));

      expect(comments).toEqual([first, second, third]);
      expect(comments.map((c) => c.body)).toEqual(["First", "Second", "Third"]);
    });

    it("when comments share a creation time, then they are still in the order they were written", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      const at = new Date("2026-01-01T00:00:00.000Z");
      const ids: number[] = [];
      for (const body of ["a", "b", "c"]) {
        const row = await db().comment.create({
          data: { articleId: article.id, authorId: author.id, body, createdAt: at },
        });
        ids.push(row.id);
      }
      const { comments } = await json<{ comments: Comment[] }>(await listComments(article.slug));
      expect(comments.map((c) => c.id)).toEqual(ids);
    });

    it("when the reader follows a commenter, then that author carries following true for them only", async () => {
      const author = await registerUser(service);
      const followed = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(author);
      await comment(followed, article.slug, "By the followed one");
      await comment(author, article.slug, "By the author");
      expect((await follow(reader.token, followed.username)).status).toBe(200);

      const asReader = await json<{ comments: Comment[] }>(
        await listComments(article.slug, reader.token),
      );
      expect(asReader.comments.map((c) => [c.author.username, c.author.following])).toEqual([
        [followed.username, true],
        [author.username, false],
      ]);
      const anonymous = await json<{ comments: Comment[] }>(await listComments(article.slug));
      expect(anonymous.comments.map((c) => c.author.following)).toEqual([false, false]);
    });

    it("when the token is garbage, then the comments are still served as to anyone", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      const only = await comment(author, article.slug, "Visible");
      const { comments } = await json<{ comments: Comment[] }>(
        await listComments(article.slug, "not.a.jwt"),
      );
      expect(comments).toEqual([only]);
    });

    it("when the article has no comments, then an empty list", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      expect(await json(await listComments(article.slug))).toEqual({ comments: [] });
    });

    it("when the article does not exist, then 404 article not found", async () => {
      await expectError(await listComments("no-such-article"), 404, { article: ["not found"] });
    });
  });

  describe("DELETE /api/articles/:slug/comments/:id", () => {
    it("when the comment's author deletes it, then 204 with no body and only that comment is gone", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const article = await articleBy(author);
      const kept = await comment(author, article.slug, "Kept");
      const doomed = await comment(reader, article.slug, "Doomed");

      const response = await deleteComment(service, reader.token, article.slug, doomed.id);

      expect(response.status).toBe(204);
      expect(await response.text()).toBe("");
      const { comments } = await json<{ comments: Comment[] }>(await listComments(article.slug));
      expect(comments.map((c) => c.id)).toEqual([kept.id]);
      expect((await storedComments()).map((row) => row.id)).toEqual([kept.id]);
      // Deleting it again: it is not there any more.
      await expectError(await deleteComment(service, reader.token, article.slug, doomed.id), 404, {
        comment: ["not found"],
      });
    });

    it("when someone else (even the article's author) deletes it, then 403 comment forbidden and it stays", async () => {
      const author = await registerUser(service);
      const commenter = await registerUser(service);
      const stranger = await registerUser(service);
      const article = await articleBy(author);
      const target = await comment(commenter, article.slug, "Mine");

      for (const user of [stranger, author]) {
        await expectError(await deleteComment(service, user.token, article.slug, target.id), 403, {
          comment: ["forbidden"],
        });
      }
      expect((await storedComments()).map((row) => row.id)).toEqual([target.id]);
    });

    it("when the id is unknown on an existing article, then 404 comment not found", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      const existing = await comment(author, article.slug, "Here");
      await expectError(
        await deleteComment(service, author.token, article.slug, existing.id + 1000),
        404,
        {
          comment: ["not found"],
        },
      );
      expect(await storedComments()).toHaveLength(1);
    });

    it("when the comment belongs to another article, then 404 comment not found and it stays", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      const other = await articleBy(author);
      const elsewhere = await createComment(db(), other.id, author.id, "On the other one");

      await expectError(
        await deleteComment(service, author.token, article.slug, elsewhere.id),
        404,
        {
          comment: ["not found"],
        },
      );
      expect((await storedComments()).map((row) => row.id)).toEqual([elsewhere.id]);
    });

    it("when the article does not exist, then 404 article not found", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      const existing = await createComment(db(), article.id, author.id);
      await expectError(
        await deleteComment(service, author.token, "no-such-article", existing.id),
        404,
        {
          article: ["not found"],
        },
      );
      expect(await storedComments()).toHaveLength(1);
    });

    it("when nobody is signed in, then 401 token is missing and the comment stays", async () => {
      const author = await registerUser(service);
      const article = await articleBy(author);
      const existing = await createComment(db(), article.id, author.id);
      await expectError(await deleteComment(service, undefined, article.slug, existing.id), 401, {
        token: ["is missing"],
      });
      expect(await storedComments()).toHaveLength(1);
    });

    it.each([["abc"], ["99999999999"], ["2147483648"], ["0"], ["-1"], ["1.5"], ["1e3"]])(
      "when the id is %s, then 422 naming id, never 500",
      async (id) => {
        const author = await registerUser(service);
        const article = await articleBy(author);
        await createComment(db(), article.id, author.id);
        const response = await deleteComment(service, author.token, article.slug, id);
        const body = await json<{ errors: Record<string, string[]> }>(response, 422);
        expect(Object.keys(body.errors)).toEqual(["id"]);
        expect(await storedComments()).toHaveLength(1);
      },
    );
  });
});
