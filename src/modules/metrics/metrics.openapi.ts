import type { ZodOpenApiPathsObject } from "zod-openapi";
import { errorSchema } from "../../core/openapi/operation";

export const metricsPaths: ZodOpenApiPathsObject = {
  "/metrics": {
    get: {
      tags: ["Operations"],
      summary: "Prometheus metrics of this instance",
      description:
        "Process metrics and live-connection metrics (`conduit_sockets_connected`, `conduit_socket_events_*`). " +
        "With `METRICS_TOKEN` set, send `Authorization: Bearer <METRICS_TOKEN>`; without it the endpoint is open " +
        "outside production and absent (404) in production. docs/operations.md.",
      security: [{}, { metricsToken: [] }],
      responses: {
        "200": {
          description: "Prometheus text exposition format.",
          content: { "text/plain": { schema: { type: "string" } } },
        },
        "401": {
          description: "`METRICS_TOKEN` is set and the request did not present it.",
          content: { "application/json": { schema: errorSchema } },
        },
        "404": {
          description: "Metrics are disabled (production without `METRICS_TOKEN`).",
          content: { "application/json": { schema: errorSchema } },
        },
      },
    },
  },
};
