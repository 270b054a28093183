import type { Server, Socket } from "socket.io";
import { z } from "zod";
import type { ErrorCode } from "../../core/errors/app-error";
import type { notificationSchema } from "../notifications/notifications.schemas";
import { identifier } from "../../core/validation/text";
import { slugParams } from "../articles/articles.schemas";

/*
 * The wire contract of the live connection (docs/realtime.md): what clients
 * may send, what they get back, and what the server pushes.
 */

/** What a client sends: each event carries one object and expects an ack. */
export const clientEventSchemas = {
  "article:join": slugParams,
  "article:leave": slugParams,
  "auth:refresh": z.object({ token: identifier(4_096) }),
} as const;

export type ClientEventName = keyof typeof clientEventSchemas;

export type Ack =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; error: { code: ErrorCode; message: string; retryAfterSeconds?: number } };

/** A profile without `following`, which depends on who is looking. */
export interface LiveProfile {
  username: string;
  bio: string | null;
  image: string | null;
}

/** An article without the viewer-dependent `favorited` and `author.following`. */
export interface LiveArticleSummary {
  slug: string;
  title: string;
  description: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  favoritesCount: number;
  author: LiveProfile;
}

export interface LiveArticle extends LiveArticleSummary {
  body: string;
}

export interface LiveComment {
  id: number;
  createdAt: string;
  updatedAt: string;
  body: string;
  author: LiveProfile;
}

export interface ServerToClientEvents {
  /**
   * First event after every (re)connection. It also gives the client a
   * position in the event stream, which recovery after a drop needs.
   */
  ready: (payload: { recovered: boolean; signedIn: boolean; expiresAt: string | null }) => void;
  "notification:new": (payload: { notification: z.output<typeof notificationSchema> }) => void;
  "feed:article": (payload: { article: LiveArticleSummary }) => void;
  "comment:created": (payload: { slug: string; comment: LiveComment }) => void;
  "comment:deleted": (payload: { slug: string; commentId: number }) => void;
  "article:updated": (payload: { previousSlug: string; article: LiveArticle }) => void;
  "article:deleted": (payload: { slug: string }) => void;
  "article:favorited": (payload: { slug: string; favoritesCount: number }) => void;
  "article:unfavorited": (payload: { slug: string; favoritesCount: number }) => void;
  "presence:article": (payload: { slug: string; viewers: number }) => void;
  "auth:expired": (payload: { message: string }) => void;
  "auth:revoked": (payload: { message: string }) => void;
}

export type LiveEventName = keyof ServerToClientEvents;

/** Who the socket speaks for; kept in `socket.data`, which survives connection-state recovery. */
export interface SocketUser {
  userId: number;
  sessionId: string;
  /** Epoch milliseconds at which the access token expires. */
  expiresAt: number;
}

export interface SocketData {
  /** Null for an anonymous socket. */
  user: SocketUser | null;
  /**
   * Article rooms joined, by article id: the slugs the article has had since
   * the socket joined, the current one last (a rename adds one).
   */
  articles: Record<string, string[]>;
}

// Client events are dispatched by name at run time (see client-events.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type ClientToServerEvents = {};
/** Between instances: a renamed article, so each updates its sockets' record of the slug. */
interface InterServerEvents {
  "article:renamed": (articleId: number, slug: string) => void;
}

export type LiveServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type LiveSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/** Room names. Article rooms go by id, so a renamed article keeps its viewers. */
export const rooms = {
  user: (userId: number) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  article: (articleId: number) => `article:${articleId}`,
};

/** The article ids of the article rooms the socket is in. */
export function articleIdsOf(socket: LiveSocket): number[] {
  return [...socket.rooms]
    .filter((room) => room.startsWith("article:"))
    .map((room) => Number(room.slice("article:".length)));
}
