import { verify } from "@node-rs/argon2";
import { createDatabase, type Database } from "../../src/core/database/prisma";
import {
  ADMIN_EMAIL,
  DatabaseNotEmptyError,
  planSizes,
  SEED_PASSWORD,
  seedDatabase,
  type SeedSummary,
} from "../../src/core/database/seed/seed";
import { resetDatabase } from "../support/database";

const ARTICLES = 30;

describe("the development seed", () => {
  let db: Database;
  let summary: SeedSummary;

  /** Rows matched by a `SELECT count(*)::int AS n ...` query. */
  async function countWhere(query: Promise<{ n: number }[]>): Promise<number> {
    const [row] = await query;
    return row?.n ?? Number.NaN;
  }

  async function tableCounts() {
    return {
      users: await db.user.count(),
      follows: await db.follow.count(),
      tags: await db.tag.count(),
      articles: await db.article.count(),
      articleTags: await db.articleTag.count(),
      favorites: await db.favorite.count(),
      comments: await db.comment.count(),
    };
  }

  beforeAll(async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set (the Jest global setup provides it)");
    db = createDatabase({ url, poolSize: 2 });
    await resetDatabase(db);
    summary = await seedDatabase(db, { articles: ARTICLES, seed: 1, reset: false });
  });

  afterAll(async () => {
    await resetDatabase(db);
    await db.$disconnect();
  });

  it("when seeded with a number of articles, then every table has the planned rows", async () => {
    const sizes = planSizes(ARTICLES);
    expect(sizes).toEqual({
      users: 20,
      follows: 200,
      tags: 20,
      articles: 30,
      favorites: 150,
      comments: 90,
    });
    const counts = await tableCounts();
    expect(counts).toEqual({ ...sizes, articleTags: summary.counts.articleTags });
    expect(summary.counts).toEqual(counts);
    expect(counts.articleTags).toBeGreaterThanOrEqual(ARTICLES);
    expect(counts.articleTags).toBeLessThanOrEqual(4 * ARTICLES);
  });

  it("when seeded, then each article's favorites_count equals its favorites", async () => {
    const mismatched = await countWhere(db.$queryRaw`
      SELECT count(*)::int AS n FROM articles a
      WHERE a.favorites_count <> (SELECT count(*) FROM favorites f WHERE f.article_id = a.id)`);
    expect(mismatched).toBe(0);
  });

  it("when seeded, then nobody follows themselves", async () => {
    const selfFollows = await countWhere(db.$queryRaw`
      SELECT count(*)::int AS n FROM follows WHERE follower_id = following_id`);
    expect(selfFollows).toBe(0);
  });

  it("when seeded, then every comment is newer than its article", async () => {
    const early = await countWhere(db.$queryRaw`
      SELECT count(*)::int AS n FROM comments c JOIN articles a ON a.id = c.article_id
      WHERE c.created_at <= a.created_at`);
    expect(early).toBe(0);
  });

  it("when seeded, then one admin exists and everyone logs in with the shared password", async () => {
    const admins = await db.user.findMany({ where: { role: "ADMIN" } });
    expect(admins.map((user) => user.email)).toEqual([ADMIN_EMAIL]);
    expect(await db.user.count({ where: { role: { notIn: ["ADMIN", "USER"] } } })).toBe(0);

    const hashes = await db.user.groupBy({ by: ["passwordHash"] });
    expect(hashes).toHaveLength(1);
    const [{ passwordHash }] = hashes as [{ passwordHash: string }];
    expect(passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verify(passwordHash, SEED_PASSWORD)).toBe(true);
    expect(summary.logins[0]).toEqual({ email: ADMIN_EMAIL, username: "admin", role: "ADMIN" });
  });

  it("when the database already has data, then seeding without reset refuses and adds nothing", async () => {
    const before = await tableCounts();
    await expect(seedDatabase(db, { articles: 1, seed: 2, reset: false })).rejects.toBeInstanceOf(
      DatabaseNotEmptyError,
    );
    expect(await tableCounts()).toEqual(before);
  });

  it("when reseeded with reset and the same seed, then the same content comes back", async () => {
    const contentOf = () =>
      db.article.findMany({
        orderBy: { id: "asc" },
        select: { id: true, slug: true, title: true, body: true, authorId: true },
      });
    const before = await contentOf();
    await seedDatabase(db, { articles: ARTICLES, seed: 1, reset: true });
    expect(await contentOf()).toEqual(before);
  });
});
