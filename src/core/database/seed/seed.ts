import { Faker, base, en } from "@faker-js/faker";
import { hash } from "@node-rs/argon2";
import type { Prisma, Role } from "../../../generated/prisma/client";
import type { Database } from "../prisma";
import { articleText, commentBody, profile, slugify, tagNames } from "./content";
import {
  insertArticleTags,
  insertArticles,
  insertComments,
  insertFavorites,
  insertFollows,
  insertTags,
  insertUsers,
  type UserRow,
} from "./insert";

/** Every seeded user's password: one argon2id hash is computed and shared. */
export const SEED_PASSWORD = "password123";
export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_USERNAME = "admin";

export interface SeedOptions {
  articles: number;
  /** Faker's seed: the same seed on an empty database gives the same rows. */
  seed: number;
  /** Empty every table (and restart the id sequences) first. */
  reset: boolean;
  /** Told about each phase as it finishes. */
  onPhase?: (phase: PhaseReport) => void;
}

export interface PhaseReport {
  name: string;
  /** Rows written, for phases that write rows. */
  rows?: number;
  ms: number;
}

/** Row counts that follow from the number of articles alone. */
export interface SeedSizes {
  users: number;
  follows: number;
  tags: number;
  articles: number;
  favorites: number;
  comments: number;
}

export interface SeedCounts extends SeedSizes {
  /** One to four tags per article, so only known once drawn. */
  articleTags: number;
}

export interface SeedLogin {
  email: string;
  username: string;
  role: Role;
}

export interface SeedSummary {
  counts: SeedCounts;
  /** The admin, then a few ordinary users; all have SEED_PASSWORD. */
  logins: SeedLogin[];
}

