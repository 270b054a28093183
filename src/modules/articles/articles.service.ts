import type { Database } from "../../core/database/prisma";
import { inTransaction, isUniqueViolation, type Transaction } from "../../core/database/repository";
import {
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from "../../core/errors/app-error";
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
import { type ArticleChangesInput, BODY_MAX, type NewArticleInput } from "./articles.schemas";
import type { MarkdownSafety } from "./markdown-safety";
import { slugBase, suffixedSlug } from "./slug";

/** `/api/articles/feed` is the feed, so no article may have the slug "feed". */
const RESERVED_SLUGS = new Set(["feed"]);

/** A collision on the slug is retried with a new random suffix this many times. */
const SLUG_ATTEMPTS = 5;

interface ArticlesServiceDeps {
  db: Database;
  articles: ArticlesRepository;
  tags: TagsService;
  moderation: ModerationService;
  markdown: MarkdownSafety;
  events: DomainEvents;
}

const BODY_PROBLEMS = {
  "unsafe-link": "may only link to http, https or mailto addresses, or relative ones",
  unsettled: "holds HTML that could not be escaped safely",
  "too-complex": "is too complex to check; nest lists, quotes or emphasis less deeply",
} as const;

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
    return this.found(await this.deps.articles.find({ slug }, viewerId));
  }

  /** By id, for readers that hold an id whose slug may have changed since (live events). */
  async getById(id: number, viewerId?: number): Promise<ArticleRecord> {
    return this.found(await this.deps.articles.find({ id }, viewerId));
  }

  /**
   * The article as a write's own transaction sees it, for the write's answer:
   * an answer read after the commit could fail although the write is done.
   */
  async readInTransaction(tx: Transaction, id: number, viewerId: number): Promise<ArticleRecord> {
    return this.found(await this.deps.articles.find({ id }, viewerId, tx));
  }

  /** Which of these articles still exist. */
  existingIds(ids: number[]): Promise<number[]> {
    return this.deps.articles.existingIds(ids);
  }

  /** The article's identity and owner; 404 when there is no such article. */
  async ref(slug: string): Promise<ArticleRef> {
    const article = await this.deps.articles.findRefBySlug(slug);
    if (article === null) throw new NotFoundError("article");
    return { id: article.id, slug: article.slug, authorId: article.authorId };
  }

  async create(author: Actor, input: NewArticleInput): Promise<ArticleRecord> {
    const { db, articles, tags, events } = this.deps;
    const body = await this.safeBody(input.body);
    const base = slugBase(input.title);
    const article = await this.withUniqueSlug(await this.freeSlug(base), base, (slug) =>
      inTransaction(db, async (tx) =>
        articles.create(tx, {
          slug,
          title: input.title,
          description: input.description,
          body,
          authorId: author.id,
          tagIds: await tags.idsFor(tx, input.tagList ?? []),
        }),
      ),
    );
    events.publish({
      type: "article.created",
      article: { id: article.id, slug: article.slug, authorId: author.id },
    });
    return article;
  }

  /**
   * Applies a partial change. A new title gives a new slug; `tagList` replaces
   * the tags when present. What changes is decided from the row as locked, so
   * concurrent updates take turns and none undoes another's new slug.
   * `updatedAt` always moves forward, even within the millisecond of the
   * previous change. An admin editing someone else's article is audited.
   */
  async update(actor: Actor, slug: string, changes: ArticleChangesInput): Promise<ArticleRecord> {
    const { db, articles, tags, moderation, events } = this.deps;
    const current = await articles.findRefBySlug(slug);
    if (current === null) throw new NotFoundError("article");
    if (!can(actor, "article:update", { ownerId: current.authorId })) {
      throw new ForbiddenError("article");
    }
    const { tagList, body, ...rest } = changes;
    const fields = { ...rest, ...(body === undefined ? {} : { body: await this.safeBody(body) }) };
    const base = fields.title === undefined ? current.slug : slugBase(fields.title);
    // Probed before the transaction; used only if the locked row's title differs.
    const candidate = fields.title === undefined ? current.slug : await this.freeSlug(base);

    const { article, previousSlug } = await this.withUniqueSlug(candidate, base, (newSlug) =>
      inTransaction(db, async (tx) => {
        const locked = await articles.lockForUpdate(tx, current.id);
        if (locked === null) throw new NotFoundError("article");
        const reslug =
          fields.title !== undefined && fields.title !== locked.title && base !== locked.slug;
        const updated = await articles.update(
          tx,
          current.id,
          {
            ...fields,
            ...(reslug ? { slug: newSlug } : {}),
            updatedAt: new Date(Math.max(Date.now(), locked.updatedAt.getTime() + 1)),
            tagIds: tagList === undefined ? undefined : await tags.idsFor(tx, tagList),
          },
          actor.id,
        );
        await moderation.record(tx, actor, "update", {
          type: "article",
          id: current.id,
          ownerId: current.authorId,
          details: {
            slug: updated.slug,
            previousSlug: locked.slug,
            title: fields.title ?? locked.title,
          },
        });
        return { article: updated, previousSlug: locked.slug };
      }),
    );
    events.publish({
      type: "article.updated",
      article: { id: article.id, slug: article.slug, authorId: current.authorId },
      previousSlug,
    });
    return article;
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

  /**
   * The body as it will be stored: raw HTML escaped, links checked. The length
   * cap holds for the stored form too, so a body read back can be sent again.
   */
  private async safeBody(markdown: string): Promise<string> {
    const verdict = await this.deps.markdown.check(markdown);
    if (!verdict.ok && verdict.problem === "busy") {
      throw new ServiceUnavailableError({
        body: ["cannot be checked right now, try again shortly"],
      });
    }
    if (!verdict.ok) throw new ValidationError({ body: [BODY_PROBLEMS[verdict.problem]] });
    if (verdict.markdown.length > BODY_MAX) {
      throw new ValidationError({
        body: [`is too long once its HTML is escaped (maximum is ${BODY_MAX} characters)`],
      });
    }
    return verdict.markdown;
  }

  /** The plain slug if no article has it and no route needs it, else one with a random suffix. */
  private async freeSlug(base: string): Promise<string> {
    const taken = RESERVED_SLUGS.has(base) || (await this.deps.articles.slugTaken(base));
    return taken ? suffixedSlug(base) : base;
  }

  private found(article: ArticleRecord | null): ArticleRecord {
    if (article === null) throw new NotFoundError("article");
    return article;
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
