import { createHash, timingSafeEqual } from "node:crypto";
import { Router } from "express";
import { UnauthenticatedError } from "../../core/errors/app-error";
import type { Metrics } from "../../core/metrics/metrics";
import { publicAccess } from "../../core/http/route-access";

export interface MetricsAccess {
  enabled: boolean;
  /** When set, scrapers must send `Authorization: Bearer <token>`. */
  token: string | undefined;
}

/**
 * GET /metrics in Prometheus's text format. Gated by its own token rather
 * than a user's: scrapers are not users. Disabled, the route does not exist,
 * so every method answers like an unknown path.
 */
export function metricsRouter(metrics: Metrics, access: MetricsAccess): Router {
  const router = Router();
  if (!access.enabled) return router;
  router.get("/metrics", publicAccess, async (req, res) => {
    if (access.token !== undefined && !presents(req.get("authorization"), access.token)) {
      throw new UnauthenticatedError("token", "is missing or wrong", 'Bearer realm="metrics"');
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}

/** Compares digests, so the comparison takes the same time however much of the token matches. */
function presents(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  if (match === null) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
