import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { z } from "zod";
import { BadRequestError, TooManyRequestsError } from "../../core/errors/app-error";
import { toAppError } from "../../core/errors/to-app-error";
import { parseInput } from "../../core/http/validate";
import type { Logger } from "../../core/logging/logger";
import type { Metrics } from "../../core/metrics/metrics";
import { unusableToken } from "../auth/token-problems";
import {
  type Ack,
  type ClientEventName,
  clientEventSchemas,
  type LiveSocket,
} from "./realtime.protocol";
import { logRefusal, refusalData } from "./refusal";
import type { SocketSessions } from "./socket-sessions";

export type ClientEventHandlers = {
  [E in ClientEventName]: (
    socket: LiveSocket,
    input: z.output<(typeof clientEventSchemas)[E]>,
  ) => Promise<Record<string, unknown>>;
};

interface ClientEventsDeps {
  sessions: SocketSessions;
  metrics: Metrics;
  logger: Logger;
  /** Events one socket may send per minute. */
  eventsPerMinute: number;
  handlers: ClientEventHandlers;
}

/** A socket that keeps sending this many times its allowance in a minute is cut off. */
const FLOOD_FACTOR = 2;

/**
 * Every event a client sends goes through here: the per-socket rate limit,
 * the session check (as every REST request has), Zod validation of the one
 * payload, then its handler. The ack is `{ ok: true, ... }` or
 * `{ ok: false, error: { code, message } }`, with codes from the REST error
 * format; nothing a client sends can crash the connection handler.
 */
export class ClientEvents {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly deps: ClientEventsDeps) {
    this.limiter = new RateLimiterMemory({ points: deps.eventsPerMinute, duration: 60 });
  }

  listen(socket: LiveSocket): void {
    socket.onAny((name: unknown, ...args: unknown[]) => {
      // The parser also lets numbers through as event names.
      const event = String(name);
      const ack =
        typeof args.at(-1) === "function" ? (args.pop() as (reply: Ack) => void) : undefined;
      void this.answer(socket, event, args).then(({ reply, afterwards }) => {
        ack?.(reply);
        // Disconnecting first would make the client drop the reply unread.
        afterwards?.();
      });
    });
    socket.on("disconnect", () => void this.limiter.delete(socket.id));
  }

  /** The reply, and what to do once it is sent (drop a socket that may no longer stay). */
  private async answer(
    socket: LiveSocket,
    event: string,
    args: unknown[],
  ): Promise<{ reply: Ack; afterwards?: () => void }> {
    const known = isClientEvent(event);
    const label = known ? event : "unknown";
    let afterwards: (() => void) | undefined;
    try {
      const limit = await this.consume(socket);
      if (limit.flooding) afterwards = () => this.cutOff(socket);
      if (limit.refused) throw new TooManyRequestsError(limit.retryAfterSeconds, "events");
      if (!known) {
        throw new BadRequestError(
          "event",
          `"${event.slice(0, 64)}" is not one this server handles`,
        );
      }
      if (!(await this.deps.sessions.stillValid(socket, { use: true }))) {
        afterwards = () => this.deps.sessions.drop(socket, "revoked");
        throw unusableToken("revoked");
      }
      if (args.length !== 1) {
        throw new BadRequestError(
          "payload",
          "must be one object (and an acknowledgement callback)",
        );
      }
      const result = await this.run(socket, event, args[0]);
      this.count(label, "ok");
      return { reply: { ...result, ok: true }, afterwards };
    } catch (error) {
      return { reply: this.refusal(error, label), afterwards };
    }
  }

  private run(socket: LiveSocket, event: ClientEventName, payload: unknown) {
    // The schema and the handler are looked up by the same name, so they agree.
    const handler = this.deps.handlers[event] as (
      socket: LiveSocket,
      input: unknown,
    ) => Promise<Record<string, unknown>>;
    return handler(socket, parseInput(clientEventSchemas[event], payload));
  }

  private refusal(error: unknown, label: string): Ack {
    const appError = toAppError(error);
    logRefusal(this.deps.logger, error, appError, "a client event failed", { event: label });
    this.count(label, outcomeOf(appError.status));
    return { ok: false, error: refusalData(appError) };
  }

  private async consume(
    socket: LiveSocket,
  ): Promise<{ refused: boolean; flooding: boolean; retryAfterSeconds: number }> {
    try {
      await this.limiter.consume(socket.id);
      return { refused: false, flooding: false, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return {
        refused: true,
        flooding: rejection.consumedPoints > this.deps.eventsPerMinute * FLOOD_FACTOR,
        retryAfterSeconds: rejection.msBeforeNext / 1000,
      };
    }
  }

  /** A socket that keeps sending far past its allowance is disconnected, once. */
  private cutOff(socket: LiveSocket): void {
    if (!socket.connected) return;
    this.deps.metrics.socketsDropped.inc({ reason: "flooding" });
    socket.disconnect();
  }

  private count(event: string, outcome: string): void {
    this.deps.metrics.socketEventsReceived.inc({ event, outcome });
  }
}

function isClientEvent(event: string): event is ClientEventName {
  return Object.hasOwn(clientEventSchemas, event);
}

function outcomeOf(status: number): string {
  if (status === 429) return "rate_limited";
  if (status === 422 || status === 400) return "invalid";
  if (status === 401 || status === 403) return "refused";
  if (status === 404) return "not_found";
  if (status >= 500) return "failed";
  return "refused";
}
