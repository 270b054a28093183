import type { Database } from "../../core/database/prisma";
import type { Logger } from "../../core/logging/logger";
import type { Redis } from "../../core/redis/redis";
import { withTimeout } from "../../core/timeout";

export type DependencyName = "database" | "redis";
export type DependencyState = "up" | "down";
export type Readiness = Record<DependencyName, DependencyState>;

/** How long a dependency may take to answer before it counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

export interface HealthService {
  readiness(): Promise<Readiness>;
}

/**
 * Checks that each dependency answers. A probe runs every few seconds, so a
 * dependency's state is logged when it changes (down, then back), not per probe.
 */
export function createHealthService(deps: {
  db: Database;
  redis: Redis;
  logger: Logger;
}): HealthService {
  const checks: Record<DependencyName, () => Promise<unknown>> = {
    database: () => deps.db.$queryRaw`SELECT 1`,
    redis: () => deps.redis.ping(),
  };
  const names = Object.keys(checks) as DependencyName[];
  const lastKnown = new Map<DependencyName, DependencyState>();

  const record = (name: DependencyName, result: PromiseSettledResult<unknown>): DependencyState => {
    const state = result.status === "fulfilled" ? "up" : "down";
    const previous = lastKnown.get(name);
    lastKnown.set(name, state);
    if (result.status === "rejected" && previous !== "down") {
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      deps.logger.warn({ dependency: name, reason }, "readiness: a dependency is not answering");
    } else if (state === "up" && previous === "down") {
      deps.logger.info({ dependency: name }, "readiness: a dependency answers again");
    }
    return state;
  };

  return {
    async readiness() {
      const results = await Promise.allSettled(
        names.map((name) => withTimeout(checks[name](), CHECK_TIMEOUT_MS, name)),
      );
      return Object.fromEntries(
        names.map((name, i) => [name, record(name, results[i] as PromiseSettledResult<unknown>)]),
      ) as Readiness;
    },
  };
}
