import type { Database } from "../../core/database/prisma";
import { inTransaction, isUniqueViolation } from "../../core/database/repository";
import { ForbiddenError, NotFoundError } from "../../core/errors/app-error";
import type { ArticleRef, DomainEvents } from "../../core/events/domain-events";
import type { OffsetPage } from "../../core/validation/paging";
import { type Actor, can } from "../auth/permissions";
import type { ModerationService } from "../moderation/moderation.service";
import type { TagsService } from "../tags/tags.service";
import type {
  ArticleFilter,
  ArticleRecord,
  ArticlesRepository,
  ArticleSummary,
} from "./articles.repository";
import type { ArticleChangesInput, NewArticleInput } from "./articles.schemas";
import { slugBase, suffixedSlug } from "./slug";

/** A collision on the slug is retried with a new random suffix this many times. */
const SLUG_ATTEMPTS = 5;

interface ArticlesServiceDeps {
  db: Database;
  articles: ArticlesRepository;
  tags: TagsService;
  moderation: ModerationService;
  events: DomainEvents;
}

export interface ArticlePage {
  articles: ArticleSummary[];
  total: number;
}

/**
 * Articles: lists, the feed, and writing them. Slugs come from titles and stay
 * unique under concurrency; only the author (or an admin) may edit, and the
 * author, a moderator or an admin may delete.
 */
export class ArticlesService {
  constructor(private readonly deps: ArticlesServiceDeps) {}

  list(filter: ArticleFilter, page: OffsetPage, viewerId?: number): Promise<ArticlePage> {
    return this.deps.articles.list(filter, page, viewerId);
  }

  feed(viewerId: number, page: OffsetPage): Promise<ArticlePage> {
    return this.deps.articles.listFeed(viewerId, page);
  }

  async get(slug: string, viewerId?: number): Promise<ArticleRecord> {
    const article = await this.deps.articles.findBySlug(slug, viewerId);
    if (article === null) throw new NotFoundError("article");
    return article;
  }

  /** The article's identity and owner; 404 when there is no such article. */
  async ref(slug: string): Promise<ArticleRef> {
    const article = await this.deps.articles.findRefBySlug(slug);
    if (article === null) throw new NotFoundError("article");
    return { id: article.id, slug: article.slug, authorId: article.authorId };
  }

  async create(author: Actor, input: NewArticleInput): Promise<ArticleRecord> {
    const { db, articles, tags, events } = this.deps;
    const base = slugBase(input.title);
    const article = await this.withUniqueSlug(await this.freeSlug(base), base, (slug) =>
      inTransaction(db, async (tx) =>
        articles.create(tx, {
          slug,
          title: input.title,
          description: input.description,
          body: input.body,
          authorId: author.id,
          tagIds: await tags.idsFor(tx, input.tagList ?? []),
        }),
      ),
    );
    events.publish({ type: "article.created", article });
    return this.get(article.slug, author.id);
  }

  /**
   * Applies a partial change. A new title gives a new slug; `tagList` replaces
   * the tags when present. An admin editing someone else's article is audited. `updatedAt` always moves forward, even within the
   * same millisecond as the previous change.
   */
  async update(actor: Actor, slug: string, changes: ArticleChangesInput): Promise<ArticleRecord> {
    const { db, articles, tags, moderation, events } = this.deps;
    const current = await articles.findRefBySlug(slug);
    if (current === null) throw new NotFoundError("article");
    if (!can(actor, "article:update", { ownerId: current.authorId })) {
      throw new ForbiddenError("article");
    }
    const { tagList, ...fields } = changes;
    const base = fields.title === undefined ? current.slug : slugBase(fields.title);
    const retitled = fields.title !== undefined && fields.title !== current.title;
    const firstSlug = retitled && base !== current.slug ? await this.freeSlug(base) : current.slug;
    const updatedAt = new Date(Math.max(Date.now(), current.updatedAt.getTime() + 1));

    const article = await this.withUniqueSlug(firstSlug, base, (newSlug) =>
      inTransaction(db, async (tx) => {
        const updated = await articles.update(tx, current.id, {
          ...fields,
          slug: newSlug,
          updatedAt,
          tagIds: tagList === undefined ? undefined : await tags.idsFor(tx, tagList),
        });
        await moderation.record(tx, actor, "update", {
          type: "article",
          id: current.id,
          ownerId: current.authorId,
          details: {
            slug: newSlug,
            previousSlug: current.slug,
            title: fields.title ?? current.title,
          },
        });
        return updated;
      }),
    );
    events.publish({ type: "article.updated", article, previousSlug: current.slug });
    return this.get(article.slug, actor.id);
  }

  /** Deleting someone else's article is moderation and is audited in the same transaction. */
  async delete(actor: Actor, slug: string): Promise<void> {
    const { db, articles, moderation, events } = this.deps;
    const current = await articles.findRefBySlug(slug);
    if (current === null) throw new NotFoundError("article");
    if (!can(actor, "article:delete", { ownerId: current.authorId })) {
      throw new ForbiddenError("article");
    }
    await inTransaction(db, async (tx) => {
      await articles.delete(tx, current.id);
      await moderation.record(tx, actor, "delete", {
        type: "article",
        id: current.id,
        ownerId: current.authorId,
        details: { slug: current.slug, title: current.title },
      });
    });
    const article = { id: current.id, slug: current.slug, authorId: current.authorId };
    events.publish({ type: "article.deleted", article, deletedBy: actor.id });
  }

  /** The plain slug if no article has it yet, else one with a random suffix. */
  private async freeSlug(base: string): Promise<string> {
    return (await this.deps.articles.slugTaken(base)) ? suffixedSlug(base) : base;
  }

  /**
   * Runs `write` with `slug`; if another write took that slug meanwhile, runs it
   * again with `base` and a fresh random suffix.
   */
  private async withUniqueSlug<T>(
    slug: string,
    base: string,
    write: (slug: string) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(attempt === 1 ? slug : suffixedSlug(base));
      } catch (error) {
        if (attempt >= SLUG_ATTEMPTS || !isUniqueViolation(error, "slug")) throw error;
      }
    }
  }
}
