/*
 * A minimal live-events client (docs/realtime.md): `npm run example:client`.
 *   API_URL  the service (default http://127.0.0.1:3000)
 *   TOKEN    an access token; without one the socket is anonymous
 *   SLUG     an article whose room to join (optional)
 * Logs every server event until Ctrl-C.
 */
import { io } from "socket.io-client";

const url = process.env.API_URL ?? "http://127.0.0.1:3000";
const token = process.env.TOKEN || undefined;
const slug = process.env.SLUG || undefined;

const SERVER_EVENTS = [
  "ready",
  "notification:new",
  "feed:article",
  "comment:created",
  "comment:deleted",
  "article:updated",
  "article:deleted",
  "article:favorited",
  "article:unfavorited",
  "presence:article",
  "auth:expired",
  "auth:revoked",
] as const;

type Ack =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; error: { code: string; message: string; retryAfterSeconds?: number } };

const socket = io(url, {
  // A function, so every reconnection sends the token current at that moment
  // (a real client returns its latest access token here).
  auth: (cb) => cb(token ? { token } : {}),
});

socket.on("connect", () => {
  console.log(`connected: id=${socket.id} recovered=${socket.recovered}`);
  // A recovered socket is still in its rooms and got what it missed; any
  // other connection starts with no rooms (and a real client refetches).
  if (slug === undefined || socket.recovered) return;
  socket
    .timeout(5_000)
    .emitWithAck("article:join", { slug })
    .then((ack: Ack) => console.log("article:join ->", JSON.stringify(ack)))
    .catch((error: Error) => console.error("article:join got no answer:", error.message));
});

for (const event of SERVER_EVENTS) {
  // With recovery on, room events carry one more argument (an offset): ignored here.
  socket.on(event, (payload: unknown) => console.log(event, JSON.stringify(payload)));
}

socket.on("connect_error", (error: Error & { data?: unknown }) => {
  console.error("connect_error:", error.message, JSON.stringify(error.data ?? null));
  if (!socket.active) {
    // Refused by the server (e.g. UNAUTHENTICATED): Socket.IO does not retry.
    console.error("the server refused the connection; not retrying");
    process.exitCode = 1;
    socket.close();
  }
});

socket.on("disconnect", (reason) => {
  console.log("disconnected:", reason);
  // The server ended it (auth:revoked, auth:expired, flooding): no automatic reconnection.
  if (reason === "io server disconnect") process.exitCode = 1;
});

const stop = () => {
  socket.close();
  process.exit();
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
