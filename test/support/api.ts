import { postJson, tokenHeader } from "./auth";
import type { TestService } from "./service";

/*
 * Calls to the running service's API, the bodies it answers with, and the
 * checks the tests make of its answers.
 */

export interface Profile {
  username: string;
  bio: string | null;
  image: string | null;
  following: boolean;
}

export interface Article {
  slug: string;
  title: string;
  description: string;
  body: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  favorited: boolean;
  favoritesCount: number;
  author: Profile;
}

/** The keys of an Article, sorted. */
export const ARTICLE_KEYS = [
  "author",
  "body",
  "createdAt",
  "description",
  "favorited",
  "favoritesCount",
  "slug",
  "tagList",
  "title",
  "updatedAt",
];

/** The keys of an article in a list or the feed, sorted: all but its body. */
export const ARTICLE_SUMMARY_KEYS = ARTICLE_KEYS.filter((key) => key !== "body");

/** An article as lists and the feed show it: without its body. */
export type ArticleSummary = Omit<Article, "body">;

export interface ArticlePage {
  articles: ArticleSummary[];
  articlesCount: number;
}

/** A list with nothing in it: no articles and a count of 0. */
export const NO_ARTICLES: ArticlePage = { articles: [], articlesCount: 0 };

export interface Comment {
  id: number;
  createdAt: string;
  updatedAt: string;
  body: string;
  author: Profile;
}

export interface AuditEntry {
  id: number;
  action: string;
  actor: string | null;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  entriesCount: number;
}

/** The RealWorld error envelope. */
export interface ErrorBody {
  errors: Record<string, string[]>;
  code: string;
  requestId: string;
}

/** The service's URL of an API path: `/articles` is `<service>/api/articles`. */
export function apiUrl(service: TestService, path: string): string {
  return `${service.url}/api${path}`;
}

/** The Authorization header carrying `token`, or no header for an anonymous call. */
export function auth(token?: string): Record<string, string> {
  return token === undefined ? {} : tokenHeader(token);
}

/** POST /api/articles with `{ article }`. */
export function postArticle(
  service: TestService,
  token: string | undefined,
  article: unknown,
): Promise<Response> {
  return postJson(apiUrl(service, "/articles"), { article }, auth(token));
}

/** Publishes through the API (201 expected) and returns the article as its author sees it. */
export async function publishArticle(
  service: TestService,
  token: string,
  article: unknown,
): Promise<Article> {
  const response = await postArticle(service, token, article);
  return (await jsonWithContentType<{ article: Article }>(response, 201)).article;
}

/** PUT /api/articles/:slug with `{ article: changes }`. */
export function updateArticle(
  service: TestService,
  token: string | undefined,
  slug: string,
  changes: Record<string, unknown>,
): Promise<Response> {
  return postJson(apiUrl(service, `/articles/${slug}`), { article: changes }, auth(token), "PUT");
}

/** DELETE /api/articles/:slug. */
export function deleteArticle(
  service: TestService,
  token: string | undefined,
  slug: string,
): Promise<Response> {
  return fetch(apiUrl(service, `/articles/${slug}`), { method: "DELETE", headers: auth(token) });
}

/** POST /api/articles/:slug/comments with a comment of this body. */
export function postComment(
  service: TestService,
  token: string | undefined,
  slug: string,
  body: string,
): Promise<Response> {
  return postJson(
    apiUrl(service, `/articles/${slug}/comments`),
    { comment: { body } },
    auth(token),
  );
}

/** DELETE /api/articles/:slug/comments/:id. */
export function deleteComment(
  service: TestService,
  token: string | undefined,
  slug: string,
  id: number | string,
): Promise<Response> {
  return fetch(apiUrl(service, `/articles/${slug}/comments/${id}`), {
    method: "DELETE",
    headers: auth(token),
  });
}

/** Comments through the API (201 expected) and returns the comment. */
export async function publishComment(
  service: TestService,
  token: string,
  slug: string,
  body: string,
): Promise<Comment> {
  const response = await postComment(service, token, slug, body);
  return (await json<{ comment: Comment }>(response, 201)).comment;
}

/** POST /api/articles/:slug/favorite. */
export function favoriteArticle(
  service: TestService,
  token: string | undefined,
  slug: string,
): Promise<Response> {
  return fetch(apiUrl(service, `/articles/${slug}/favorite`), {
    method: "POST",
    headers: auth(token),
  });
}

/** DELETE /api/articles/:slug/favorite. */
export function unfavoriteArticle(
  service: TestService,
  token: string | undefined,
  slug: string,
): Promise<Response> {
  return fetch(apiUrl(service, `/articles/${slug}/favorite`), {
    method: "DELETE",
    headers: auth(token),
  });
}

/** POST /api/profiles/:username/follow (the username URL-encoded). */
export function followUser(
  service: TestService,
  token: string | undefined,
  username: string,
): Promise<Response> {
  return fetch(apiUrl(service, `/profiles/${encodeURIComponent(username)}/follow`), {
    method: "POST",
    headers: auth(token),
  });
}

/** DELETE /api/profiles/:username/follow (the username URL-encoded). */
export function unfollowUser(
  service: TestService,
  token: string | undefined,
  username: string,
): Promise<Response> {
  return fetch(apiUrl(service, `/profiles/${encodeURIComponent(username)}/follow`), {
    method: "DELETE",
    headers: auth(token),
  });
}

/** The text of an answer that must have `status`; any other fails, showing what the server said. */
async function textOf(response: Response, status: number): Promise<string> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  }
  return text;
}

/** The parsed body of an answer that must have `status`. */
export async function json<T>(response: Response, status = 200): Promise<T> {
  return JSON.parse(await textOf(response, status)) as T;
}

/** As `json`, and the answer must also say it is JSON. */
export async function jsonWithContentType<T>(response: Response, status = 200): Promise<T> {
  const text = await textOf(response, status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

/**
 * The answer has this status; a failure shows the text the server sent with it.
 * Returns that text.
 */
export async function expectStatus(response: Response, status: number): Promise<string> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  return text;
}

/** An error answer: this status, and exactly these errors when given. */
export async function expectError(
  response: Response,
  status: number,
  errors?: Record<string, string[]>,
): Promise<void> {
  const text = await expectStatus(response, status);
  if (errors !== undefined) {
    expect((JSON.parse(text) as { errors: unknown }).errors).toEqual(errors);
  }
}

/**
 * The RealWorld error envelope with this status, its code and the request's id,
 * and exactly these errors when given. Returns the envelope.
 */
export async function expectErrorWithCode(
  response: Response,
  status: number,
  code: string,
  errors?: Record<string, string[]>,
): Promise<ErrorBody> {
  const body = JSON.parse(await expectStatus(response, status)) as ErrorBody;
  expect(body).toMatchObject({ code, requestId: response.headers.get("x-request-id") });
  if (errors !== undefined) expect(body.errors).toEqual(errors);
  return body;
}
