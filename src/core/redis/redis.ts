import { Redis } from "ioredis";
import type { Logger } from "../logging/logger";

export type { Redis } from "ioredis";

export interface RedisOptions {
  url: string;
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
}

/**
 * A Redis client that reconnects on its own and never hangs a request while
 * Redis is away: commands fail after one retry instead of queueing forever.
 */
export function createRedis({ url, keyPrefix }: RedisOptions, logger: Logger): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    // disconnect() is only used on a connection that is already failing; no
    // point holding the process 2 s (the default) for its socket to end.
    disconnectTimeout: 500,
  });
  // Log the first failure of an outage and the recovery, not every retry.
  let down = false;
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, "redis is unreachable; retrying");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info("redis is reachable again");
  });
  return redis;
}
