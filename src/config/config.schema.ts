import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import proxyAddr from "proxy-addr";
import { z } from "zod";

const DEVELOPMENT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/conduit";
const DEVELOPMENT_REDIS_URL = "redis://127.0.0.1:6379";
const PRODUCTION_REDIS_KEY_PREFIX = "conduit:";
const MIN_PRODUCTION_SECRET_BYTES = 32;
/** A long secret made of a handful of characters ("aaaa…", "abab…") is still guessable. */
const MIN_PRODUCTION_SECRET_DISTINCT_CHARACTERS = 10;
const DAY = 86_400;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/**
 * Settings whose default depends on NODE_ENV. Production keeps the strict
 * values; development and test keep the RealWorld rules (simple passwords) and
 * get room for what people do on a laptop: the official RealWorld suites and a
 * front end's end-to-end suite register dozens of users from one address
 * within a minute, several runs back to back.
 */
const ENVIRONMENT_DEFAULTS = {
  production: {
    REGISTRATIONS_PER_IP_PER_HOUR: "20",
    REFRESHES_PER_IP_PER_MINUTE: "60",
    LOGIN_MAX_FAILURES_PER_ACCOUNT: "5",
    LOGIN_MAX_FAILURES_PER_IP: "50",
    ARTICLE_WRITES_PER_USER_PER_HOUR: "60",
    COMMENTS_PER_USER_PER_MINUTE: "10",
    FAVORITES_PER_USER_PER_MINUTE: "60",
    FOLLOWS_PER_USER_PER_MINUTE: "30",
    SOCKET_EVENTS_PER_MINUTE: "120",
    SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: "120",
    PASSWORD_REFUSE_COMMON: "true",
    PASSWORD_CHANGES_PER_USER_PER_HOUR: "5",
    EMAIL_CHANGES_PER_USER_PER_HOUR: "5",
    SIGN_INS_PER_IP_PER_HOUR: "300",
  },
  development: {
    REGISTRATIONS_PER_IP_PER_HOUR: "2000",
    REFRESHES_PER_IP_PER_MINUTE: "1000",
    LOGIN_MAX_FAILURES_PER_ACCOUNT: "20",
    LOGIN_MAX_FAILURES_PER_IP: "1000",
    ARTICLE_WRITES_PER_USER_PER_HOUR: "1000",
    COMMENTS_PER_USER_PER_MINUTE: "300",
    FAVORITES_PER_USER_PER_MINUTE: "600",
    FOLLOWS_PER_USER_PER_MINUTE: "300",
    SOCKET_EVENTS_PER_MINUTE: "600",
    SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: "1000",
    PASSWORD_REFUSE_COMMON: "false",
    PASSWORD_CHANGES_PER_USER_PER_HOUR: "1000",
    EMAIL_CHANGES_PER_USER_PER_HOUR: "1000",
    SIGN_INS_PER_IP_PER_HOUR: "10000",
  },
} as const satisfies Record<string, Record<string, string>>;

/** The ENVIRONMENT_DEFAULTS that apply to this environment; set variables win. */
export function withEnvironmentDefaults(
  environment: Record<string, string>,
): Record<string, string> {
  const defaults =
    environment.NODE_ENV === "production"
      ? ENVIRONMENT_DEFAULTS.production
      : ENVIRONMENT_DEFAULTS.development;
  return { ...defaults, ...environment };
}

/**
 * Outside production, an unset REDIS_KEY_PREFIX is named after the folder the
 * service runs from, so two checkouts on one machine never share sessions or
 * limit counters, while instances started from one checkout do.
 */
export function developmentRedisKeyPrefix(folder = process.cwd()): string {
  const digest = createHash("sha256").update(folder).digest("hex").slice(0, 8);
  return `conduit:${digest}:`;
}

