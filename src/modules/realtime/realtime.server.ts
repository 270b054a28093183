import type http from "node:http";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { RateLimiterRes } from "rate-limiter-flexible";
import { Server } from "socket.io";
import type { Container } from "../../container";
import { clientAddressOf } from "../../core/http/client-address";
import { redisLimiter } from "../../core/http/rate-limit";
import { originPolicy } from "../../core/http/security";
import { duplicateRedis, type Redis } from "../../core/redis/redis";
import type { Authenticator } from "../auth/authenticator";
import { ipLimitKey } from "../auth/client-info";
import { ArticleRooms } from "./article-rooms";
import { ClientEvents } from "./client-events";
import { EventRelay } from "./event-relay";
import { HeldMissedEvents } from "./held-missed-events";
import { Presence } from "./presence";
import type { LiveServer, SocketData } from "./realtime.protocol";
import { SocketSessions } from "./socket-sessions";

/** A viewer stops being counted this long after its instance last vouched for it. */
const PRESENCE_TTL_MS = 60_000;
const PRESENCE_HEARTBEAT_MS = 20_000;
/** How often each instance re-checks its signed-in sockets' sessions (a backstop; revocations are announced). */
const SESSION_SWEEP_MS = 60_000;

export interface Realtime {
  io: LiveServer;
  /**
   * Closes this instance's connections, so clients resume on another
   * instance with what they missed. Changes still committing are relayed.
   */
  disconnectClients(): void;
  /** Stops relaying changes and listening to Redis; call once requests have drained. */
  close(): Promise<void>;
}

/**
 * Socket.IO on the service's HTTP server (path /socket.io), sharing rooms and
 * events with every other instance through a Redis stream (docs/realtime.md,
 * docs/adr/0019).
 */
export function startRealtime(server: http.Server, container: Container): Realtime {
  const { config, redis, logger, metrics, authenticator, events, services } = container;
  const allowed = originPolicy(config.http.corsOrigins);
  const anyOrigin = config.http.corsOrigins.includes("*");
  const adapterRedis = adapterClients(redis);
  const admitHandshake = handshakeLimit(redis, config, logger);
  const missedEvents = new HeldMissedEvents();

  const io: LiveServer = new Server(server, {
    serveClient: false,
    maxHttpBufferSize: config.realtime.maxPayloadBytes,
    // Long-polling requests are cross-origin fetches and need CORS headers;
    // WebSocket upgrades are not covered by CORS, so allowRequest checks the
    // Origin of both against the same allow-list as the REST API.
    cors: anyOrigin
      ? { origin: "*" }
      : { origin: (origin, callback) => callback(null, allowed(origin)), credentials: true },
    allowRequest: (req, callback) => {
      const { origin } = req.headers;
      if (origin !== undefined && !allowed(origin)) {
        callback("origin is not allowed", false);
        return;
      }
      void admitHandshake(req).then((refusal) =>
        refusal === undefined ? callback(null, true) : callback(refusal, false),
      );
    },
    ...(config.realtime.recoverySeconds > 0 && {
      connectionStateRecovery: {
        maxDisconnectionDuration: config.realtime.recoverySeconds * 1_000,
        // The handshake runs again on recovery, so an expired or revoked token is refused.
        skipMiddlewares: false,
      },
    }),
    adapter: recoveringAfterHandshake(
      createAdapter(adapterRedis.client, {
        // Channels are not prefixed by the Redis client; keys (the stream, recovery sessions) are.
        channelPrefix: `${config.redis.keyPrefix}socket.io`,
        maxLen: config.realtime.streamMaxLength,
      }),
      authenticator,
      missedEvents,
    ),
  });

  const presence = new Presence(redis, PRESENCE_TTL_MS);
  const articleRooms = new ArticleRooms({
    io,
    articles: services.articles,
    presence,
    logger,
    maxRooms: config.realtime.maxArticleRooms,
    onSent: (event) => metrics.socketEventsSent.inc({ event }),
  });
  const sessions = new SocketSessions({
    io,
    authenticator,
    redis,
    logger,
    metrics,
    sweepIntervalMs: SESSION_SWEEP_MS,
  });
  const clientEvents = new ClientEvents({
    sessions,
    metrics,
    logger,
    eventsPerMinute: config.realtime.eventsPerMinute,
    handlers: {
      "article:join": (socket, { slug }) => articleRooms.join(socket, slug),
      "article:leave": (socket, { slug }) => articleRooms.leave(socket, slug),
      "auth:refresh": (socket, { token }) => sessions.renew(socket, token),
    },
  });
  const relay = new EventRelay({ io, articleRooms, metrics, ...services });

  const warn = (what: string) => (error: unknown) => logger.warn({ err: error }, what);
  io.use((socket, next) => void sessions.handshake(socket, next));
  io.on("connection", (socket) => {
    const kind = socket.data.user === null ? "anonymous" : "user";
    metrics.socketsConnected.inc({ kind });
    sessions.connected(socket);
    clientEvents.listen(socket);
    missedEvents.deliver(io, socket);
    const { user } = socket.data;
    socket.emit("ready", {
      recovered: socket.recovered,
      signedIn: user !== null,
      expiresAt: user === null ? null : new Date(user.expiresAt).toISOString(),
    });
    metrics.socketEventsSent.inc({ event: "ready" });
    if (socket.recovered)
      articleRooms.rejoinAll(socket).catch(warn("recounting a recovered socket failed"));
    socket.on("disconnecting", () => {
      articleRooms.leaveAll(socket).catch(warn("uncounting a socket failed"));
    });
    socket.on("disconnect", () => metrics.socketsConnected.dec({ kind }));
  });
  io.on("article:renamed", (articleId, slug) => articleRooms.renamed(articleId, slug));

  const unsubscribe = events.subscribe((event) => relay.relay(event));
  sessions.start();
  const heartbeat = setInterval(() => {
    articleRooms.refresh().catch(warn("refreshing presence failed"));
  }, PRESENCE_HEARTBEAT_MS);
  heartbeat.unref();

  return {
    io,
    disconnectClients() {
      clearInterval(heartbeat);
      articleRooms.stopAnnouncing();
      // Closing the transports (not a server-side disconnect) keeps the
      // sockets' sessions for recovery.
      io.engine.close();
    },
    async close() {
      unsubscribe();
      sessions.close();
      missedEvents.clear();
      await io.of("/").adapter.close();
      adapterRedis.disconnectAll();
    },
  };
}

