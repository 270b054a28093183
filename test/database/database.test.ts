import { toAppError } from "../../src/core/errors/to-app-error";
import { createDatabase, type Database } from "../../src/core/database/prisma";
import { resetDatabase } from "../support/database";
import { createArticle, createComment, createUser } from "../support/factories";
import { testConfig } from "../support/service";

describe("the database", () => {
  let db: Database;

  beforeAll(() => {
    db = createDatabase(testConfig().database);
  });
  beforeEach(() => resetDatabase(db));
  afterAll(() => db.$disconnect());

  it("when connected, then this run's migrated test database answers", async () => {
    const [row] = await db.$queryRaw<{ database: string }[]>`SELECT current_database() AS database`;
    expect(row?.database).toMatch(/^conduit_test_/);
  });

  it("when an email or username differs only in case, then it counts as taken", async () => {
    await createUser(db, { email: "Ada@Example.com", username: "Ada" });
    for (const data of [{ email: "ada@example.COM" }, { username: "ADA" }]) {
      const error: unknown = await createUser(db, data).catch((caught: unknown) => caught);
      const field = Object.keys(data)[0] as string;
      expect(toAppError(error)).toMatchObject({
        status: 409,
        errors: { [field]: ["has already been taken"] },
      });
    }
    const found = await db.user.findUnique({ where: { email: "ADA@EXAMPLE.COM" } });
    expect(found?.email).toBe("Ada@Example.com");
  });

  it("when a record to change does not exist, then the Prisma error becomes 404 naming the model", async () => {
    const error: unknown = await db.article
      .update({ where: { slug: "no-such-article" }, data: { title: "x" } })
      .catch((caught: unknown) => caught);
    expect(toAppError(error)).toMatchObject({ status: 404, errors: { article: ["not found"] } });
  });

  it("when an article is deleted, then its comments, favorites and tag links go with it", async () => {
    const author = await createUser(db);
    const reader = await createUser(db);
    const article = await createArticle(db, author.id, {
      tags: { create: [{ tag: { create: { name: "dragons" } } }] },
    });
    await createComment(db, article.id, reader.id);
    await db.favorite.create({ data: { userId: reader.id, articleId: article.id } });

    await db.article.delete({ where: { id: article.id } });

    expect(await db.comment.count()).toBe(0);
    expect(await db.favorite.count()).toBe(0);
    expect(await db.articleTag.count()).toBe(0);
    expect(await db.tag.count()).toBe(1);
  });

  it("when a user is deleted, then the audit log keeps their entries without the actor", async () => {
    const admin = await createUser(db, { role: "ADMIN" });
    await db.auditLog.create({
      data: { actorId: admin.id, action: "user.ban", targetType: "user", targetId: "42" },
    });
    await db.user.delete({ where: { id: admin.id } });
    const entries = await db.auditLog.findMany();
    expect(entries).toEqual([expect.objectContaining({ actorId: null, action: "user.ban" })]);
  });

  it("when a follow, favorite or tag link repeats, then the primary key refuses it", async () => {
    const [a, b] = await Promise.all([createUser(db), createUser(db)]);
    await db.follow.create({ data: { followerId: a.id, followingId: b.id } });
    const error: unknown = await db.follow
      .create({ data: { followerId: a.id, followingId: b.id } })
      .catch((caught: unknown) => caught);
    expect(toAppError(error).status).toBe(409);
  });
});
