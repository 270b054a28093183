import type { ExtendedError } from "socket.io";
import type { AppError } from "../../core/errors/app-error";
import { ForbiddenError } from "../../core/errors/app-error";
import { toAppError } from "../../core/errors/to-app-error";
import type { Logger } from "../../core/logging/logger";
import type { Metrics } from "../../core/metrics/metrics";
import type { Redis } from "../../core/redis/redis";
import { AuthenticationError, type Authenticator } from "../auth/authenticator";
import { type SessionsEnded, sessionsEndedChannel } from "../auth/session-store";
import { unusableToken } from "../auth/token-problems";
import { type LiveServer, type LiveSocket, rooms, type SocketUser } from "./realtime.protocol";
import { logRefusal, refusalData } from "./refusal";

interface SocketSessionsDeps {
  io: LiveServer;
  authenticator: Authenticator;
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  /** How often every signed-in socket's session is checked again, as a backstop to announcements. */
  sweepIntervalMs: number;
}

export type DropReason = "revoked" | "expired";

/** The longest delay a Node.js timer keeps (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

const DROP_MESSAGES: Record<DropReason, string> = {
  revoked: "the session has ended; sign in again and reconnect",
  expired:
    "the access token has expired; refresh it and reconnect, or send auth:refresh before it expires",
};

/**
 * Who each socket speaks for, for as long as that holds. The handshake checks
 * the access token as REST does (signature, expiry, live session); a signed-in
 * socket is dropped when its token expires unless renewed with `auth:refresh`,
 * and at once when its session ends, on whichever instance it is connected to.
 */
