import { Repository, type Transaction } from "../../core/database/repository";
import type { ArticleRef } from "../../core/events/domain-events";
import type { OffsetPage } from "../../core/validation/paging";
import type { Prisma } from "../../generated/prisma/client";
import { type ProfileRecord, profileSelect, toProfileRecord } from "../profiles/profile.record";

/** An article as one viewer sees it. */
export interface ArticleRecord {
  id: number;
  slug: string;
  title: string;
  description: string;
  body: string;
  tagList: string[];
  createdAt: Date;
  updatedAt: Date;
  favorited: boolean;
  favoritesCount: number;
  author: ProfileRecord;
}

/** An article in a list: everything but the body. */
export type ArticleSummary = Omit<ArticleRecord, "body">;

export interface ArticleFilter {
  tag?: string;
  /** Username of the author. */
  author?: string;
  /** Username of someone who favorited it. */
  favorited?: string;
}

export interface NewArticle {
  slug: string;
  title: string;
  description: string;
  body: string;
  authorId: number;
  tagIds: number[];
}

export interface ArticleChanges {
  slug?: string;
  title?: string;
  description?: string;
  body?: string;
  updatedAt: Date;
  /** Replaces the tags when given. */
  tagIds?: number[];
}

/** Newest first; the id breaks ties between articles created in the same millisecond. */
const NEWEST_FIRST = [
  { createdAt: "desc" },
  { id: "desc" },
] satisfies Prisma.ArticleOrderByWithRelationInput[];

/**
 * Loads an article with its author, tags and the viewer's favorite and follow.
 * Prisma batches each relation for a whole page, so a page costs the same few
 * queries whatever it holds.
 */
function articleSelect(viewerId: number | undefined) {
  return {
    id: true,
    slug: true,
    title: true,
    description: true,
    createdAt: true,
    updatedAt: true,
    favoritesCount: true,
    author: { select: profileSelect(viewerId) },
    tags: { select: { tag: { select: { name: true } } }, orderBy: { tag: { name: "asc" } } },
    favorites:
      viewerId === undefined ? false : { where: { userId: viewerId }, select: { userId: true } },
  } satisfies Prisma.ArticleSelect;
}

/** The whole article, body included, as `viewerId` sees it. */
function articleWithBodySelect(viewerId: number | undefined) {
  return { ...articleSelect(viewerId), body: true } satisfies Prisma.ArticleSelect;
}

type SummaryRow = Prisma.ArticleGetPayload<{ select: ReturnType<typeof articleSelect> }>;
type RecordRow = Prisma.ArticleGetPayload<{ select: ReturnType<typeof articleWithBodySelect> }>;

function toSummary({ tags, favorites, author, ...article }: SummaryRow): ArticleSummary {
  return {
    ...article,
    tagList: tags.map((link) => link.tag.name),
    favorited: (favorites?.length ?? 0) > 0,
    author: toProfileRecord(author),
  };
}

function toRecord(row: RecordRow): ArticleRecord {
  return { ...toSummary(row), body: row.body };
}

export class ArticlesRepository extends Repository {
  async list(
    filter: ArticleFilter,
    page: OffsetPage,
    viewerId?: number,
  ): Promise<{ articles: ArticleSummary[]; total: number }> {
    return this.listWhere(whereFilter(filter), page, viewerId);
  }

  /** Articles by the authors `viewerId` follows. */
  async listFeed(
    viewerId: number,
    page: OffsetPage,
  ): Promise<{ articles: ArticleSummary[]; total: number }> {
    return this.listWhere(
      { author: { followers: { some: { followerId: viewerId } } } },
      page,
      viewerId,
    );
  }

  /**
   * By slug, or by id (whose slug may change meanwhile). Inside a write's
   * transaction when `tx` is given, so the write can answer with what it
   * wrote without another round trip after its commit.
   */
  async find(
    where: { slug: string } | { id: number },
    viewerId?: number,
    tx: Transaction = this.db,
  ): Promise<ArticleRecord | null> {
    const row = await tx.article.findUnique({ where, select: articleWithBodySelect(viewerId) });
    return row === null ? null : toRecord(row);
  }

  /** Which of these articles still exist. */
  async existingIds(ids: number[]): Promise<number[]> {
    const rows = await this.db.article.findMany({
      where: { id: { in: ids } },
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  /** The article's identity and owner, for permission checks and events. */
  findRefBySlug(slug: string): Promise<(ArticleRef & { title: string }) | null> {
    return this.db.article.findUnique({
      where: { slug },
      select: { id: true, slug: true, authorId: true, title: true },
    });
  }

  /**
   * Locks the article's row until the transaction ends, so concurrent updates
   * take turns, and returns what an update decides from; null when it is gone.
   */
  async lockForUpdate(
    tx: Transaction,
    id: number,
  ): Promise<{ slug: string; title: string; updatedAt: Date } | null> {
    const rows = await tx.$queryRaw<{ slug: string; title: string; updated_at: Date }[]>`
      SELECT slug, title, updated_at FROM articles WHERE id = ${id} FOR UPDATE`;
    const row = rows[0];
    return row === undefined
      ? null
      : { slug: row.slug, title: row.title, updatedAt: row.updated_at };
  }

  async slugTaken(slug: string): Promise<boolean> {
    return (await this.db.article.count({ where: { slug } })) > 0;
  }

  /** The new article as its author sees it, read in the transaction that wrote it. */
  async create(tx: Transaction, article: NewArticle): Promise<ArticleRecord> {
    const { tagIds, ...fields } = article;
    const row = await tx.article.create({
      data: { ...fields, tags: { create: tagIds.map((tagId) => ({ tagId })) } },
      select: articleWithBodySelect(article.authorId),
    });
    return toRecord(row);
  }

  /** The changed article as `viewerId` sees it, read in the transaction that changed it. */
  async update(
    tx: Transaction,
    id: number,
    changes: ArticleChanges,
    viewerId: number,
  ): Promise<ArticleRecord> {
    const { tagIds, ...fields } = changes;
    const row = await tx.article.update({
      where: { id },
      data: {
        ...fields,
        ...(tagIds === undefined
          ? {}
          : { tags: { deleteMany: {}, create: tagIds.map((tagId) => ({ tagId })) } }),
      },
      select: articleWithBodySelect(viewerId),
    });
    return toRecord(row);
  }

  /** Its comments, favorites, tag links and notifications go with it (foreign-key cascades). */
  async delete(tx: Transaction, id: number): Promise<void> {
    await tx.article.delete({ where: { id } });
  }

  private async listWhere(
    where: Prisma.ArticleWhereInput,
    page: OffsetPage,
    viewerId: number | undefined,
  ): Promise<{ articles: ArticleSummary[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.db.article.findMany({
        where,
        orderBy: NEWEST_FIRST,
        ...this.pageArgs(page),
        select: articleSelect(viewerId),
      }),
      this.db.article.count({ where }),
    ]);
    return { articles: rows.map(toSummary), total };
  }
}

function whereFilter({ tag, author, favorited }: ArticleFilter): Prisma.ArticleWhereInput {
  return {
    ...(tag === undefined ? {} : { tags: { some: { tag: { name: tag } } } }),
    ...(author === undefined ? {} : { author: { username: author } }),
    ...(favorited === undefined ? {} : { favorites: { some: { user: { username: favorited } } } }),
  };
}
