import { createHash } from "node:crypto";
import type { Redis } from "../../core/redis/redis";

export interface LoginThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  failureWindowSeconds: number;
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
}

/** A sign-in attempt that may go ahead, or the seconds until one may. */
export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/*
 * Each attempt is counted as a failure *before* the password is checked, in
 * one atomic step with the lock check, so a burst of simultaneous guesses
 * cannot all slip in before the first failure is recorded. The attempt that
 * reaches a limit sets its lock at once; a success then lifts it.
 *
 * KEYS: account failures, account lock, IP failures, IP lock
 * ARGV: account limit, IP limit, window ms, base lock ms, max lock ms
 */
const ADMIT_SCRIPT = `
local wait = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[4]))
if wait > 0 then return wait end
local function count(failures, lock, limit)
  local n = redis.call('INCR', failures)
  if n == 1 then redis.call('PEXPIRE', failures, ARGV[3]) end
  if n >= limit then
    local doublings = math.min(n - limit, 30)
    local ms = math.min(tonumber(ARGV[4]) * 2 ^ doublings, tonumber(ARGV[5]))
    redis.call('SET', lock, n, 'PX', math.floor(ms))
  end
end
count(KEYS[1], KEYS[2], tonumber(ARGV[1]))
count(KEYS[3], KEYS[4], tonumber(ARGV[2]))
return 0
`;

/*
 * A success clears the account's count and lock, and hands back the IP's
 * point (lifting the IP lock if that brings it under its limit).
 * KEYS: account failures, account lock, IP failures, IP lock; ARGV: IP limit
 */
const SUCCESS_SCRIPT = `
redis.call('DEL', KEYS[1], KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 and redis.call('DECR', KEYS[3]) < tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[4])
end
return 0
`;

/**
 * Brute-force protection for sign-in. Failures are counted per account and per
 * IP over a window; the attempt that reaches a limit locks that key, and each
 * further failure after a lock locks it twice as long (base, 2×base, 4×base …
 * up to the maximum). A successful sign-in clears the account's count.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly settings: LoginThrottleSettings,
  ) {}

  async admit(email: string, ip: string): Promise<Admission> {
    const { settings } = this;
    const waitMs = (await this.redis.eval(
      ADMIT_SCRIPT,
      4,
      ...keys(email, ip),
      settings.maxFailuresPerAccount,
      settings.maxFailuresPerIp,
      settings.failureWindowSeconds * 1000,
      settings.lockoutBaseSeconds * 1000,
      settings.lockoutMaxSeconds * 1000,
    )) as number;
    return waitMs > 0
      ? { admitted: false, retryAfterSeconds: Math.ceil(waitMs / 1000) }
      : { admitted: true };
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await this.redis.eval(SUCCESS_SCRIPT, 4, ...keys(email, ip), this.settings.maxFailuresPerIp);
  }
}

function keys(email: string, ip: string): string[] {
  const account = accountKey(email);
  return [
    `login:failures:account:${account}`,
    `login:lock:account:${account}`,
    `login:failures:ip:${ip}`,
    `login:lock:ip:${ip}`,
  ];
}

/** Emails are personal data; Redis keys hold a hash of them instead. */
function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("base64url");
}
