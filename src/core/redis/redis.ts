import { Redis, type RedisOptions as ClientOptions } from "ioredis";
import { MaxRetriesPerRequestError } from "ioredis/built/errors";
import type { Logger } from "../logging/logger";

export type { Redis } from "ioredis";

export interface RedisOptions {
  url: string;
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
  /** How long one command may wait for its answer before it fails as "Redis is unavailable". */
  commandTimeoutMs: number;
  /** How long opening a connection may take before the attempt counts as failed. */
  connectTimeoutMs: number;
}

/**
 * What a connection is for. `requests` connections answer within the command
 * timeout whatever Redis does, and fail at once while Redis is known to be
 * away. `background` connections (subscriptions, blocking stream reads) wait
 * for Redis instead and carry on when it is back.
 */
export type RedisDuty = "requests" | "background";

/**
 * The service's Redis client, for commands made while serving a request.
 * Its duplicates are background connections of the same role; give a
 * connection a role of its own with `duplicateRedis`.
 */
export function createRedis(options: RedisOptions, logger: Logger): Redis {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    // A Redis that takes a connection but answers nothing (frozen, or a dead
    // peer behind a live TCP connection) is dropped and reconnected, so it
    // counts as away: requests stop waiting for it, and commands stop piling
    // up on a connection that will never answer them. Twice the command
    // timeout, so a pause of this process's event loop alone (which delays
    // reading an answer that has arrived) does not drop a healthy connection.
    socketTimeout: options.commandTimeoutMs * SOCKET_TIMEOUT_FACTOR,
    maxRetriesPerRequest: 1,
    // A command whose answer was lost with its connection has already failed
    // for its caller (or will, at its timeout); sending it again later would
    // apply a write the caller was told did not happen.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    // disconnect() is only used on a connection that is already failing; no
    // point holding the process 2 s (the default) for its socket to end.
    disconnectTimeout: 500,
  });
  return configure(client, "requests", new OutageLog("commands", logger), {
    backgroundSettings: backgroundSettings(options.commandTimeoutMs),
  });
}

/** How many command timeouts a connection may stay silent, with commands waiting, before it is dropped. */
const SOCKET_TIMEOUT_FACTOR = 2;

/** A connection of its own, e.g. for a library that duplicates it for its blocking reads. */
export function duplicateRedis(redis: Redis, role: string, duty: RedisDuty): Redis {
  const made = configured.get(redis);
  if (made === undefined) throw new Error("not a client made by createRedis");
  const settings = duty === "requests" ? requestSettingsOf(redis) : made.backgroundSettings;
  return configure(made.duplicate(settings), duty, new OutageLog(role, made.log.logger), made);
}

/**
 * Errors that mean "Redis cannot answer right now" (503), as opposed to a
 * mistake in the command: a connection that is closed, away or too slow, and
 * the replies of a Redis that cannot serve yet.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof MaxRetriesPerRequestError) return true;
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_MESSAGES.has(error.message)) return true;
  return error.name === "ReplyError" && UNAVAILABLE_REPLY.test(error.message);
}

const UNAVAILABLE_MESSAGES = new Set([
  "Connection is closed.",
  "Command timed out",
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Command aborted due to connection close",
]);

/**
 * Loading its data after a restart, a script running too long, a replica cut
 * off from its primary or written to during a failover, memory full, or no
 * room for another client.
 */
const UNAVAILABLE_REPLY =
  /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|OOM|READONLY)\b|^ERR max number of clients/;

/**
 * Background connections wait for Redis rather than fail: a subscription made
 * while Redis is away is made when it is back, and a blocking read has no
 * command timeout shorter than its own block time.
 */
function backgroundSettings(commandTimeoutMs: number): Partial<ClientOptions> {
  return {
    commandTimeout: undefined,
    socketTimeout: undefined,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    // A blocking read still gets a bound: its own block time plus this grace,
    // or this long while it waits in the queue for Redis to come back, so a
    // frozen Redis cannot hold it for ever.
    blockingTimeout: BACKGROUND_BLOCKING_TIMEOUT_MS,
    blockingTimeoutGrace: commandTimeoutMs,
  };
}

/** How long a background connection's blocking read without a block time of its own may wait. */
const BACKGROUND_BLOCKING_TIMEOUT_MS = 10_000;

/** A requests connection's settings, for a duplicate of it with the same duty. */
function requestSettingsOf(redis: Redis): Partial<ClientOptions> {
  const { commandTimeout, socketTimeout, autoResendUnfulfilledCommands } = redis.options;
  return { commandTimeout, socketTimeout, autoResendUnfulfilledCommands, enableOfflineQueue: true };
}

interface Configured {
  log: OutageLog;
  backgroundSettings: Partial<ClientOptions>;
  /** ioredis's own duplicate(), before configure() replaced it. */
  duplicate: (override: Partial<ClientOptions>) => Redis;
}

const configured = new WeakMap<Redis, Configured>();

/**
 * Watches the connection for outages and gives it its duty's behaviour. Its
 * duplicates, however they are made (libraries duplicate connections for
 * their own use), are background connections of the same role.
 */
function configure(
  client: Redis,
  duty: RedisDuty,
  log: OutageLog,
  { backgroundSettings }: Pick<Configured, "backgroundSettings">,
): Redis {
  const made: Configured = {
    log,
    backgroundSettings,
    duplicate: client.duplicate.bind(client),
  };
  configured.set(client, made);
  log.watch(client);
  if (duty === "requests") failFastOnceConnected(client);
  client.duplicate = (override?: Partial<ClientOptions>) =>
    configure(made.duplicate({ ...made.backgroundSettings, ...override }), "background", log, made);
  return client;
}

/**
 * Commands wait for the first connection, bounded by the command timeout, so
 * a service that has just started (or starts while Redis is away) does not
 * refuse requests that Redis would answer a moment later. Once connected, a
 * command sent while the connection is down fails at once instead of waiting
 * for a reconnection that may take seconds.
 */
function failFastOnceConnected(client: Redis): void {
  client.once("ready", () => {
    client.options.enableOfflineQueue = false;
  });
}

/**
 * One line when a role's connections lose Redis and one when all of them have
 * it back, however many retries lie between. Listening to `error` also keeps
 * ioredis from printing its "Unhandled error event".
 */
class OutageLog {
  private readonly down = new Set<Redis>();

  constructor(
    private readonly role: string,
    readonly logger: Logger,
  ) {}

  watch(client: Redis): void {
    const lost = (error?: Error): void => {
      if (this.down.has(client)) return;
      this.down.add(client);
      if (this.down.size === 1) {
        this.logger.warn({ role: this.role, err: error }, "redis is unreachable; retrying");
      }
    };
    client.on("error", lost);
    client.on("reconnecting", () => lost());
    client.on("ready", () => {
      if (this.down.delete(client) && this.down.size === 0) {
        this.logger.info({ role: this.role }, "redis is reachable again");
      }
    });
    // A connection closed on purpose (shutdown) is no longer waited for.
    client.on("end", () => this.down.delete(client));
  }
}