/** The database already holds users or tags, which seeded ones could collide with. */
export class DatabaseNotEmptyError extends Error {
  constructor() {
    super("The database already has data; reset it first (--reset) to seed it.");
    this.name = "DatabaseNotEmptyError";
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

const FOLLOWS_PER_USER = 10;
const FAVORITES_PER_ARTICLE = 5;
const COMMENTS_PER_ARTICLE = 3;

// Articles carry Markdown bodies of a few kilobytes; other rows are small.
const ARTICLE_BATCH = 1_000;
const ROW_BATCH = 10_000;

// Everything is written in one transaction so that a failed run leaves nothing
// behind; Prisma's default 5 s limit on a transaction is far too short for that.
const TRANSACTION_TIMEOUT_MS = 30 * MINUTE;

export function planSizes(articles: number): SeedSizes {
  // Follows and favorites are distinct pairs drawn at random; with at least 20
  // users they take at most about half of the pairs possible, so drawing stays quick.
  const users = Math.max(20, Math.ceil(articles / 10));
  return {
    users,
    follows: users * FOLLOWS_PER_USER,
    tags: Math.min(200, Math.max(20, Math.ceil(articles / 50))),
    articles,
    favorites: articles * FAVORITES_PER_ARTICLE,
    comments: articles * COMMENTS_PER_ARTICLE,
  };
}

/** Fills the database with users, follows, tags, articles, favorites and comments. */
export async function seedDatabase(db: Database, options: SeedOptions): Promise<SeedSummary> {
  const passwordHash = await hash(SEED_PASSWORD);
  const lap = stopwatch(options.onPhase);
  const summary = await db.$transaction(
    async (tx) => {
      const seeder = new Seeder(tx, new Faker({ locale: [en, base], seed: options.seed }), lap);
      if (options.reset) await seeder.reset();
      else await seeder.assertEmpty();
      return seeder.run(planSizes(options.articles), passwordHash);
    },
    { timeout: TRANSACTION_TIMEOUT_MS },
  );
  // Fresh planner statistics, so that queries (and benchmarks) right after a
  // seed do not run on plans made for empty tables.
  await db.$executeRaw`ANALYZE users, follows, tags, articles, article_tags, favorites, comments`;
  lap("analyze");
  return summary;
}

/** Reports the time since the previous lap (or since it was created). */
function stopwatch(onPhase: SeedOptions["onPhase"]): Lap {
  let last = performance.now();
  return (name, rows) => {
    const now = performance.now();
    onPhase?.({ name, rows, ms: now - last });
    last = now;
  };
}

type Lap = (name: string, rows?: number) => void;

interface Dated {
  id: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

class Seeder {
  /** Every generated date lies before this instant. */
  private readonly now = Date.now();

  constructor(
    private readonly sql: Prisma.TransactionClient,
    private readonly faker: Faker,
    private readonly lap: Lap,
  ) {}

  async reset(): Promise<void> {
    await this.sql.$executeRaw`
      TRUNCATE users, follows, tags, articles, article_tags, favorites, comments,
        notifications, audit_log
      RESTART IDENTITY CASCADE`;
    this.lap("reset");
  }

  async assertEmpty(): Promise<void> {
    const [row] = await this.sql.$queryRaw<{ empty: boolean }[]>`
      SELECT NOT EXISTS (SELECT FROM users) AND NOT EXISTS (SELECT FROM tags) AS empty`;
    if (!row?.empty) throw new DatabaseNotEmptyError();
  }

  async run(sizes: SeedSizes, passwordHash: string): Promise<SeedSummary> {
    const { users, logins } = await this.seedUsers(sizes.users, passwordHash);
    const follows = await this.seedFollows(users, sizes.follows);
    const tagIds = await this.seedTags(sizes.tags);
    // Popular articles collect both favorites and comments.
    const popularity = this.faker.helpers.shuffle(range(sizes.articles));
    const favorites = this.drawFavorites(sizes.articles, users.length, sizes.favorites, popularity);
    const articles = await this.seedArticles(users, sizes.articles, favorites);
    const articleTags = await this.seedArticleTags(articles, tagIds);
    await this.seedFavorites(articles, users, favorites);
    const comments = await this.seedComments(articles, users, sizes.comments, popularity);
    return {
      counts: {
        users: users.length,
        follows,
        tags: tagIds.length,
        articles: articles.length,
        articleTags,
        favorites: favorites.length,
        comments,
      },
      logins,
    };
  }

  /** User 0 is the admin; users are numbered in the order they signed up. */
  private async seedUsers(
    count: number,
    passwordHash: string,
  ): Promise<{ users: Dated[]; logins: SeedLogin[] }> {
    const signups = this.sortedTimes(count, this.now - YEAR, this.now - DAY);
    const rows = signups.map((createdAt, i): UserRow => {
      const date = new Date(createdAt);
      const common = { passwordHash, createdAt: date, updatedAt: date };
      if (i === 0) {
        return {
          ...common,
          email: ADMIN_EMAIL,
          username: ADMIN_USERNAME,
          bio: "Keeps this Conduit running.",
          image: null,
          role: "ADMIN",
        };
      }
      return { ...common, ...profile(this.faker, i), role: "USER" };
    });
    const ids: number[] = [];
    for (const batch of chunks(rows, ROW_BATCH)) ids.push(...(await insertUsers(this.sql, batch)));
    this.lap("users", ids.length);
    const logins = rows.slice(0, 3).map(({ email, username, role }) => ({ email, username, role }));
    return { users: ids.map((id, i) => ({ id, createdAt: at(signups, i) })), logins };
  }

  /** A few users are followed by many; nobody follows themselves. */
  private async seedFollows(users: Dated[], count: number): Promise<number> {
    const fame = this.faker.helpers.shuffle(range(users.length));
    const pairs = distinctPairs(count, users.length, () => {
      const follower = this.faker.number.int(users.length - 1);
      let following: number;
      do following = at(fame, this.skewedIndex(users.length));
      while (following === follower);
      return [follower, following];
    });
    for (const batch of chunks(pairs, ROW_BATCH)) {
      const rows = batch.map(([f, g]) => {
        const follower = at(users, f);
        const following = at(users, g);
        return {
          followerId: follower.id,
          followingId: following.id,
          createdAt: this.dateAfter(Math.max(follower.createdAt, following.createdAt)),
        };
      });
      await insertFollows(this.sql, rows);
    }
    this.lap("follows", pairs.length);
    return pairs.length;
  }

  private async seedTags(count: number): Promise<number[]> {
    const ids = await insertTags(this.sql, tagNames(this.faker, count), new Date(this.now - YEAR));
    this.lap("tags", ids.length);
    return ids;
  }

  /** [article index, user index] pairs, drawn before the articles so they can carry their count. */
  private drawFavorites(
    articles: number,
    users: number,
    count: number,
    popularity: number[],
  ): Array<[number, number]> {
    return distinctPairs(count, users, () => [
      at(popularity, this.skewedIndex(articles)),
      this.faker.number.int(users - 1),
    ]);
  }

  /**
   * Articles by prolific authors are more common, each written after its author
   * signed up; ids follow creation time, as they would in real use.
   */
  private async seedArticles(
    users: Dated[],
    count: number,
    favorites: Array<[number, number]>,
  ): Promise<Dated[]> {
    const favoritesCount = new Array<number>(count).fill(0);
    for (const [article] of favorites) favoritesCount[article] = (favoritesCount[article] ?? 0) + 1;

    const prolific = this.faker.helpers.shuffle(range(users.length));
    const planned = range(count)
      .map(() => {
        const author = at(users, at(prolific, this.skewedIndex(users.length)));
        return { authorId: author.id, createdAt: this.between(author.createdAt, this.now - HOUR) };
      })
      .sort((a, b) => a.createdAt - b.createdAt);

    const suffixes = new Set<string>();
    const articles: Dated[] = [];
    for (const [start, batch] of indexedChunks(planned, ARTICLE_BATCH)) {
      const rows = batch.map((plan, i) => {
        const text = articleText(this.faker);
        // Edited now and then after publishing.
        const edited = this.faker.datatype.boolean(0.2);
        return {
          ...text,
          slug: `${slugify(text.title)}-${this.uniqueSuffix(suffixes)}`,
          authorId: plan.authorId,
          favoritesCount: favoritesCount[start + i] ?? 0,
          createdAt: new Date(plan.createdAt),
          updatedAt: edited ? this.dateAfter(plan.createdAt) : new Date(plan.createdAt),
        };
      });
      const ids = await insertArticles(this.sql, rows);
      ids.forEach((id, i) => articles.push({ id, createdAt: at(batch, i).createdAt }));
    }
    this.lap("articles", articles.length);
    return articles;
  }

  /** One to four tags per article; the first tags of the pool are the most used. */
  private async seedArticleTags(articles: Dated[], tagIds: number[]): Promise<number> {
    const rows = articles.flatMap((article) => {
      const tags = new Set<number>();
      const want = this.faker.number.int({ min: 1, max: 4 });
      while (tags.size < want) tags.add(at(tagIds, this.skewedIndex(tagIds.length)));
      return [...tags].map((tagId) => ({ articleId: article.id, tagId }));
    });
    for (const batch of chunks(rows, ROW_BATCH)) await insertArticleTags(this.sql, batch);
    this.lap("article tags", rows.length);
    return rows.length;
  }

  private async seedFavorites(
    articles: Dated[],
    users: Dated[],
    favorites: Array<[number, number]>,
  ): Promise<void> {
    for (const batch of chunks(favorites, ROW_BATCH)) {
      const rows = batch.map(([a, u]) => {
        const article = at(articles, a);
        const user = at(users, u);
        return {
          userId: user.id,
          articleId: article.id,
          createdAt: this.dateAfter(Math.max(article.createdAt, user.createdAt)),
        };
      });
      await insertFavorites(this.sql, rows);
    }
    this.lap("favorites", favorites.length);
  }

  /** Comments come after both their article and their author's signup. */
  private async seedComments(
    articles: Dated[],
    users: Dated[],
    count: number,
    popularity: number[],
  ): Promise<number> {
    const rows = range(count)
      .map(() => {
        const article = at(articles, at(popularity, this.skewedIndex(articles.length)));
        const author = this.faker.helpers.arrayElement(users);
        const createdAt = this.dateAfter(Math.max(article.createdAt, author.createdAt));
        return {
          body: commentBody(this.faker),
          articleId: article.id,
          authorId: author.id,
          createdAt,
          updatedAt: createdAt,
        };
      })
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    for (const batch of chunks(rows, ROW_BATCH)) await insertComments(this.sql, batch);
    this.lap("comments", rows.length);
    return rows.length;
  }

  /** An index below `n`, mostly small ones: a few items get most of the attention. */
  private skewedIndex(n: number): number {
    return Math.min(n - 1, Math.floor(n * this.faker.number.float() ** 2));
  }

  private between(from: number, to: number): number {
    return this.faker.number.int({ min: from, max: to });
  }

  /** At least a minute after `time`, and no later than now. */
  private dateAfter(time: number): Date {
    return new Date(this.between(time + MINUTE, this.now));
  }

  private sortedTimes(count: number, from: number, to: number): number[] {
    return range(count)
      .map(() => this.between(from, to))
      .sort((a, b) => a - b);
  }

  private uniqueSuffix(taken: Set<string>): string {
    let suffix: string;
    do suffix = this.faker.string.alphanumeric({ length: 6, casing: "lower" });
    while (taken.has(suffix));
    taken.add(suffix);
    return suffix;
  }
}

/**
 * `count` distinct pairs; a pair drawn twice is drawn again. `count` must stay
 * well below the number of possible pairs (planSizes sees to that).
 */
function distinctPairs(
  count: number,
  secondBound: number,
  draw: () => [number, number],
): Array<[number, number]> {
  const seen = new Set<number>();
  const pairs: Array<[number, number]> = [];
  while (pairs.length < count) {
    const pair = draw();
    const key = pair[0] * secondBound + pair[1];
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push(pair);
  }
  return pairs;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** `items[index]`, for indexes known to be in range. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new RangeError(`Index ${index} out of range`);
  return item;
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (const [, chunk] of indexedChunks(items, size)) yield chunk;
}

/** Consecutive slices of `items` with the index of their first item. */
function* indexedChunks<T>(items: T[], size: number): Generator<[number, T[]]> {
  for (let start = 0; start < items.length; start += size) {
    yield [start, items.slice(start, start + size)];
  }
}
