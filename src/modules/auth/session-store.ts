import type { Redis } from "../../core/redis/redis";
import type { Role } from "../../generated/prisma/client";
import { ROLES } from "./permissions";
import {
  formatRefreshToken,
  hashSecret,
  newRefreshToken,
  newSessionId,
  openSuccessor,
  parseRefreshToken,
  sealSuccessor,
} from "./refresh-token";

export interface SessionLifetimes {
  /** A session unused for this long ends (each authenticated request or refresh restarts the clock). */
  idleTtlSeconds: number;
  /** A session ends this long after sign-in, however busy. */
  maxAgeSeconds: number;
  /** How long after a rotation the rotated token still gets its successor back. */
  reuseGraceSeconds: number;
  /** Live sessions a user may hold; signing in beyond it ends the oldest. */
  maxPerUser: number;
}

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export interface Session extends ClientInfo {
  id: string;
  userId: number;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

export type Rotation =
  | {
      outcome: "rotated" | "repeated";
      userId: number;
      sessionId: string;
      refreshToken: string;
      /** The session's absolute end, which no token of it may outlive. */
      expiresAt: Date;
    }
  | { outcome: "reused"; userId: number; sessionId: string }
  | { outcome: "invalid" };

/*
 * Keys (under the Redis key prefix), all with TTLs:
 *   session:<sid>        hash: the session, its current token hash, the
 *                        previous one and its sealed successor
 *   session:<sid>:used   list: hashes of the last RETIRED_KEPT older tokens,
 *                        for reuse detection
 *   user-sessions:<uid>  sorted set: the user's session ids by absolute expiry,
 *                        at most `maxPerUser` (the oldest are ended first)
 */
const RETIRED_KEPT = 64;

/**
 * Every ended session is announced on this Redis channel (under the key
 * prefix; channels are not prefixed by the client), so each instance can
 * drop the live connections that belonged to it, whichever process ended it.
 */
const SESSIONS_ENDED_CHANNEL = "sessions-ended";

export interface SessionsEnded {
  userId: number;
  sessionIds: string[];
}

export function sessionsEndedChannel(keyPrefix: string): string {
  return `${keyPrefix}${SESSIONS_ENDED_CHANNEL}`;
}

const sessionKey = (sessionId: string) => `session:${sessionId}`;
const usedKey = (sessionId: string) => `session:${sessionId}:used`;
const userSessionsKey = (userId: number) => `user-sessions:${userId}`;

/**
 * One atomic step, so two refreshes racing with the same token cannot both
 * rotate: the first rotates; the second, inside the grace window, gets the
 * first one's successor; any later use of a retired token ends the session.
 */
const ROTATE_SCRIPT = `
local s = redis.call('HMGET', KEYS[1], 'current', 'previous', 'rotatedAt', 'successor', 'expiresAt', 'userId')
if not s[1] then return {'invalid'} end
-- Redis's clock, not the caller's: instances whose clocks disagree must not widen the grace window.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ARGV[1] == s[1] then
  local expiresAt = tonumber(s[5])
  if now >= expiresAt then
    redis.call('DEL', KEYS[1], KEYS[2])
    return {'invalid'}
  end
  if s[2] then
    redis.call('LPUSH', KEYS[2], s[2])
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
  end
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', ARGV[1], 'rotatedAt', now, 'successor', ARGV[3], 'lastUsedAt', now)
  local ttl = math.min(tonumber(ARGV[5]), expiresAt - now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {'rotated', s[6], s[5]}
end
if ARGV[1] == s[2] and now - tonumber(s[3]) <= tonumber(ARGV[4]) then
  return {'repeated', s[6], s[5], s[4]}
end
if ARGV[1] == s[2] or redis.call('LPOS', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'reused', s[6]}
end
return {'invalid'}
`;

/**
 * The per-request check, one round trip: the session is live and belongs to
 * this user, and what role it holds. Using it counts as activity, so the idle
 * clock restarts, at most once per TOUCH_INTERVAL_MS to keep the check a read
 * nearly always, and never past the session's absolute end.
 * Returns 0 for no live session, else the role ('' for a session from before
 * sessions held one).
 */
const TOUCH_SCRIPT = `
local s = redis.call('HMGET', KEYS[1], 'userId', 'lastUsedAt', 'expiresAt', 'role')
if s[1] ~= ARGV[1] or not s[2] or not s[3] then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local left = tonumber(s[3]) - now
if left <= 0 then return 0 end
if now - tonumber(s[2]) >= tonumber(ARGV[2]) then
  local ttl = math.min(tonumber(ARGV[3]), left)
  redis.call('HSET', KEYS[1], 'lastUsedAt', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return s[4] or ''
`;
const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_COMMAND = "conduitTouchSession";

type TouchCommand = (
  sessionKey: string,
  usedKey: string,
  userId: number,
  touchIntervalMs: number,
  idleTtlMs: number,
) => Promise<number | string>;

/**
 * Sessions started before sessions held their role carry none; they get the
 * least privilege until the user signs in again, never the role their token names.
 */
const ROLE_OF_OLDER_SESSIONS: Role = "USER";
const ROLES_HELD: ReadonlySet<string> = new Set(ROLES);

const SESSION_FIELDS = [
  "userId",
  "createdAt",
  "lastUsedAt",
  "expiresAt",
  "userAgent",
  "ip",
] as const;

/** Sessions and their refresh tokens, kept in Redis so every instance sees a revocation at once. */
export class SessionStore {
  private readonly touch: TouchCommand;

  constructor(
    private readonly redis: Redis,
    private readonly lifetimes: SessionLifetimes,
  ) {
    // A defined command is sent by its SHA, not as a whole script on every request.
    redis.defineCommand(TOUCH_COMMAND, { numberOfKeys: 2, lua: TOUCH_SCRIPT });
    const commands = redis as unknown as Record<typeof TOUCH_COMMAND, TouchCommand>;
    this.touch = commands[TOUCH_COMMAND].bind(redis);
  }

  /**
   * Starts a session and returns its first refresh token and its absolute end.
   * The session holds the user's role, which is what permission checks use; a
   * role change ends the user's sessions, so it never goes stale.
   */
  async create(
    { id: userId, role }: { id: number; role: Role },
    client: ClientInfo,
  ): Promise<{ sessionId: string; refreshToken: string; expiresAt: Date }> {
    const now = Date.now();
    const maxAgeMs = this.lifetimes.maxAgeSeconds * 1000;
    const expiresAt = now + maxAgeMs;
    const token = newRefreshToken(newSessionId());
    const key = sessionKey(token.sessionId);
    await this.redis
      .multi()
      .hset(key, {
        userId,
        role,
        createdAt: now,
        lastUsedAt: now,
        expiresAt,
        userAgent: client.userAgent ?? "",
        ip: client.ip ?? "",
        current: hashSecret(token.secret),
      })
      .pexpire(key, Math.min(this.lifetimes.idleTtlSeconds * 1000, maxAgeMs))
      .zadd(userSessionsKey(userId), expiresAt, token.sessionId)
      .zremrangebyscore(userSessionsKey(userId), "-inf", now)
      .pexpire(userSessionsKey(userId), maxAgeMs)
      .exec();
    await this.endOldestBeyondLimit(userId);
    return {
      sessionId: token.sessionId,
      refreshToken: formatRefreshToken(token),
      expiresAt: new Date(expiresAt),
    };
  }

  /**
   * The per-request revocation check, one round trip: the session is live and
   * belongs to this user (so a token naming someone else's session is refused).
   * Answers the role the session holds, or undefined when there is no such
   * live session. The request counts as use of the session, which restarts
   * its idle clock.
   */
  async use(sessionId: string, userId: number): Promise<Role | undefined> {
    const reply = await this.touch(
      sessionKey(sessionId),
      usedKey(sessionId),
      userId,
      TOUCH_INTERVAL_MS,
      this.lifetimes.idleTtlSeconds * 1000,
    );
    if (typeof reply !== "string") return undefined;
    return ROLES_HELD.has(reply) ? (reply as Role) : ROLE_OF_OLDER_SESSIONS;
  }

  /**
   * Whether the session is live and this user's. A check made on the client's
   * behalf without its doing anything (an open socket's periodic sweep)
   * passes `{ use: false }`, so it does not keep the session alive.
   */
  async isActive(sessionId: string, userId: number, { use = true } = {}): Promise<boolean> {
    if (use) return (await this.use(sessionId, userId)) !== undefined;
    return (await this.redis.hget(sessionKey(sessionId), "userId")) === String(userId);
  }

  async rotate(presented: string): Promise<Rotation> {
    const token = parseRefreshToken(presented);
    if (token === undefined) return { outcome: "invalid" };
    const successor = newRefreshToken(token.sessionId);
    const reply = (await this.redis.eval(
      ROTATE_SCRIPT,
      2,
      sessionKey(token.sessionId),
      usedKey(token.sessionId),
      hashSecret(token.secret),
      hashSecret(successor.secret),
      sealSuccessor(token.secret, successor),
      this.lifetimes.reuseGraceSeconds * 1000,
      this.lifetimes.idleTtlSeconds * 1000,
      RETIRED_KEPT,
    )) as [string, string?, string?, string?];
    const [outcome, userIdText, expiresAtText, sealed] = reply;
    const userId = Number(userIdText);
    const sessionId = token.sessionId;
    const expiresAt = new Date(Number(expiresAtText));
    switch (outcome) {
      case "rotated":
        return {
          outcome,
          userId,
          sessionId,
          refreshToken: formatRefreshToken(successor),
          expiresAt,
        };
      case "repeated": {
        const earlier = sealed === undefined ? undefined : openSuccessor(token.secret, sealed);
        if (earlier === undefined) return { outcome: "invalid" };
        return { outcome, userId, sessionId, refreshToken: formatRefreshToken(earlier), expiresAt };
      }
      case "reused":
        await this.redis.zrem(userSessionsKey(userId), sessionId);
        await this.announceEnded(userId, [sessionId]);
        return { outcome, userId, sessionId };
      default:
        return { outcome: "invalid" };
    }
  }

  /** The user's live sessions, most recently used first. */
  async list(userId: number): Promise<Session[]> {
    const ids = await this.redis.zrange(userSessionsKey(userId), "0", "-1");
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(sessionKey(id), ...SESSION_FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    const sessions: Session[] = [];
    const gone: string[] = [];
    ids.forEach((id, index) => {
      const [error, values] = replies[index] ?? [];
      const fields = values as (string | null)[] | undefined;
      if (error || fields?.[0] == null || Number(fields[0]) !== userId) {
        gone.push(id);
        return;
      }
      const [, createdAt, lastUsedAt, expiresAt, userAgent, ip] = fields;
      sessions.push({
        id,
        userId,
        createdAt: new Date(Number(createdAt)),
        lastUsedAt: new Date(Number(lastUsedAt)),
        expiresAt: new Date(Number(expiresAt)),
        userAgent: userAgent || null,
        ip: ip || null,
      });
    });
    // Sessions that expired on their own leave their id behind; tidy as we go.
    if (gone.length > 0) await this.redis.zrem(userSessionsKey(userId), ...gone);
    return sessions.sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime());
  }

  /** Ends one of the user's sessions; false when the user has no such session. */
  async revoke(userId: number, sessionId: string): Promise<boolean> {
    // Checked first, so nobody can end a session that is not theirs.
    if ((await this.redis.zscore(userSessionsKey(userId), sessionId)) === null) return false;
    await this.endSessions(userId, [sessionId]);
    return true;
  }

  /** A user signing in again and again must not fill Redis: past the limit, the oldest sessions end. */
  private async endOldestBeyondLimit(userId: number): Promise<void> {
    const excess = (await this.redis.zcard(userSessionsKey(userId))) - this.lifetimes.maxPerUser;
    if (excess <= 0) return;
    const oldest = await this.redis.zrange(userSessionsKey(userId), "0", String(excess - 1));
    await this.endSessions(userId, oldest);
  }

  /** Ends every session of the user, or every one but `keep`. */
  async revokeAll(userId: number, keep?: string): Promise<void> {
    const ids = await this.redis.zrange(userSessionsKey(userId), "0", "-1");
    await this.endSessions(
      userId,
      ids.filter((id) => id !== keep),
    );
  }

  private async endSessions(userId: number, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis
      .multi()
      .zrem(userSessionsKey(userId), ...ids)
      .del(...ids.flatMap((id) => [sessionKey(id), usedKey(id)]))
      .exec();
    await this.announceEnded(userId, ids);
  }

  private async announceEnded(userId: number, sessionIds: string[]): Promise<void> {
    const announcement: SessionsEnded = { userId, sessionIds };
    await this.redis.publish(
      sessionsEndedChannel(this.redis.options.keyPrefix ?? ""),
      JSON.stringify(announcement),
    );
  }
}
