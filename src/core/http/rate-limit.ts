import type { Request, RequestHandler, Response } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { TooManyRequestsError } from "../errors/app-error";
import type { Redis } from "../redis/redis";

export interface RateLimitRule {
  /** Names the counter in Redis, e.g. "register". */
  name: string;
  points: number;
  durationSeconds: number;
  /**
   * Answers that give their point back: attempts refused for what they sent
   * (a 422) or because the service could not serve them then (a 503) must not
   * use up the allowance meant for the real thing.
   */
  refundStatuses?: readonly number[];
}

/**
 * A fixed-window limit kept in Redis, so every instance counts together
 * (while Redis is away, each instance counts on its own: see redisLimiter).
 * Answers carry the IETF draft RateLimit headers; a refusal is a 429 with
 * Retry-After.
 */
export function rateLimit(
  redis: Redis,
  rule: RateLimitRule,
  keyOf: (req: Request) => string,
): RequestHandler {
  const limiter = redisLimiter(redis, rule);
  const { refundStatuses } = rule;
  return async (req, res, next) => {
    const key = keyOf(req);
    let result: RateLimiterRes;
    try {
      result = await limiter.consume(key);
    } catch (rejection) {
      // The limiter rejects with its result when the limit is spent; anything
      // else is unexpected and goes to the error middleware.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      setHeaders(res, rule, rejection);
      throw new TooManyRequestsError(rejection.msBeforeNext / 1000);
    }
    setHeaders(res, rule, result);
    if (refundStatuses !== undefined) {
      const windowEnds = Date.now() + result.msBeforeNext;
      res.once("finish", () => {
        // Only into the window the point came from: a refund landing in the
        // next one would start it below zero. Best effort: a refund lost to a
        // Redis failure only makes the limit stricter.
        if (refundStatuses.includes(res.statusCode) && Date.now() < windowEnds) {
          limiter.reward(key, 1).catch(() => undefined);
        }
      });
    }
    next();
  };
}

/**
 * The counter behind a rule, for limits applied outside Express (socket
 * handshakes). When Redis cannot count (it is away, or too slow to answer
 * within its command timeout), this instance counts in its own memory
 * instead: the limit keeps holding, per instance, rather than refusing
 * everyone or letting everyone through.
 */
export function redisLimiter(redis: Redis, rule: RateLimitRule): RateLimiterRedis {
  const window = { points: rule.points, duration: rule.durationSeconds };
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `rate:${rule.name}`,
    ...window,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: `rate:${rule.name}`, ...window }),
  });
}

function setHeaders(res: Response, rule: RateLimitRule, result: RateLimiterRes): void {
  res.setHeader("RateLimit-Policy", `${rule.points};w=${rule.durationSeconds}`);
  res.setHeader(
    "RateLimit",
    `limit=${rule.points}, remaining=${result.remainingPoints}, reset=${Math.ceil(result.msBeforeNext / 1000)}`,
  );
}
