import { io as connect, type Socket } from "socket.io-client";
import { resetState } from "./database";
import { startTestService, type TestService, type TestServiceOptions } from "./service";

/** A socket.io-client connection; every socket a test opens is closed after it. */
export type ClientSocket = Socket;

const opened = new Set<ClientSocket>();
afterEach(() => {
  for (const socket of opened) socket.disconnect();
  opened.clear();
});

export interface ConnectOptions {
  token?: string;
  /** Sent as `auth` instead of `{ token }`, to test odd handshakes. */
  auth?: Record<string, unknown>;
  /** Headers of the handshake request (e.g. Origin). */
  headers?: Record<string, string>;
  transports?: ("websocket" | "polling")[];
  reconnection?: boolean;
}

/** Opens a socket, not yet waiting for it to connect. */
export function openSocket(service: TestService, options: ConnectOptions = {}): ClientSocket {
  const socket = connect(service.url, {
    auth: options.auth ?? (options.token === undefined ? {} : { token: options.token }),
    transports: options.transports ?? ["websocket"],
    extraHeaders: options.headers,
    reconnection: options.reconnection ?? false,
    forceNew: true,
  });
  opened.add(socket);
  return socket;
}

/** Opens a socket and waits until the server has accepted it. */
export async function connectSocket(
  service: TestService,
  options: ConnectOptions = {},
): Promise<ClientSocket> {
  const socket = openSocket(service, options);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

/** The `connect_error` the server answers the handshake with. */
export function connectError(
  socket: ClientSocket,
): Promise<Error & { data?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => reject(new Error("the socket connected")));
    socket.once("connect_error", resolve);
  });
}

export type Ack =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; error: { code: string; message: string; retryAfterSeconds?: number } };

/** Sends a client event and waits for its ack. */
export function request(socket: ClientSocket, event: string, ...args: unknown[]): Promise<Ack> {
  return socket.timeout(5_000).emitWithAck(event, ...args) as Promise<Ack>;
}

/** Joins the article's room, expecting success. */
export async function joinArticle(socket: ClientSocket, slug: string): Promise<Ack> {
  const ack = await request(socket, "article:join", { slug });
  if (!ack.ok) throw new Error(`article:join failed: ${JSON.stringify(ack)}`);
  return ack;
}

/** The next `event` the socket receives (optionally the next one `matching`). */
export function nextEvent<T = unknown>(
  socket: ClientSocket,
  event: string,
  matching: (payload: T) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!matching(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/**
 * Everything of `event` the socket receives from now on, to assert on later
 * (for example that nothing arrived once a delivery to others was seen).
 */
export function collect<T = unknown>(socket: ClientSocket, event: string): T[] {
  const received: T[] = [];
  socket.on(event, (payload: T) => received.push(payload));
  return received;
}

/** Resolves when the socket disconnects, with the client's reason. */
export function disconnected(socket: ClientSocket, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.disconnected && !socket.active) {
      resolve("already disconnected");
      return;
    }
    const timer = setTimeout(() => reject(new Error("the socket stayed connected")), timeoutMs);
    socket.once("disconnect", (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/**
 * Two instances of the service sharing this run's PostgreSQL and Redis, as
 * behind a load balancer: started before the tests of a `describe`, stopped
 * after, both stores emptied before each test.
 */
export function useTwoInstances(options: TestServiceOptions = {}): {
  a: TestService;
  b: TestService;
} {
  let a: TestService | undefined;
  let b: TestService | undefined;
  const started = () => {
    if (a === undefined || b === undefined) throw new Error("the instances start in beforeAll");
    return { a, b };
  };
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestService(options), startTestService(options)]);
  });
  afterAll(async () => {
    const { a: first, b: second } = started();
    await Promise.all([first.stop(), second.stop()]);
  });
  beforeEach(() => resetState(started().a.container));
  return {
    get a() {
      return started().a;
    },
    get b() {
      return started().b;
    },
  };
}
