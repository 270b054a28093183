import type { Redis } from "../../core/redis/redis";

/**
 * Who is viewing each article, counted across instances: a sorted set per
 * article of socket ids, scored by when each entry lapses. Instances refresh
 * their sockets' entries on a heartbeat, so an instance that dies without
 * saying goodbye stops being counted within one TTL.
 *
 * One script per change, timed by Redis's clock so instances whose clocks
 * disagree cannot expire each other's entries early.
 */
const PRESENCE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 3, #ARGV do
  if ARGV[1] == 'add' then
    redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
  elseif ARGV[1] == 'refresh' then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i])
  else
    redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
local count = redis.call('ZCARD', KEYS[1])
if count > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return count
`;

const presenceKey = (articleId: number) => `presence:article:${articleId}`;
const REFRESH_SLICE = 1_000;

export class Presence {
  constructor(
    private readonly redis: Redis,
    /** How long an entry counts without a heartbeat. */
    readonly ttlMs: number,
  ) {}

  /** Counts the sockets in; returns how many now view the article. */
  add(articleId: number, socketIds: string[]): Promise<number> {
    return this.run("add", articleId, socketIds);
  }

  remove(articleId: number, socketIds: string[]): Promise<number> {
    return this.run("remove", articleId, socketIds);
  }

  /** Keeps the sockets counted for another TTL (only those still counted). */
  async refresh(articleId: number, socketIds: string[]): Promise<void> {
    // In slices, so a crowded article does not hold Redis in one long script.
    for (let start = 0; start < socketIds.length; start += REFRESH_SLICE) {
      await this.run("refresh", articleId, socketIds.slice(start, start + REFRESH_SLICE));
    }
  }

  count(articleId: number): Promise<number> {
    return this.run("count", articleId, []);
  }

  async clear(articleId: number): Promise<void> {
    await this.redis.del(presenceKey(articleId));
  }

  private async run(
    operation: "add" | "remove" | "refresh" | "count",
    articleId: number,
    socketIds: string[],
  ): Promise<number> {
    const count = await this.redis.eval(
      PRESENCE_SCRIPT,
      1,
      presenceKey(articleId),
      operation,
      this.ttlMs,
      ...socketIds,
    );
    return Number(count);
  }
}