/**
 * The Redis clients the adapter uses: a connection of its own for the commands
 * it sends while serving (appending to the stream, recovery sessions), bounded
 * like every request's, and the background duplicates the adapter makes of it
 * in turn (a blocking stream read and a subscriber), which wait for Redis
 * instead. All are tracked so shutting down need not wait for the read to end.
 *
 * The adapter (0.3.1) sends some commands without handling their failure
 * (PUBLISH of ephemeral messages, SET of recovery sessions, SUBSCRIBE). While
 * Redis is away those would be unhandled rejections, which end this process
 * by design (main.ts), so each such command's failure is marked handled here;
 * callers that await the command still see it.
 */
function adapterClients(redis: Redis): { client: Redis; disconnectAll(): void } {
  const made: Redis[] = [];
  const track = (client: Redis): Redis => {
    made.push(client);
    for (const name of UNHANDLED_BY_ADAPTER) {
      const send = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
      Object.assign(client, {
        [name]: (...args: unknown[]) => {
          const reply = send(...args);
          reply.catch(() => undefined);
          return reply;
        },
      });
    }
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args) => track(duplicate(...args));
    return client;
  };
  return {
    client: track(duplicateRedis(redis, "live-events", "requests")),
    disconnectAll: () => made.forEach((client) => client.disconnect()),
  };
}

const UNHANDLED_BY_ADAPTER = ["publish", "spublish", "set", "subscribe", "ssubscribe"] as const;

/**
 * Handshakes per client address and minute, counted in Redis across
 * instances, and by each instance on its own while Redis is away (so
 * anonymous sockets still connect then; a token's session cannot be checked,
 * so the handshake middleware refuses those with SERVICE_UNAVAILABLE).
 * Resolves with the refusal's message, or undefined when admitted.
 */
function handshakeLimit(
  redis: Redis,
  config: Container["config"],
  logger: Container["logger"],
): (req: http.IncomingMessage) => Promise<string | undefined> {
  const limiter = redisLimiter(redis, {
    name: "socket-handshake",
    points: config.realtime.connectionsPerIpPerMinute,
    durationSeconds: 60,
  });
  const addressOf = clientAddressOf(config.http.trustProxy);
  return async (req) => {
    try {
      await limiter.consume(ipLimitKey(addressOf(req)));
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        return `too many connections from this address; try again in ${seconds} s`;
      }
      logger.warn({ err: rejection }, "cannot count a socket handshake");
      return "connections cannot be accepted right now; try again shortly";
    }
  };
}

type AdapterFactory = ReturnType<typeof createAdapter>;

/**
 * Connection-state recovery restores a socket's rooms and what it missed
 * before the handshake middleware runs again. A session that has ended since
 * is not restored at all; a live one's missed events are held back until the
 * handshake has passed (see HeldMissedEvents).
 */
function recoveringAfterHandshake(
  factory: AdapterFactory,
  authenticator: Authenticator,
  held: HeldMissedEvents,
): AdapterFactory {
  // Socket.IO calls the factory with `new`, so it must be a function, not an arrow.
  return function (this: unknown, nsp: Parameters<AdapterFactory>[0]) {
    const adapter = factory(nsp);
    const restore = adapter.restoreSession.bind(adapter);
    adapter.restoreSession = async (pid, offset) => {
      const session = await restore(pid, offset);
      if (!session) return session;
      const user = (session.data as SocketData | undefined)?.user ?? null;
      // The handshake that follows checks (and uses) the token; this only vets what it resumes.
      if (user && !(await authenticator.isActive(user, { use: false }))) {
        throw new Error("the recovered socket's session has ended");
      }
      held.keep(session.sid, user?.userId ?? null, session.missedPackets);
      session.missedPackets = [];
      return session;
    };
    return adapter;
  } as AdapterFactory;
}
