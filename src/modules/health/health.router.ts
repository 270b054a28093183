import { Router } from "express";
import { ServiceUnavailableError } from "../../core/errors/app-error";
import { respond } from "../../core/http/respond";
import { publicAccess } from "../../core/http/route-access";
import type { HealthService } from "./health.service";

/**
 * Liveness says the process answers; readiness says it can serve, meaning
 * PostgreSQL and Redis both answer. A load balancer should route by readiness.
 */
export function healthRouter(health: HealthService): Router {
  const router = Router();

  router.get("/health/live", publicAccess, (_req, res) => {
    respond.ok(res, { status: "ok" });
  });

  router.get("/health/ready", publicAccess, async (_req, res) => {
    const readiness = await health.readiness();
    const down = Object.entries(readiness).filter(([, state]) => state === "down");
    if (down.length > 0) {
      throw new ServiceUnavailableError(
        Object.fromEntries(down.map(([name]) => [name, ["is not answering"]])),
      );
    }
    respond.ok(res, { status: "ok", checks: readiness });
  });

  return router;
}
