import { createHash } from "node:crypto";
import { RateLimiterRedis } from "rate-limiter-flexible";
import type { Redis } from "../../core/redis/redis";

export interface LoginThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  failureWindowSeconds: number;
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
}

/**
 * Brute-force protection for sign-in. Failures are counted per account and per
 * IP over a window; once a count reaches its limit, each further failure locks
 * that key for twice as long as the last (base, 2×base, 4×base … up to the
 * maximum). A successful sign-in clears the account's count and lock.
 */
export class LoginThrottle {
  private readonly account: FailureCounter;
  private readonly ip: FailureCounter;

  constructor(redis: Redis, settings: LoginThrottleSettings) {
    this.account = new FailureCounter(redis, "account", settings.maxFailuresPerAccount, settings);
    this.ip = new FailureCounter(redis, "ip", settings.maxFailuresPerIp, settings);
  }

  /** Seconds until this email may be tried again from this IP; 0 when it may now. */
  async retryAfterSeconds(email: string, ip: string): Promise<number> {
    const waits = await Promise.all([
      this.account.lockedFor(accountKey(email)),
      this.ip.lockedFor(ip),
    ]);
    return Math.max(...waits);
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.account.fail(accountKey(email)), this.ip.fail(ip)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.account.reset(accountKey(email));
  }
}

/** Emails are personal data; Redis keys hold a hash of them instead. */
function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("base64url");
}

class FailureCounter {
  private readonly failures: RateLimiterRedis;
  private readonly locks: RateLimiterRedis;

  constructor(
    redis: Redis,
    kind: string,
    private readonly maxFailures: number,
    private readonly settings: LoginThrottleSettings,
  ) {
    this.failures = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `login-failures:${kind}`,
      points: maxFailures,
      duration: settings.failureWindowSeconds,
    });
    this.locks = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `login-lock:${kind}`,
      points: 1,
      duration: settings.lockoutMaxSeconds,
    });
  }

  async lockedFor(key: string): Promise<number> {
    const lock = await this.locks.get(key);
    if (lock === null || lock.consumedPoints <= 1) return 0;
    return Math.ceil(lock.msBeforeNext / 1000);
  }

  async fail(key: string): Promise<void> {
    const { consumedPoints } = await this.failures.penalty(key, 1);
    if (consumedPoints < this.maxFailures) return;
    const doublings = Math.min(consumedPoints - this.maxFailures, 30);
    const seconds = Math.min(
      this.settings.lockoutBaseSeconds * 2 ** doublings,
      this.settings.lockoutMaxSeconds,
    );
    await this.locks.block(key, seconds);
  }

  async reset(key: string): Promise<void> {
    await Promise.all([this.failures.delete(key), this.locks.delete(key)]);
  }
}