/** Digits only: `Number()` would also take " ", "0x50" and "1e3". */
function integer(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

const booleanString = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

/** `*`, or origins such as `https://app.example.com` (scheme, host and port only). */
const corsOrigins = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .superRefine((origins, ctx) => {
    for (const origin of origins) {
      if (origin !== "*" && !isOrigin(origin)) {
        ctx.addIssue({
          code: "custom",
          message: `"${origin}" is not an origin such as https://app.example.com`,
        });
      }
    }
  });

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

/** Express's `trust proxy`: true/false, a hop count, or addresses, subnets and names such as loopback. */
const trustProxy = z
  .string()
  .trim()
  .min(1)
  .transform((value, ctx): boolean | number | string => {
    if (value === "true") return true;
    if (value === "false") return false;
    if (/^\d+$/.test(value)) return Number(value);
    try {
      proxyAddr.compile(value.split(",").map((item) => item.trim()));
    } catch {
      ctx.addIssue({
        code: "custom",
        message:
          "must be true, false, a hop count, or addresses/subnets (e.g. loopback, 10.0.0.0/8)",
      });
      return z.NEVER;
    }
    return value;
  });

const byteSize = z.string().regex(/^\d+(b|kb|mb)$/i, "must be a size such as 100kb or 1mb");

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" })
  .optional();
const redisUrl = z.url({ protocol: /^rediss?$/, error: "must be a redis:// URL" }).optional();

/**
 * Every environment variable the service reads. Values arrive as strings;
 * this schema turns them into typed settings.
 */
export const environmentSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    HOST: z.string().trim().min(1).default("127.0.0.1"),
    PORT: integer(0, 65_535).default(3000),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
    DATABASE_URL: postgresUrl,
    DATABASE_POOL_SIZE: integer(1, 200).default(10),
    // Bounds on every query, so a frozen or restarting PostgreSQL costs seconds, not minutes.
    DATABASE_STATEMENT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
    DATABASE_CONNECT_TIMEOUT_MS: integer(100, 60_000).default(3_000),
    MIGRATE_ON_START: booleanString.default(true),
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]+$/, "may hold letters, digits, ':', '_' and '-'")
      .optional(),
    // Bounds on every Redis command and connection attempt.
    REDIS_COMMAND_TIMEOUT_MS: integer(100, 60_000).default(2_000),
    REDIS_CONNECT_TIMEOUT_MS: integer(100, 60_000).default(2_000),
    CORS_ORIGINS: corsOrigins.optional(),
    // Unset outside production: loadConfig makes a secret for this installation in DATA_DIR.
    JWT_SECRET: z.string().optional(),
    // Files this installation keeps for itself (the development JWT secret).
    DATA_DIR: z.string().trim().min(1).default(".data"),
    JSON_BODY_LIMIT: byteSize.default("100kb"),
    TRUST_PROXY: trustProxy.default(false),
    SHUTDOWN_TIMEOUT_MS: integer(0, 120_000).default(10_000),
    MAX_PAGE_SIZE: integer(1, 1_000).default(100),
    MARKDOWN_CHECK_TIMEOUT_MS: integer(100, 60_000).default(5_000),
    DOCS_ENABLED: booleanString.default(true),
    IDEMPOTENCY_KEY_TTL_SECONDS: integer(60, 7 * DAY).default(DAY),

    JWT_ISSUER: z.string().trim().min(1).default("conduit-api"),
    JWT_AUDIENCE: z.string().trim().min(1).default("conduit-api"),
    // Unset: an access token lasts as long as its session can (ADR 0021).
    ACCESS_TOKEN_TTL_SECONDS: integer(60, 31_536_000).optional(),
    SESSION_IDLE_TTL_SECONDS: integer(300, 31_536_000).default(7 * DAY),
    SESSION_MAX_AGE_SECONDS: integer(300, 31_536_000).default(30 * DAY),
    REFRESH_REUSE_GRACE_SECONDS: integer(0, 60).default(10),
    MAX_SESSIONS_PER_USER: integer(1, 1_000).default(50),
    REFRESH_TOKEN_COOKIE: booleanString.default(false),
    REFRESH_TOKEN_COOKIE_SAMESITE: z.enum(["strict", "lax", "none"]).default("strict"),

    // OWASP's minimum for argon2id is 19 MiB, 2 passes, 1 lane; less is refused.
    ARGON2_MEMORY_KIB: integer(19_456, 4_194_304).default(19_456),
    ARGON2_TIME_COST: integer(2, 100).default(2),
    ARGON2_PARALLELISM: integer(1, 16).default(1),
    PASSWORD_REFUSE_COMMON: booleanString,
    // Unset: as many hashes at once as the machine has cores (at most 4, libuv's default pool).
    PASSWORD_HASH_CONCURRENCY: integer(1, 64).optional(),
    PASSWORD_HASH_QUEUE_LENGTH: integer(0, 10_000).default(64),
    // Off by default: RealWorld front ends never send the current password.
    REQUIRE_CURRENT_PASSWORD: booleanString.default(false),

    LOGIN_MAX_FAILURES_PER_ACCOUNT: integer(1, 1_000),
    LOGIN_MAX_FAILURES_PER_IP: integer(1, 100_000),
    LOGIN_FAILURE_WINDOW_SECONDS: integer(60, 86_400).default(3_600),

    // Per-address and per-user limits: defaults in ENVIRONMENT_DEFAULTS, by environment.
    // Writes per signed-in user are counted across instances.
    ARTICLE_WRITES_PER_USER_PER_HOUR: integer(1, 1_000_000),
    COMMENTS_PER_USER_PER_MINUTE: integer(1, 1_000_000),
    FAVORITES_PER_USER_PER_MINUTE: integer(1, 1_000_000),
    FOLLOWS_PER_USER_PER_MINUTE: integer(1, 1_000_000),
    LOGIN_LOCKOUT_BASE_SECONDS: integer(1, 3_600).default(30),
    LOGIN_LOCKOUT_MAX_SECONDS: integer(1, 86_400).default(3_600),
    REGISTRATIONS_PER_IP_PER_HOUR: integer(1, 1_000_000),
    REFRESHES_PER_IP_PER_MINUTE: integer(1, 1_000_000),
    SIGN_INS_PER_IP_PER_HOUR: integer(1, 1_000_000),
    PASSWORD_CHANGES_PER_USER_PER_HOUR: integer(1, 1_000_000),
    EMAIL_CHANGES_PER_USER_PER_HOUR: integer(1, 1_000_000),

    // Live events over Socket.IO.
    SOCKET_MAX_PAYLOAD_BYTES: integer(1_024, 1_048_576).default(16_384),
    SOCKET_EVENTS_PER_MINUTE: integer(1, 100_000),
    SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: integer(1, 1_000_000),
    SOCKET_MAX_ARTICLE_ROOMS: integer(1, 1_000).default(10),
    SOCKET_RECOVERY_SECONDS: integer(0, 3_600).default(120),
    SOCKET_STREAM_MAX_LENGTH: integer(100, 10_000_000).default(10_000),

    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  })
  .superRefine((env, ctx) => {
    if (env.SESSION_IDLE_TTL_SECONDS > env.SESSION_MAX_AGE_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["SESSION_IDLE_TTL_SECONDS"],
        message: "must not be longer than SESSION_MAX_AGE_SECONDS",
      });
    }
    if (
      env.ACCESS_TOKEN_TTL_SECONDS !== undefined &&
      env.ACCESS_TOKEN_TTL_SECONDS > env.SESSION_MAX_AGE_SECONDS
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["ACCESS_TOKEN_TTL_SECONDS"],
        message: "must not be longer than SESSION_MAX_AGE_SECONDS",
      });
    }
    if (env.LOGIN_LOCKOUT_BASE_SECONDS > env.LOGIN_LOCKOUT_MAX_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["LOGIN_LOCKOUT_BASE_SECONDS"],
        message: "must not be longer than LOGIN_LOCKOUT_MAX_SECONDS",
      });
    }
    if (env.NODE_ENV !== "production") return;
    const required = ["DATABASE_URL", "REDIS_URL", "CORS_ORIGINS", "JWT_SECRET"] as const;
    for (const key of required) {
      if (env[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: "is required in production" });
      }
    }
    if (env.TRUST_PROXY === true) {
      // `true` believes every X-Forwarded-For, so any client could pick its own address.
      ctx.addIssue({
        code: "custom",
        path: ["TRUST_PROXY"],
        message:
          "must not be true in production: any client could spoof its address past every per-address limit; give the hop count (e.g. 1) or the proxy addresses (e.g. 10.0.0.0/8)",
      });
    }
    if (env.CORS_ORIGINS?.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["CORS_ORIGINS"],
        message: "must name at least one origin",
      });
    }
    if (env.CORS_ORIGINS?.includes("*")) {
      ctx.addIssue({
        code: "custom",
        path: ["CORS_ORIGINS"],
        message: "must list the allowed origins in production, not *",
      });
    }
    const secret = env.JWT_SECRET;
    if (secret !== undefined) {
      if (Buffer.byteLength(secret) < MIN_PRODUCTION_SECRET_BYTES) {
        ctx.addIssue({
          code: "custom",
          path: ["JWT_SECRET"],
          message: `must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes in production`,
        });
      } else if (new Set(secret).size < MIN_PRODUCTION_SECRET_DISTINCT_CHARACTERS) {
        ctx.addIssue({
          code: "custom",
          path: ["JWT_SECRET"],
          message: "is too repetitive to be secret; generate one (e.g. openssl rand -base64 48)",
        });
      }
    }
  })
  .transform((env) => ({
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === "production",
    /** The folder of files this installation keeps for itself, relative to the working folder. */
    dataDir: env.DATA_DIR,
    http: {
      host: env.HOST,
      port: env.PORT,
      jsonBodyLimit: env.JSON_BODY_LIMIT,
      trustProxy: env.TRUST_PROXY,
      /** `["*"]` allows every origin. */
      corsOrigins: env.CORS_ORIGINS ?? ["*"],
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      /** The largest `limit` a list accepts. */
      maxPageSize: env.MAX_PAGE_SIZE,
    },
    content: {
      /** How much CPU time checking one article body may use before it is refused as too complex. */
      markdownCheckTimeoutMs: env.MARKDOWN_CHECK_TIMEOUT_MS,
    },
    docs: {
      /** Serve the OpenAPI document and its page under /docs. */
      enabled: env.DOCS_ENABLED,
    },
    idempotency: {
      /** How long a write's answer is kept for retries with the same Idempotency-Key. */
      keyTtlSeconds: env.IDEMPOTENCY_KEY_TTL_SECONDS,
    },
    log: {
      level: env.LOG_LEVEL,
      /** Human-readable lines in development; JSON lines everywhere else. */
      pretty: env.NODE_ENV === "development",
    },
    database: {
      url: env.DATABASE_URL ?? DEVELOPMENT_DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      migrateOnStart: env.MIGRATE_ON_START,
      /** PostgreSQL's statement_timeout for every query, and the client's own bound on it. */
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      /** How long connecting, or waiting for a free pooled connection, may take. */
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    },
    redis: {
      url: env.REDIS_URL ?? DEVELOPMENT_REDIS_URL,
      keyPrefix:
        env.REDIS_KEY_PREFIX ??
        (env.NODE_ENV === "production" ? PRODUCTION_REDIS_KEY_PREFIX : developmentRedisKeyPrefix()),
      /** A command without an answer by then fails (and the request gets a 503). */
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
    },
    auth: {
      /** Unset only outside production, until loadConfig supplies the installation's own. */
      jwtSecret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      /** Undefined: a token is accepted until its session's absolute end. */
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      sessionIdleTtlSeconds: env.SESSION_IDLE_TTL_SECONDS,
      sessionMaxAgeSeconds: env.SESSION_MAX_AGE_SECONDS,
      refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      maxSessionsPerUser: env.MAX_SESSIONS_PER_USER,
      refreshCookie: env.REFRESH_TOKEN_COOKIE
        ? { sameSite: env.REFRESH_TOKEN_COOKIE_SAMESITE }
        : undefined,
      /** Refuse the most common passwords (a deviation from the RealWorld rules; production default). */
      refuseCommonPasswords: env.PASSWORD_REFUSE_COMMON,
      /** Password and email changes, and ending other sessions, need `currentPassword`. */
      requireCurrentPassword: env.REQUIRE_CURRENT_PASSWORD,
      passwordHashing: {
        /** Hashes computed at once; the rest wait in a queue. */
        maxConcurrent:
          env.PASSWORD_HASH_CONCURRENCY ?? Math.min(4, Math.max(1, availableParallelism())),
        /** Hashes that may wait; beyond this a request gets 503 busy. */
        maxQueued: env.PASSWORD_HASH_QUEUE_LENGTH,
      },
      argon2: {
        memoryKib: env.ARGON2_MEMORY_KIB,
        timeCost: env.ARGON2_TIME_COST,
        parallelism: env.ARGON2_PARALLELISM,
      },
    },
    limits: {
      login: {
        maxFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        maxFailuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
        failureWindowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS,
        lockoutBaseSeconds: env.LOGIN_LOCKOUT_BASE_SECONDS,
        lockoutMaxSeconds: env.LOGIN_LOCKOUT_MAX_SECONDS,
      },
      registrationsPerIpPerHour: env.REGISTRATIONS_PER_IP_PER_HOUR,
      refreshesPerIpPerMinute: env.REFRESHES_PER_IP_PER_MINUTE,
      /** Successful sign-ins per client address (failures have their own throttle). */
      signInsPerIpPerHour: env.SIGN_INS_PER_IP_PER_HOUR,
      passwordChangesPerUserPerHour: env.PASSWORD_CHANGES_PER_USER_PER_HOUR,
      emailChangesPerUserPerHour: env.EMAIL_CHANGES_PER_USER_PER_HOUR,
      writesPerUser: {
        articlesPerHour: env.ARTICLE_WRITES_PER_USER_PER_HOUR,
        commentsPerMinute: env.COMMENTS_PER_USER_PER_MINUTE,
        favoritesPerMinute: env.FAVORITES_PER_USER_PER_MINUTE,
        followsPerMinute: env.FOLLOWS_PER_USER_PER_MINUTE,
      },
    },
    realtime: {
      /** A larger client packet closes the connection. */
      maxPayloadBytes: env.SOCKET_MAX_PAYLOAD_BYTES,
      /** Client events one socket may send per minute. */
      eventsPerMinute: env.SOCKET_EVENTS_PER_MINUTE,
      /** Socket handshakes per client address (IPv6 by /64) per minute, across instances. */
      connectionsPerIpPerMinute: env.SOCKET_CONNECTIONS_PER_IP_PER_MINUTE,
      /** Article rooms one socket may be in at once. */
      maxArticleRooms: env.SOCKET_MAX_ARTICLE_ROOMS,
      /** How long a dropped client may come back and get what it missed; 0 turns recovery off. */
      recoverySeconds: env.SOCKET_RECOVERY_SECONDS,
      /** Entries the shared Redis stream keeps (approximately), which bounds recovery too. */
      streamMaxLength: env.SOCKET_STREAM_MAX_LENGTH,
    },
    metrics: {
      /**
       * Bearer token for GET /metrics. Without one, /metrics is open outside
       * production and absent in production.
       */
      token: env.METRICS_TOKEN,
      enabled: env.METRICS_TOKEN !== undefined || env.NODE_ENV !== "production",
    },
  }));

/** The settings as the environment gives them: outside production JWT_SECRET may be unset. */
export type ParsedEnvironment = z.output<typeof environmentSchema>;

/** The settings the service runs with, once loadConfig has supplied a missing JWT secret. */
export type Config = ParsedEnvironment & { auth: { jwtSecret: string } };

/**
 * The database part alone, for tools that need nothing else (migrations, seed).
 * Same rules as the service: production must name the database.
 */
export const databaseEnvironmentSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: postgresUrl,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && env.DATABASE_URL === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["DATABASE_URL"],
        message: "is required in production",
      });
    }
  })
  .transform((env) => ({
    isProduction: env.NODE_ENV === "production",
    url: env.DATABASE_URL ?? DEVELOPMENT_DATABASE_URL,
  }));
