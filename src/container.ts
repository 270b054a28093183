import type { Config } from "./config/config";
import { createDatabase, type Database } from "./core/database/prisma";
import type { Logger } from "./core/logging/logger";
import { createRedis, type Redis } from "./core/redis/redis";
import { createHealthService, type HealthService } from "./modules/health/health.service";

/**
 * The composition root: every long-lived object is made here, once, and
 * handed to what needs it. Nothing else opens connections.
 */
export interface Container {
  config: Config;
  logger: Logger;
  db: Database;
  redis: Redis;
  services: {
    health: HealthService;
  };
  /** Closes the database pool and the Redis connection. */
  close(): Promise<void>;
}

export function createContainer(config: Config, logger: Logger): Container {
  const db = createDatabase(config.database);
  const redis = createRedis(config.redis, logger);
  return {
    config,
    logger,
    db,
    redis,
    services: {
      health: createHealthService({ db, redis }),
    },
    async close() {
      // QUIT lets a connected Redis finish what it was sent; one that is away
      // would only hold QUIT in its offline queue, so it is cut instead.
      const closeRedis =
        redis.status === "ready" ? redis.quit() : Promise.resolve(redis.disconnect());
      await Promise.allSettled([db.$disconnect(), closeRedis]);
    },
  };
}