export class SocketSessions {
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private subscriber: Redis | undefined;
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SocketSessionsDeps) {}

  /**
   * The handshake middleware. No token means an anonymous socket; a token that
   * cannot be used refuses the connection with `connect_error` (`err.data.code`).
   */
  readonly handshake = async (
    socket: LiveSocket,
    next: (error?: ExtendedError) => void,
  ): Promise<void> => {
    // A recovered socket brings its rooms back; a new one starts with none.
    socket.data.articles ??= {};
    const token: unknown = (socket.handshake.auth as Record<string, unknown>).token;
    if (token === undefined || token === null) {
      socket.data.user = null;
      next();
      return;
    }
    try {
      socket.data.user = await this.userFor(token);
      next();
    } catch (error) {
      next(this.connectError(error));
    }
  };

  /** Once connected: the socket's own rooms, and its expiry. */
  connected(socket: LiveSocket): void {
    this.syncIdentityRooms(socket);
    this.scheduleExpiry(socket);
    socket.on("disconnect", () => this.clearExpiry(socket));
  }

  /** `auth:refresh`: a new access token for the same user keeps the socket signed in. */
  async renew(socket: LiveSocket, token: string): Promise<{ expiresAt: string }> {
    const current = socket.data.user;
    if (current === null) {
      throw new ForbiddenError("socket", "is anonymous; reconnect with a token to sign in");
    }
    const user = await this.userFor(token);
    if (!socket.connected) throw new ForbiddenError("socket", "has disconnected");
    if (user.userId !== current.userId) {
      throw new ForbiddenError("token", "belongs to another user; reconnect to switch users");
    }
    socket.data.user = user;
    this.syncIdentityRooms(socket);
    this.scheduleExpiry(socket);
    return { expiresAt: new Date(user.expiresAt).toISOString() };
  }

  /**
   * Whether a signed-in socket's session is still live; anonymous sockets
   * always are. `use`: the client did something, which keeps its session from
   * going idle as a REST request does.
   */
  async stillValid(socket: LiveSocket, options: { use: boolean }): Promise<boolean> {
    const { user } = socket.data;
    return user === null || (await this.deps.authenticator.isActive(user, options));
  }

  /** Tells the client why, then disconnects it (the client does not reconnect on its own). */
  drop(socket: LiveSocket, reason: DropReason): void {
    if (!socket.connected) return;
    // Straight to this socket: with recovery on, a plain emit is first written
    // to the Redis stream and would arrive after the disconnect below.
    this.deps.io.local.to(socket.id).emit(reason === "revoked" ? "auth:revoked" : "auth:expired", {
      message: DROP_MESSAGES[reason],
    });
    socket.disconnect();
    this.deps.metrics.socketsDropped.inc({ reason });
  }

  /**
   * Listens for ended sessions and starts the periodic check. The subscription
   * waits for Redis rather than failing, so an instance can start while Redis
   * is away (readiness reports it) and listens as soon as Redis is back.
   */
  start(): void {
    const { redis, logger, sweepIntervalMs } = this.deps;
    const subscriber = redis.duplicate({ maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on("error", () => undefined); // The main client already logs outages.
    subscriber.on("message", (_channel: string, message: string) => this.onSessionsEnded(message));
    subscriber
      .subscribe(sessionsEndedChannel(redis.options.keyPrefix ?? ""))
      .catch((error: unknown) =>
        logger.error({ err: error }, "cannot listen for ended sessions; relying on the sweep"),
      );
    this.sweep = setInterval(() => {
      this.sweepLocalSockets().catch((error: unknown) =>
        logger.warn({ err: error }, "checking live sockets' sessions failed"),
      );
    }, sweepIntervalMs);
    this.sweep.unref();
  }

  close(): void {
    clearInterval(this.sweep);
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    this.subscriber?.disconnect();
  }

  private async userFor(token: unknown): Promise<SocketUser> {
    if (typeof token !== "string" || token === "") throw unusableToken("invalid");
    try {
      const principal = await this.deps.authenticator.fromToken(token);
      return {
        userId: principal.userId,
        sessionId: principal.sessionId,
        expiresAt: principal.expiresAt.getTime(),
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw unusableToken(error.problem);
      throw error;
    }
  }

  private connectError(error: unknown): ExtendedError {
    const appError: AppError = toAppError(error);
    logRefusal(this.deps.logger, error, appError, "socket handshake failed");
    const refusal: ExtendedError = new Error(appError.message);
    refusal.data = refusalData(appError);
    return refusal;
  }

  /** The socket is in its user's and session's rooms and no one else's. */
  private syncIdentityRooms(socket: LiveSocket): void {
    const { user } = socket.data;
    const own = user === null ? [] : [rooms.user(user.userId), rooms.session(user.sessionId)];
    for (const room of socket.rooms) {
      const identityRoom = room.startsWith("user:") || room.startsWith("session:");
      if (identityRoom && !own.includes(room)) void socket.leave(room);
    }
    if (own.length > 0) void socket.join(own);
  }

  private scheduleExpiry(socket: LiveSocket): void {
    this.clearExpiry(socket);
    const { user } = socket.data;
    if (user === null || !socket.connected) return;
    // Tokens may live for weeks, beyond what one timer can wait (about 24.8
    // days; a longer delay fires at once), so a far expiry is approached in steps.
    const delay = user.expiresAt - Date.now();
    const timer = setTimeout(
      () =>
        delay > MAX_TIMER_DELAY_MS ? this.scheduleExpiry(socket) : this.drop(socket, "expired"),
      Math.min(delay, MAX_TIMER_DELAY_MS),
    );
    timer.unref();
    this.expiryTimers.set(socket.id, timer);
  }

  private clearExpiry(socket: LiveSocket): void {
    clearTimeout(this.expiryTimers.get(socket.id));
    this.expiryTimers.delete(socket.id);
  }

  private onSessionsEnded(message: string): void {
    let ended: SessionsEnded;
    try {
      ended = JSON.parse(message) as SessionsEnded;
    } catch {
      return;
    }
    if (!Array.isArray(ended.sessionIds)) return;
    const { sockets, adapter } = this.deps.io.of("/");
    for (const sessionId of ended.sessionIds) {
      // The session's room on this instance names its sockets.
      for (const socketId of adapter.rooms.get(rooms.session(String(sessionId))) ?? []) {
        const socket = sockets.get(socketId);
        if (socket !== undefined) this.drop(socket, "revoked");
      }
    }
  }

  /** Announcements travel by Redis PUB/SUB, which an instance can miss; this catches up. */
  private async sweepLocalSockets(): Promise<void> {
    await Promise.all(
      this.localSockets().map(async (socket) => {
        if (!(await this.stillValid(socket, { use: false }))) this.drop(socket, "revoked");
      }),
    );
  }

  private localSockets(): LiveSocket[] {
    return [...this.deps.io.of("/").sockets.values()];
  }
}
