import type { Role } from "../../../src/generated/prisma/client";
import {
  deleteArticle,
  deleteComment,
  expectError,
  json,
  updateArticle,
  type AuditPage,
} from "../../support/api";
import { registerUser, registerWithRole, tokenHeader } from "../../support/auth";
import { withAuditInsertsFailing } from "../../support/database";
import { createArticle, createComment } from "../../support/factories";
import { useTestService } from "../../support/service";

describe("moderation of articles and comments", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

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

  /** The status of a request sent while every audit insert fails. */
  async function statusWhileAuditFails(request: () => Promise<Response>): Promise<number> {
    let status = 0;
    await withAuditInsertsFailing(db(), async () => {
      const response = await request();
      status = response.status;
      await response.text();
    });
    return status;
  }

  async function expectNoContent(response: Response): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({ status: 204, text: "" });
  }

  describe.each<[Role]>([["MODERATOR"], ["ADMIN"]])("acting as %s", (role) => {
    it("when they delete someone else's article, then 204, it is gone, and one audit entry names it", async () => {
      const moderator = await registerWithRole(service, role);
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);
      await createComment(db(), article.id, author.id);
      const kept = await createArticle(db(), author.id);

      await expectNoContent(await deleteArticle(service, moderator.token, article.slug));

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

      await expectNoContent(
        await deleteComment(service, moderator.token, article.slug, comment.id),
      );

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

      await expectNoContent(
        await deleteComment(service, moderator.token, article.slug, comment.id),
      );
      await expectNoContent(await deleteArticle(service, moderator.token, article.slug));

      expect(await articleExists(article.id)).toBe(false);
      expect(await db().auditLog.count()).toBe(0);
    });

    it("when they delete an article that does not exist, then 404 and no audit entry", async () => {
      const moderator = await registerWithRole(service, role);
      await expectError(await deleteArticle(service, moderator.token, "no-such-article"), 404, {
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

      await expectNoContent(await deleteComment(service, reader.token, article.slug, comment.id));
      await expectNoContent(await deleteComment(service, author.token, article.slug, own.id));
      await expectNoContent(await deleteArticle(service, author.token, article.slug));

      expect(await articleExists(article.id)).toBe(false);
      expect(await db().auditLog.count()).toBe(0);
      expect((await auditLog()).entriesCount).toBe(0);
    });

    it("when a user deletes someone else's article or comment, then 403 and both stay, unaudited", async () => {
      const author = await registerUser(service);
      const stranger = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, author.id);

      await expectError(await deleteArticle(service, stranger.token, article.slug), 403, {
        article: ["forbidden"],
      });
      await expectError(
        await deleteComment(service, stranger.token, article.slug, comment.id),
        403,
        {
          comment: ["forbidden"],
        },
      );

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
        await updateArticle(service, moderator.token, article.slug, { title: "Moderated title" }),
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
      await expectError(
        await updateArticle(service, stranger.token, article.slug, { body: "Mine now" }),
        403,
        {
          article: ["forbidden"],
        },
      );
      expect((await db().article.findUniqueOrThrow({ where: { id: article.id } })).body).toBe(
        article.body,
      );
    });

    it("when an admin edits it, then 200 with the change, the author stays, and one audit entry names it", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      const response = await updateArticle(service, admin.token, article.slug, {
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

      expect(
        (await updateArticle(service, author.token, mine.slug, { body: "Revised" })).status,
      ).toBe(200);
      expect(
        (await updateArticle(service, admin.token, adminsOwn.slug, { body: "Revised" })).status,
      ).toBe(200);

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

      const status = await statusWhileAuditFails(() =>
        deleteArticle(service, moderator.token, article.slug),
      );

      // 5xx only because the database itself refused the audit insert.
      expect(status).toBeGreaterThanOrEqual(500);
      expect((await getArticle(article.slug)).status).toBe(200);
      expect(await commentExists(comment.id)).toBe(true);
      expect(await db().favorite.count({ where: { articleId: article.id } })).toBe(1);
      expect(await db().auditLog.count()).toBe(0);

      // Nothing was left half done: the same delete now goes through, with its entry.
      await expectNoContent(await deleteArticle(service, moderator.token, article.slug));
      expect(await articleExists(article.id)).toBe(false);
      expect((await db().auditLog.findMany()).map((row) => row.action)).toEqual(["article.delete"]);
    });

    it("when the audit entry cannot be written, then the moderator's comment delete fails and the comment stays", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);
      const comment = await createComment(db(), article.id, author.id);

      const status = await statusWhileAuditFails(() =>
        deleteComment(service, moderator.token, article.slug, comment.id),
      );

      expect(status).toBeGreaterThanOrEqual(500);
      expect(await commentExists(comment.id)).toBe(true);
      expect(await db().auditLog.count()).toBe(0);
    });

    it("when the audit entry cannot be written, then an admin's edit of someone else's article is rolled back", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      const status = await statusWhileAuditFails(() =>
        updateArticle(service, admin.token, article.slug, { title: "Never saved" }),
      );

      expect(status).toBeGreaterThanOrEqual(500);
      const stored = await db().article.findUniqueOrThrow({ where: { id: article.id } });
      expect(stored).toMatchObject({ slug: article.slug, title: article.title });
      expect(stored.updatedAt).toEqual(article.updatedAt);
      expect(await db().auditLog.count()).toBe(0);
    });

    it("when audit inserts fail, then an author's own delete, which writes no entry, still succeeds", async () => {
      const author = await registerUser(service);
      const article = await createArticle(db(), author.id);

      const status = await statusWhileAuditFails(() =>
        deleteArticle(service, author.token, article.slug),
      );

      expect(status).toBe(204);
      expect(await articleExists(article.id)).toBe(false);
    });
  });
});
