import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildApp } from "./app";
import type { Container } from "./container";

export interface RunningService {
  server: http.Server;
  /** Where it listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /**
   * Stops accepting connections, lets requests in flight finish (up to the
   * configured shutdown timeout, then cuts them), and closes the container.
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

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await closeGracefully(server, shutdownTimeoutMs);
      await container.close();
    })();
    return stopping;
  };

  return { server, url, stop };
}

async function closeGracefully(server: http.Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive connections would otherwise hold the server open.
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearTimeout(deadline);
}
