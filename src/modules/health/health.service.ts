import type { Database } from "../../core/database/prisma";
import type { Redis } from "../../core/redis/redis";
import { withTimeout } from "../../core/timeout";

export type DependencyName = "database" | "redis";
export type Readiness = Record<DependencyName, "up" | "down">;

/** How long a dependency may take to answer before it counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

export interface HealthService {
  readiness(): Promise<Readiness>;
}

export function createHealthService(deps: { db: Database; redis: Redis }): HealthService {
  const checks: Record<DependencyName, () => Promise<unknown>> = {
    database: () => deps.db.$queryRaw`SELECT 1`,
    redis: () => deps.redis.ping(),
  };
  return {
    async readiness() {
      const names = Object.keys(checks) as DependencyName[];
      const results = await Promise.allSettled(
        names.map((name) => withTimeout(checks[name](), CHECK_TIMEOUT_MS, name)),
      );
      return Object.fromEntries(
        names.map((name, i) => [name, results[i]?.status === "fulfilled" ? "up" : "down"]),
      ) as Readiness;
    },
  };
}
