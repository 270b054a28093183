import type { Request, RequestHandler, Response } from "express";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { TooManyRequestsError } from "../errors/app-error";
import type { Redis } from "../redis/redis";

export interface RateLimitRule {
  /** Names the counter in Redis, e.g. "register". */
  name: string;
  points: number;
  durationSeconds: number;
}

/**
 * A fixed-window limit kept in Redis, so every instance counts together.
 * Answers carry the IETF draft RateLimit headers; a refusal is a 429 with
 * Retry-After.
 */
export function rateLimit(
  redis: Redis,
  rule: RateLimitRule,
  keyOf: (req: Request) => string,
): RequestHandler {
  const limiter = redisLimiter(redis, rule);
  return async (req, res, next) => {
    let result: RateLimiterRes;
    try {
      result = await limiter.consume(keyOf(req));
    } catch (rejection) {
      // The limiter rejects with its result when the limit is spent, and with
      // an Error when Redis fails; the latter goes to the error middleware.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      setHeaders(res, rule, rejection);
      throw new TooManyRequestsError(rejection.msBeforeNext / 1000);
    }
    setHeaders(res, rule, result);
    next();
  };
}

/** The counter behind a rule, for limits applied outside Express (socket handshakes). */
export function redisLimiter(redis: Redis, rule: RateLimitRule): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `rate:${rule.name}`,
    points: rule.points,
    duration: rule.durationSeconds,
  });
}

function setHeaders(res: Response, rule: RateLimitRule, result: RateLimiterRes): void {
  res.setHeader("RateLimit-Policy", `${rule.points};w=${rule.durationSeconds}`);
  res.setHeader(
    "RateLimit",
    `limit=${rule.points}, remaining=${result.remainingPoints}, reset=${Math.ceil(result.msBeforeNext / 1000)}`,
  );
}
