import { io as connect, type Socket } from "socket.io-client";
import { resetState } from "./database";
import { startTestService, type TestService, type TestServiceOptions } from "./service";

/**
 * How long a helper waits for something the server will do (an event, an ack,
 * a disconnect). It only bounds a wait that has gone wrong, so it is generous:
 * on a busy machine a delivery can take seconds. It stays under Jest's test
 * timeout so that a missing event is named in the failure.
 */
export const LIVE_WAIT_MS = 15_000;

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
  return socket.timeout(LIVE_WAIT_MS).emitWithAck(event, ...args) as Promise<Ack>;
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
  timeoutMs = LIVE_WAIT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    // A wait that a failed test left behind must not keep Jest from exiting.
    timer.unref();
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
export function disconnected(socket: ClientSocket, timeoutMs = LIVE_WAIT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.disconnected && !socket.active) {
      resolve("already disconnected");
      return;
    }
    const timer = setTimeout(() => reject(new Error("the socket stayed connected")), timeoutMs);
    timer.unref();
    socket.once("disconnect", (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/**
 * Polls `check` until it holds, for things that settle on the server without
 * telling the client (a stored session, a gauge after a disconnect). Fails
 * naming `what` if it still does not hold after LIVE_WAIT_MS.
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = LIVE_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
    const starts = await Promise.allSettled([startTestService(options), startTestService(options)]);
    [a, b] = starts.map((start) => (start.status === "fulfilled" ? start.value : undefined));
    const failed = starts.find((start) => start.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  });
  // Whatever started is stopped, even if the other did not start: nothing keeps Jest running.
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));
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
