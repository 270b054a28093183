import type { Role } from "../../../src/generated/prisma/client";
import {
  postJson,
  registerUser,
  registerWithRole,
  tokenHeader,
  type RegisteredUser,
} from "../../support/auth";
import { resetState, withAuditInsertsFailing } from "../../support/database";
import { createArticle, createComment } from "../../support/factories";
import { startTestService, type TestService } from "../../support/service";

interface AuditEntry {
  id: number;
  action: string;
  actor: string | null;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  createdAt: string;
}

interface AuditPage {
  entries: AuditEntry[];
  entriesCount: number;
}

describe("moderation of articles and comments", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());
  beforeEach(() => resetState(service.container));

  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  const deleteArticle = (actor: RegisteredUser, slug: string) =>
    fetch(api(`/articles/${slug}`), { method: "DELETE", headers: tokenHeader(actor.token) });
  const deleteComment = (actor: RegisteredUser, slug: string, id: number) =>
    fetch(api(`/articles/${slug}/comments/${id}`), {
      method: "DELETE",
      headers: tokenHeader(actor.token),
    });
  const updateArticle = (actor: RegisteredUser, slug: string, changes: Record<string, unknown>) =>
    postJson(api(`/articles/${slug}`), { article: changes }, tokenHeader(actor.token), "PUT");
  const getArticle = (slug: string) => fetch(api(`/articles/${slug}`));

  const articleExists = async (id: number) =>
    (await db().article.findUnique({ where: { id } })) !== null;
  const commentExists = async (id: number) =>
    (await db().comment.findUnique({ where: { id } })) !== null;

  /** The audit log as an admin reads it through the API. */
  async function auditLog(): Promise<AuditPage> {
    const admin = await registerWithRole(service, "ADMIN");
    const response = await fetch(api("/admin/audit-log"), { headers: tokenHeader(admin.token) });
    return json<AuditPage>(response);
  }

  async function json<T>(response: Response, status = 200): Promise<T> {
    const text = await response.text();
    if (response.status !== status) {
      throw new Error(`expected ${status}, got ${response.status}: ${text}`);
    }
    return JSON.parse(text) as T;
  }

  async function expectNoContent(response: Response): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({ status: 204, text: "" });
  }

  async function expectError(
    response: Response,
    status: number,
    errors: Record<string, string[]>,
  ): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status });
    expect((JSON.parse(text) as { errors: unknown }).errors).toEqual(errors);
  }

  describe.each<[Role]>([["MODERATOR"], ["ADMIN"]])("acting as %s", (role) => {
    it("when they delete someone else's article, then 204, it is gone, and one audit entry names it", async () => {
      const moderator = await registerWithRole(service, role);
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);
      await createComment(db(), article.id, author.id);
      const kept = await createArticle(db(), author.id);

      await expectNoContent(await deleteArticle(moderator, article.slug));

      expect(await articleExists(article.id)).toBe(false);
      expect(await db().comment.count({ where: { articleId: article.id } })).toBe(0);
      expect(await articleExists(kept.id)).toBe(true);
      expect((await getArticle(article.slug)).status).toBe(404);
      const log = await auditLog();
      expect(log.entriesCount).toBe(1);
      expect(log.entries).toEqual([
        {
          id: expect.any(Number) as number,
          action: "article.delete",
          actor: moderator.username,
          targetType: "article",
          targetId: String(article.id),
          details: {
            slug: article.slug,
            title: article.title,
            ownerId: author.id,
            actorRole: role,
          },
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
        },
      ]);
    });

    it("when they delete someone else's comment, then 204, it is gone, and one audit entry names it", async () => {
      const moderator = await registerWithRole(service, role);
      const author = await registerUser(service);
      const commenter = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, commenter.id, "Spam spam spam");
      const kept = await createComment(db(), article.id, commenter.id, "Fine");

      await expectNoContent(await deleteComment(moderator, article.slug, comment.id));

      expect(await commentExists(comment.id)).toBe(false);
      expect(await commentExists(kept.id)).toBe(true);
      expect(await articleExists(article.id)).toBe(true);
      const log = await auditLog();
      expect(log.entriesCount).toBe(1);
      expect(log.entries[0]).toMatchObject({
        action: "comment.delete",
        actor: moderator.username,
        targetType: "comment",
        targetId: String(comment.id),
        details: { articleSlug: article.slug, ownerId: commenter.id, actorRole: role },
      });
    });

    it("when they delete their own article and comment, then 204 and no audit entry", async () => {
      const moderator = await registerWithRole(service, role);
      const article = await createArticle(db(), moderator.id);
      const comment = await createComment(db(), article.id, moderator.id);

      await expectNoContent(await deleteComment(moderator, article.slug, comment.id));
      await expectNoContent(await deleteArticle(moderator, article.slug));

      expect(await articleExists(article.id)).toBe(false);
      expect(await db().auditLog.count()).toBe(0);
    });

    it("when they delete an article that does not exist, then 404 and no audit entry", async () => {
      const moderator = await registerWithRole(service, role);
      await expectError(await deleteArticle(moderator, "no-such-article"), 404, {
        article: ["not found"],
      });
      expect(await db().auditLog.count()).toBe(0);
    });
  });

  describe("authors and plain users", () => {
    it("when authors delete their own article and comment, then 204 and no audit entry", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, reader.id);
      const own = await createComment(db(), article.id, author.id);

      await expectNoContent(await deleteComment(reader, article.slug, comment.id));
      await expectNoContent(await deleteComment(author, article.slug, own.id));
      await expectNoContent(await deleteArticle(author, article.slug));

      expect(await articleExists(article.id)).toBe(false);
      expect(await db().auditLog.count()).toBe(0);
      expect((await auditLog()).entriesCount).toBe(0);
    });

    it("when a user deletes someone else's article or comment, then 403 and both stay, unaudited", async () => {
      const author = await registerUser(service);
      const stranger = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, author.id);

      await expectError(await deleteArticle(stranger, article.slug), 403, {
        article: ["forbidden"],
      });
      await expectError(await deleteComment(stranger, article.slug, comment.id), 403, {
        comment: ["forbidden"],
      });

      expect(await articleExists(article.id)).toBe(true);
      expect(await commentExists(comment.id)).toBe(true);
      expect(await db().auditLog.count()).toBe(0);
    });
  });

  describe("editing someone else's article", () => {
    it("when a moderator edits it, then 403 article forbidden and it is unchanged", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      await expectError(
        await updateArticle(moderator, article.slug, { title: "Moderated title" }),
        403,
        { article: ["forbidden"] },
      );

      const stored = await db().article.findUniqueOrThrow({ where: { id: article.id } });
      expect(stored).toMatchObject({
        slug: article.slug,
        title: article.title,
        authorId: author.id,
      });
      expect(stored.updatedAt).toEqual(article.updatedAt);
    });

    it("when a plain user edits it, then 403 article forbidden", async () => {
      const stranger = await registerUser(service);
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);
      await expectError(await updateArticle(stranger, article.slug, { body: "Mine now" }), 403, {
        article: ["forbidden"],
      });
      expect((await db().article.findUniqueOrThrow({ where: { id: article.id } })).body).toBe(
        article.body,
      );
    });

    it("when an admin edits it, then 200 with the change, the author stays, and one audit entry names it", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      const response = await updateArticle(admin, article.slug, {
        title: "Retitled by an admin",
        description: "Edited by an admin",
      });

      const { article: body } = await json<{
        article: { slug: string; title: string; description: string; author: { username: string } };
      }>(response);
      expect(body).toMatchObject({
        title: "Retitled by an admin",
        description: "Edited by an admin",
        author: { username: author.username },
      });
      expect(body.slug).not.toBe(article.slug);
      const stored = await db().article.findUniqueOrThrow({ where: { id: article.id } });
      expect([stored.description, stored.authorId]).toEqual(["Edited by an admin", author.id]);
      const log = await auditLog();
      expect(log.entriesCount).toBe(1);
      expect(log.entries[0]).toMatchObject({
        action: "article.update",
        actor: admin.username,
        targetType: "article",
        targetId: String(article.id),
        details: {
          slug: body.slug,
          previousSlug: article.slug,
          title: "Retitled by an admin",
          ownerId: author.id,
          actorRole: "ADMIN",
        },
      });
    });

    it("when authors (admins included) edit their own article, then no audit entry", async () => {
      const author = await registerUser(service);
      const admin = await registerWithRole(service, "ADMIN");
      const mine = await createArticle(db(), author.id);
      const adminsOwn = await createArticle(db(), admin.id);

      expect((await updateArticle(author, mine.slug, { body: "Revised" })).status).toBe(200);
      expect((await updateArticle(admin, adminsOwn.slug, { body: "Revised" })).status).toBe(200);

      expect(await db().auditLog.count()).toBe(0);
    });
  });

  describe("a moderation change and its audit entry commit together", () => {
    it("when the audit entry cannot be written, then the moderator's article delete fails and the article stays", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, reader.id);
      await db().favorite.create({ data: { userId: reader.id, articleId: article.id } });

      let status = 0;
      await withAuditInsertsFailing(db(), async () => {
        const response = await deleteArticle(moderator, article.slug);
        status = response.status;
        await response.text();
      });

      // 5xx only because the database itself refused the audit insert.
      expect(status).toBeGreaterThanOrEqual(500);
      expect((await getArticle(article.slug)).status).toBe(200);
      expect(await commentExists(comment.id)).toBe(true);
      expect(await db().favorite.count({ where: { articleId: article.id } })).toBe(1);
      expect(await db().auditLog.count()).toBe(0);

      // Nothing was left half done: the same delete now goes through, with its entry.
      await expectNoContent(await deleteArticle(moderator, article.slug));
      expect(await articleExists(article.id)).toBe(false);
      expect((await db().auditLog.findMany()).map((row) => row.action)).toEqual(["article.delete"]);
    });

    it("when the audit entry cannot be written, then the moderator's comment delete fails and the comment stays", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, author.id);

      let status = 0;
      await withAuditInsertsFailing(db(), async () => {
        const response = await deleteComment(moderator, article.slug, comment.id);
        status = response.status;
        await response.text();
      });

      expect(status).toBeGreaterThanOrEqual(500);
      expect(await commentExists(comment.id)).toBe(true);
      expect(await db().auditLog.count()).toBe(0);
    });

    it("when the audit entry cannot be written, then an admin's edit of someone else's article is rolled back", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      let status = 0;
      await withAuditInsertsFailing(db(), async () => {
        const response = await updateArticle(admin, article.slug, { title: "Never saved" });
        status = response.status;
        await response.text();
      });

      expect(status).toBeGreaterThanOrEqual(500);
      const stored = await db().article.findUniqueOrThrow({ where: { id: article.id } });
      expect(stored).toMatchObject({ slug: article.slug, title: article.title });
      expect(stored.updatedAt).toEqual(article.updatedAt);
      expect(await db().auditLog.count()).toBe(0);
    });

    it("when audit inserts fail, then an author's own delete, which writes no entry, still succeeds", async () => {
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      let status = 0;
      await withAuditInsertsFailing(db(), async () => {
        const response = await deleteArticle(author, article.slug);
        status = response.status;
        await response.text();
      });

      expect(status).toBe(204);
      expect(await articleExists(article.id)).toBe(false);
    });
  });
});
