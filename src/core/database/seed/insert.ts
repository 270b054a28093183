import type { Prisma, Role } from "../../../generated/prisma/client";

// Bulk inserts: one statement per batch, each column passed as a single array
// parameter and spread back into rows by unnest(). That is several times faster
// than createMany, whose statement carries one parameter per value, and has no
// limit on the number of rows per statement.

type Sql = Prisma.TransactionClient;

export interface UserRow {
  email: string;
  username: string;
  passwordHash: string;
  bio: string | null;
  image: string | null;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

export interface FollowRow {
  followerId: number;
  followingId: number;
  createdAt: Date;
}

export interface ArticleRow {
  slug: string;
  title: string;
  description: string;
  body: string;
  authorId: number;
  favoritesCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ArticleTagRow {
  articleId: number;
  tagId: number;
}

export interface FavoriteRow {
  userId: number;
  articleId: number;
  createdAt: Date;
}

export interface CommentRow {
  body: string;
  articleId: number;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
}

interface Keyed {
  id: number;
  key: string;
}

/**
 * The ids of inserted rows in the order of `keys`. Matched by a unique key
 * because SQL does not promise that RETURNING follows the input order.
 */
function idsInOrder(keys: string[], returned: Keyed[]): number[] {
  const byKey = new Map(returned.map((row) => [row.key, row.id]));
  return keys.map((key) => {
    const id = byKey.get(key);
    if (id === undefined) throw new Error(`Inserted row "${key}" was not returned`);
    return id;
  });
}

/** Returns the new users' ids, in the order of `rows`. */
export async function insertUsers(sql: Sql, rows: UserRow[]): Promise<number[]> {
  const emails = rows.map((r) => r.email);
  const returned = await sql.$queryRaw<Keyed[]>`
    INSERT INTO users (email, username, password_hash, bio, image, role, created_at, updated_at)
    SELECT * FROM unnest(
      ${emails}::text[],
      ${rows.map((r) => r.username)}::text[],
      ${rows.map((r) => r.passwordHash)}::text[],
      ${rows.map((r) => r.bio)}::text[],
      ${rows.map((r) => r.image)}::text[],
      ${rows.map((r) => r.role)}::"Role"[],
      ${rows.map((r) => r.createdAt)}::timestamptz[],
      ${rows.map((r) => r.updatedAt)}::timestamptz[]
    )
    RETURNING id, email::text AS key`;
  return idsInOrder(emails, returned);
}

export async function insertFollows(sql: Sql, rows: FollowRow[]): Promise<void> {
  await sql.$executeRaw`
    INSERT INTO follows (follower_id, following_id, created_at)
    SELECT * FROM unnest(
      ${rows.map((r) => r.followerId)}::int[],
      ${rows.map((r) => r.followingId)}::int[],
      ${rows.map((r) => r.createdAt)}::timestamptz[]
    )`;
}

/** Returns the new tags' ids, in the order of `names`. */
export async function insertTags(sql: Sql, names: string[], createdAt: Date): Promise<number[]> {
  const returned = await sql.$queryRaw<Keyed[]>`
    INSERT INTO tags (name, created_at)
    SELECT name, ${createdAt}::timestamptz FROM unnest(${names}::text[]) AS t(name)
    RETURNING id, name AS key`;
  return idsInOrder(names, returned);
}

/** Returns the new articles' ids, in the order of `rows`. */
export async function insertArticles(sql: Sql, rows: ArticleRow[]): Promise<number[]> {
  const slugs = rows.map((r) => r.slug);
  const returned = await sql.$queryRaw<Keyed[]>`
    INSERT INTO articles
      (slug, title, description, body, author_id, favorites_count, created_at, updated_at)
    SELECT * FROM unnest(
      ${slugs}::text[],
      ${rows.map((r) => r.title)}::text[],
      ${rows.map((r) => r.description)}::text[],
      ${rows.map((r) => r.body)}::text[],
      ${rows.map((r) => r.authorId)}::int[],
      ${rows.map((r) => r.favoritesCount)}::int[],
      ${rows.map((r) => r.createdAt)}::timestamptz[],
      ${rows.map((r) => r.updatedAt)}::timestamptz[]
    )
    RETURNING id, slug AS key`;
  return idsInOrder(slugs, returned);
}

export async function insertArticleTags(sql: Sql, rows: ArticleTagRow[]): Promise<void> {
  await sql.$executeRaw`
    INSERT INTO article_tags (article_id, tag_id)
    SELECT * FROM unnest(
      ${rows.map((r) => r.articleId)}::int[],
      ${rows.map((r) => r.tagId)}::int[]
    )`;
}

export async function insertFavorites(sql: Sql, rows: FavoriteRow[]): Promise<void> {
  await sql.$executeRaw`
    INSERT INTO favorites (user_id, article_id, created_at)
    SELECT * FROM unnest(
      ${rows.map((r) => r.userId)}::int[],
      ${rows.map((r) => r.articleId)}::int[],
      ${rows.map((r) => r.createdAt)}::timestamptz[]
    )`;
}

export async function insertComments(sql: Sql, rows: CommentRow[]): Promise<void> {
  await sql.$executeRaw`
    INSERT INTO comments (body, article_id, author_id, created_at, updated_at)
    SELECT * FROM unnest(
      ${rows.map((r) => r.body)}::text[],
      ${rows.map((r) => r.articleId)}::int[],
      ${rows.map((r) => r.authorId)}::int[],
      ${rows.map((r) => r.createdAt)}::timestamptz[],
      ${rows.map((r) => r.updatedAt)}::timestamptz[]
    )`;
}
