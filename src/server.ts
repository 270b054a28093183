import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { buildApp } from "./app";
import type { Container } from "./container";
import { withTimeout } from "./core/timeout";
import { startRealtime } from "./modules/realtime/realtime.server";

export interface RunningService {
  server: http.Server;
  /** Where it listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /**
   * Closes live connections (clients resume on another instance), stops
   * accepting requests, lets those in flight finish (up to the configured
   * shutdown timeout, then cuts them), and closes the container.
   */
  stop: () => Promise<void>;
}

export async function startService(
  container: Container,
  app: http.RequestListener = buildApp(container),
): Promise<RunningService> {
  const { host, port, shutdownTimeoutMs } = container.config.http;
  const server = http.createServer(app);
  server.listen(port, host);
  await once(server, "listening");
  const { address, port: boundPort } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${boundPort}`;
  const realtime = startRealtime(server, container);
  const upgraded = trackUpgradedSockets(server);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      realtime.disconnectClients();
      await closeGracefully(server, upgraded, shutdownTimeoutMs);
      await realtime.close();
      await withTimeout(container.close(), CLOSE_CONNECTIONS_TIMEOUT_MS, "closing connections");
    })();
    return stopping;
  };

  return { server, url, stop };
}

/** How long the database pool and Redis get to close once the server has. */
const CLOSE_CONNECTIONS_TIMEOUT_MS = 5_000;
/** How often idle keep-alive connections are closed while draining. */
const DRAIN_INTERVAL_MS = 50;

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

async function closeGracefully(
  server: http.Server,
  upgraded: Set<Duplex>,
  timeoutMs: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A keep-alive connection would outlive its last response and hold the
  // server open, so each is closed as soon as it falls idle.
  server.closeIdleConnections();
  const drain = setInterval(() => server.closeIdleConnections(), DRAIN_INTERVAL_MS);
  const deadline = setTimeout(() => {
    server.closeAllConnections();
    // A WebSocket peer that never answers the close would otherwise hold the server 30 s.
    for (const socket of upgraded) socket.destroy();
  }, timeoutMs);
  await closed;
  clearInterval(drain);
  clearTimeout(deadline);
}
