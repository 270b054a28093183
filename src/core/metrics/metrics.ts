import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

/**
 * Prometheus metrics of one service instance. Each container has its own
 * registry, so two instances in one process (as in tests) count apart.
 */
export interface Metrics {
  registry: Registry;
  /** Sockets connected to this instance, by whether they are signed in. */
  socketsConnected: Gauge<"kind">;
  /** Events this instance sent towards clients (once per event, whatever the audience). */
  socketEventsSent: Counter<"event">;
  /** Events clients sent this instance, by how they were answered. */
  socketEventsReceived: Counter<"event" | "outcome">;
  /** Sockets this instance disconnected, by why. */
  socketsDropped: Counter<"reason">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    socketsConnected: new Gauge({
      name: "conduit_sockets_connected",
      help: "Socket.IO connections open on this instance",
      labelNames: ["kind"],
      registers: [registry],
    }),
    socketEventsSent: new Counter({
      name: "conduit_socket_events_sent_total",
      help: "Live events this instance published to clients",
      labelNames: ["event"],
      registers: [registry],
    }),
    socketEventsReceived: new Counter({
      name: "conduit_socket_events_received_total",
      help: "Events received from clients (names the server does not handle count as unknown), by outcome: ok, invalid, rate_limited, refused, not_found, failed",
      labelNames: ["event", "outcome"],
      registers: [registry],
    }),
    socketsDropped: new Counter({
      name: "conduit_sockets_dropped_total",
      help: "Sockets the server disconnected, by reason (revoked, expired, flooding)",
      labelNames: ["reason"],
      registers: [registry],
    }),
  };
}
