import { Router } from "express";
import { pino } from "pino";
import { ServiceUnavailableError } from "../../core/errors/app-error";
import { errorResponder } from "../../core/http/error-middleware";
import { respond } from "../../core/http/respond";
import { publicAccess } from "../../core/http/route-access";
import type { HealthService } from "./health.service";

/**
 * Readiness answers 503 in the one error format, but without a log line per
 * probe: the health service logs when a dependency goes down and comes back.
 */
const answerNotReady = errorResponder(pino({ level: "silent" }));

/**
 * Liveness says the process answers; readiness says it can serve, meaning
 * PostgreSQL and Redis both answer. A load balancer should route by readiness.
 */
export function healthRouter(health: HealthService): Router {
  const router = Router();

  router.get("/health/live", publicAccess, (_req, res) => {
    respond.ok(res, { status: "ok" });
  });

  router.get("/health/ready", publicAccess, async (req, res, next) => {
    const readiness = await health.readiness();
    const down = Object.entries(readiness).filter(([, state]) => state === "down");
    if (down.length > 0) {
      const notReady = new ServiceUnavailableError(
        Object.fromEntries(down.map(([name]) => [name, ["is not answering"]])),
      );
      answerNotReady(notReady, req, res, next);
      return;
    }
    respond.ok(res, { status: "ok", checks: readiness });
  });

  return router;
}
