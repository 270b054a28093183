import { z } from "zod";
import { timestampSchema } from "../../core/openapi/operation";
import { envelopeContent } from "../../core/validation/envelope";
import { offsetPaging } from "../../core/validation/paging";
import {
  BLANK,
  identifier,
  requiredLine,
  stringType,
  TEXT_WITHOUT_CONTROLS,
} from "../../core/validation/text";
import { profileSchema } from "../profiles/profiles.schemas";

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1_000;
export const BODY_MAX = 50_000;
export const TAG_MAX = 40;
export const TAGS_PER_ARTICLE_MAX = 10;

/**
 * Markdown. These are the rules of the text itself; the article service then
 * makes its HTML and links safe (markdown.ts), which a schema cannot do
 * because that check runs in a worker thread.
 */
const markdownBody = stringType
  .normalize("NFC")
  .refine((value) => value.trim() !== "", { message: BLANK, abort: true })
  .max(BODY_MAX, `is too long (maximum is ${BODY_MAX} characters)`)
  .regex(TEXT_WITHOUT_CONTROLS, "must not contain control characters");

export const tagName = requiredLine(TAG_MAX).regex(
  /^[^,<>]*$/u,
  "must not contain commas or angle brackets",
);

/** Distinct names (duplicates are dropped before counting); the response lists them sorted. */
const tagList = z
  .array(tagName, { error: "must be an array of strings" })
  .transform((names) => [...new Set(names)])
  .pipe(
    z.array(z.string()).max(TAGS_PER_ARTICLE_MAX, `must hold at most ${TAGS_PER_ARTICLE_MAX} tags`),
  );

export const newArticleBody = z.object({
  article: envelopeContent({
    title: requiredLine(TITLE_MAX),
    description: requiredLine(DESCRIPTION_MAX),
    body: markdownBody,
    tagList: tagList.optional(),
  }),
});

/** Any subset; a missing tagList keeps the tags, `[]` clears them, `null` is refused. */
export const articleChangesBody = z.object({
  article: envelopeContent({
    title: requiredLine(TITLE_MAX).optional(),
    description: requiredLine(DESCRIPTION_MAX).optional(),
    body: markdownBody.optional(),
    tagList: tagList.optional(),
  }).refine((article) => Object.values(article).some((value) => value !== undefined), {
    message: "must change at least one of title, description, body or tagList",
  }),
});

export type NewArticleInput = z.output<typeof newArticleBody>["article"];
export type ArticleChangesInput = z.output<typeof articleChangesBody>["article"];

export const slugParams = z.object({ slug: identifier(300) });

/** An empty filter (`?tag=`, as some front ends send) means no filter. */
const filterValue = (max: number) =>
  z
    .union([z.literal(""), requiredLine(max)])
    .optional()
    .transform((value) => (value === "" ? undefined : value));

export function articleListQuery(maxPageSize: number) {
  return offsetPaging(maxPageSize).extend({
    tag: filterValue(TAG_MAX).meta({ description: "Only articles with this tag." }),
    author: filterValue(100).meta({ description: "Only articles by this username." }),
    favorited: filterValue(100).meta({
      description: "Only articles this username has favorited.",
    }),
  });
}

const articleFields = {
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  tagList: z.array(z.string()).meta({ description: "Sorted by name." }),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  favorited: z.boolean().meta({ description: "Whether the caller has favorited it." }),
  favoritesCount: z.number().int(),
  author: profileSchema,
};

export const articleSchema = z
  .object({ ...articleFields, body: z.string().meta({ description: "Markdown." }) })
  .meta({ id: "Article" });
export const articleSummarySchema = z
  .object(articleFields)
  .meta({ id: "ArticleSummary", description: "An article in a list: no body." });

export const articleResponse = z.object({ article: articleSchema }).meta({ id: "ArticleResponse" });
export const articleListResponse = z
  .object({
    articles: z.array(articleSummarySchema),
    articlesCount: z.number().int().meta({ description: "All matching articles, not this page." }),
  })
  .meta({ id: "ArticleList" });
