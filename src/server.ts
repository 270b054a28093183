import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { buildApp } from "./app";
import type { Container } from "./container";
import { settlesWithin, withTimeout } from "./core/timeout";
import { startRealtime } from "./modules/realtime/realtime.server";

export interface RunningService {
  server: http.Server;
  /** Where it listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /**
   * Closes live connections (clients resume on another instance), stops
   * accepting requests, answers those in flight with `Connection: close`,
   * waits (up to the configured shutdown timeout, then cuts them) until every
   * request handler and domain event handler has finished, and closes the
   * container.
   */
  stop: () => Promise<void>;
}

export async function startService(
  container: Container,
  app: http.RequestListener = buildApp(container),
): Promise<RunningService> {
  const { host, port, shutdownTimeoutMs } = container.config.http;
  const requests = new RequestsInFlight();
  const server = http.createServer(requests.track(app));
  server.listen(port, host);
  await once(server, "listening");
  const { address, port: boundPort } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${boundPort}`;
  const realtime = startRealtime(server, container);
  const upgraded = trackUpgradedSockets(server);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + shutdownTimeoutMs;
      realtime.disconnectClients();
      const drained = await closeGracefully(server, requests, upgraded, deadline);
      // Handlers of the events those requests published may still be reading
      // the database, and relay through Redis: both stay open until they end.
      const eventsDone = await settlesWithin(container.events.idle(), deadline - Date.now());
      if (!drained || !eventsDone) {
        container.logger.warn(
          { requests: requests.count, shutdownTimeoutMs, eventHandlersDone: eventsDone },
          "shutdown timeout reached: cut what was still running",
        );
      }
      await realtime.close();
      await withTimeout(container.close(), CLOSE_CONNECTIONS_TIMEOUT_MS, "closing connections");
    })();
    return stopping;
  };

  return { server, url, stop };
}

/** How long the database pool and Redis get to close once the server has. */
const CLOSE_CONNECTIONS_TIMEOUT_MS = 5_000;
/**
 * How long keep-alive connections that are idle when shutdown begins stay
 * open: long enough for a request already sent on one to arrive, and for a
 * busy client to get its next answer, which says Connection: close.
 */
const IDLE_CONNECTION_GRACE_MS = 500;
/** How often idle keep-alive connections are closed while draining. */
const DRAIN_INTERVAL_MS = 50;

/**
 * Every request from its arrival until its handler answers (calls `end()`).
 * The server's own bookkeeping forgets a request once its client has gone,
 * while the handler may still be using the database; this does not.
 */
class RequestsInFlight {
  private readonly answering = new Set<http.ServerResponse>();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  get count(): number {
    return this.answering.size;
  }

  track(listener: http.RequestListener): http.RequestListener {
    return (req, res) => {
      this.admit(res);
      return listener(req, res);
    };
  }

  /**
   * From now on every answer not yet started says `Connection: close`, so
   * keep-alive clients open a new connection (to another instance) for their
   * next request instead of reusing one this server is about to close.
   */
  drain(): void {
    this.draining = true;
    for (const res of this.answering) closeAfterAnswer(res);
  }

  /** Resolves once no handler is answering. */
  idle(): Promise<void> {
    if (this.answering.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private admit(res: http.ServerResponse): void {
    this.answering.add(res);
    if (this.draining) closeAfterAnswer(res);
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.end = ((...args: unknown[]) => {
      this.answered(res);
      return end(...args);
    }) as typeof res.end;
  }

  private answered(res: http.ServerResponse): void {
    if (!this.answering.delete(res) || this.answering.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function closeAfterAnswer(res: http.ServerResponse): void {
  if (!res.headersSent) res.setHeader("Connection", "close");
}

/**
 * WebSocket connections leave the HTTP server's bookkeeping when they upgrade,
 * so closeAllConnections() cannot cut them; these are cut at the deadline.
 */
function trackUpgradedSockets(server: http.Server): Set<Duplex> {
  const sockets = new Set<Duplex>();
  server.on("upgrade", (_req, socket: Duplex) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Stops accepting connections and waits until every connection has closed
 * and every admitted request has been answered, or cuts what is left at the
 * deadline. Says whether everything finished in time.
 */
async function closeGracefully(
  server: http.Server,
  requests: RequestsInFlight,
  upgraded: Set<Duplex>,
  deadline: number,
): Promise<boolean> {
  requests.drain();
  // Each close waits for the event loop to have read what has arrived: a
  // connection still in the accept queue, or with a request not yet read,
  // would be reset, while one that has been read is answered.
  await afterReading();
  // net.Server's close, not http.Server's: that one would also cut every idle
  // keep-alive connection at once, resetting requests already on their way.
  const closed = new Promise<void>((resolve) =>
    net.Server.prototype.close.call(server, () => resolve()),
  );
  // Within the grace, a request arriving on an idle connection is answered
  // (with Connection: close); after it, a connection still idle is closed.
  await settlesWithin(closed, Math.min(IDLE_CONNECTION_GRACE_MS, deadline - Date.now()));
  const closeIdle = () => void afterReading().then(() => server.closeIdleConnections());
  closeIdle();
  // A connection whose answer had started before draining says keep-alive,
  // so each is closed as soon as it falls idle.
  const drainInterval = setInterval(closeIdle, DRAIN_INTERVAL_MS);
  try {
    // Once the server has closed no request can arrive, so idle() then covers
    // every request it admitted, including those whose client left.
    const finished = await settlesWithin(
      closed.then(() => requests.idle()),
      deadline - Date.now(),
    );
    if (!finished) {
      server.closeAllConnections();
      // A WebSocket peer that never answers the close would otherwise hold the server 30 s.
      for (const socket of upgraded) socket.destroy();
      await closed;
    }
    return finished;
  } finally {
    clearInterval(drainInterval);
  }
}

/**
 * Resolves in the event loop's check phase, which comes right after the poll
 * phase has accepted pending connections and read the data that had arrived.
 */
function afterReading(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
