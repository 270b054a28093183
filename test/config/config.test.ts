import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  ConfigError,
  loadConfig as loadConfigFrom,
  loadDatabaseConfig,
  type Config,
} from "../../src/config/config";
import { developmentRedisKeyPrefix } from "../../src/config/config.schema";

/** Where the development secret that loads without JWT_SECRET make is kept: never the checkout. */
const dataDir = mkdtempSync(path.join(tmpdir(), "conduit-config-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function loadConfig(environment: Record<string, string | undefined>): Config {
  return loadConfigFrom({ DATA_DIR: dataDir, ...environment });
}

const productionEnvironment = {
  NODE_ENV: "production",
  DATABASE_URL: "postgresql://app@db.internal:5432/conduit",
  REDIS_URL: "redis://cache.internal:6379",
  CORS_ORIGINS: "https://app.example.com, https://admin.example.com",
  JWT_SECRET: "q7Vd2kLx9Rm4Tz8Wc1Hn5Bf3Jp6Gs0Ya",
};

/** The settings whose default depends on NODE_ENV, by the variable that sets each. */
function environmentDependent(config: Config) {
  const { limits, realtime } = config;
  return {
    REGISTRATIONS_PER_IP_PER_HOUR: limits.registrationsPerIpPerHour,
    REFRESHES_PER_IP_PER_MINUTE: limits.refreshesPerIpPerMinute,
    LOGIN_MAX_FAILURES_PER_ACCOUNT: limits.login.maxFailuresPerAccount,
    LOGIN_MAX_FAILURES_PER_IP: limits.login.maxFailuresPerIp,
    ARTICLE_WRITES_PER_USER_PER_HOUR: limits.writesPerUser.articlesPerHour,
    COMMENTS_PER_USER_PER_MINUTE: limits.writesPerUser.commentsPerMinute,
    FAVORITES_PER_USER_PER_MINUTE: limits.writesPerUser.favoritesPerMinute,
    FOLLOWS_PER_USER_PER_MINUTE: limits.writesPerUser.followsPerMinute,
    SOCKET_EVENTS_PER_MINUTE: realtime.eventsPerMinute,
    SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: realtime.connectionsPerIpPerMinute,
    PASSWORD_REFUSE_COMMON: config.auth.refuseCommonPasswords,
    SIGN_INS_PER_IP_PER_HOUR: limits.signInsPerIpPerHour,
    PASSWORD_CHANGES_PER_USER_PER_HOUR: limits.passwordChangesPerUserPerHour,
    EMAIL_CHANGES_PER_USER_PER_HOUR: limits.emailChangesPerUserPerHour,
    REDIS_KEY_PREFIX: config.redis.keyPrefix,
  };
}

function problemsOf(environment: Record<string, string>): string {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadConfig", () => {
  it("when nothing is set, then development defaults reach the local PostgreSQL and Redis", () => {
    const config = loadConfig({});
    expect(config.env).toBe("development");
    expect(config.http).toMatchObject({ host: "127.0.0.1", port: 3000, jsonBodyLimit: "100kb" });
    expect(config.database.url).toBe("postgresql://postgres@127.0.0.1:5432/conduit");
    expect(config.redis.url).toBe("redis://127.0.0.1:6379");
    expect(config.http.corsOrigins).toEqual(["*"]);
    expect(config.log.pretty).toBe(true);
  });

  it("when values are given, then they are typed and the object is frozen all the way down", () => {
    const config = loadConfig({
      PORT: "8080",
      TRUST_PROXY: "2",
      CORS_ORIGINS: "https://a.example, ,https://b.example",
      MIGRATE_ON_START: "false",
      LOG_LEVEL: "warn",
    });
    expect(config.http.port).toBe(8080);
    expect(config.http.trustProxy).toBe(2);
    expect(config.http.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
    expect(config.database.migrateOnStart).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http.corsOrigins)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ["true", true],
    ["false", false],
    ["loopback, 10.0.0.0/8", "loopback, 10.0.0.0/8"],
  ])("when TRUST_PROXY is %p, then Express gets %p", (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });

  it("when an empty string is given, then the variable counts as unset", () => {
    expect(loadConfig({ PORT: "" }).http.port).toBe(3000);
  });

  it.each([
    ["PORT", " "],
    ["PORT", "0x50"],
    ["PORT", "1e3"],
    ["PORT", "65536"],
    ["DATABASE_POOL_SIZE", "0"],
    ["TRUST_PROXY", "junk"],
    ["CORS_ORIGINS", "app.example.com"],
    ["CORS_ORIGINS", "https://app.example.com/"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["MIGRATE_ON_START", "yes"],
    ["ARGON2_MEMORY_KIB", "8192"],
    ["ACCESS_TOKEN_TTL_SECONDS", "30"],
    ["ACCESS_TOKEN_TTL_SECONDS", "31536001"],
    ["REFRESH_TOKEN_COOKIE_SAMESITE", "relaxed"],
  ])("when %s is %p, then start-up names it", (variable, value) => {
    expect(problemsOf({ [variable]: value })).toContain(`- ${variable}:`);
  });

  it.each([
    [
      { ACCESS_TOKEN_TTL_SECONDS: "7200", SESSION_MAX_AGE_SECONDS: "3600" },
      "ACCESS_TOKEN_TTL_SECONDS",
    ],
    [
      { SESSION_IDLE_TTL_SECONDS: "7200", SESSION_MAX_AGE_SECONDS: "3600" },
      "SESSION_IDLE_TTL_SECONDS",
    ],
    [
      { LOGIN_LOCKOUT_BASE_SECONDS: "120", LOGIN_LOCKOUT_MAX_SECONDS: "60" },
      "LOGIN_LOCKOUT_BASE_SECONDS",
    ],
  ])(
    "when lifetimes contradict each other (%p), then start-up names %s",
    (environment, variable) => {
      expect(problemsOf(environment)).toContain(`- ${variable}: must not be longer than`);
    },
  );

  it("when ACCESS_TOKEN_TTL_SECONDS is unset, then tokens have no lifetime of their own: each lasts until its session's end", () => {
    expect(loadConfig({}).auth.accessTokenTtlSeconds).toBeUndefined();
  });

  it("when ACCESS_TOKEN_TTL_SECONDS is longer than the idle TTL but not the session's maximum age, then it is accepted (each use restarts the idle clock)", () => {
    const config = loadConfig({
      ACCESS_TOKEN_TTL_SECONDS: "2592000",
      SESSION_IDLE_TTL_SECONDS: "600",
      SESSION_MAX_AGE_SECONDS: "2592000",
    });
    expect(config.auth.accessTokenTtlSeconds).toBe(2_592_000);
  });

  it("when the service listens beyond loopback without JWT_SECRET, then it starts with the installation's own secret", () => {
    const config = loadConfig({ HOST: "0.0.0.0" });
    expect(config.http.host).toBe("0.0.0.0");
    expect(config.auth.jwtSecret).toBe(loadConfig({}).auth.jwtSecret);
    expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it("when several variables are bad, then one message names every problem", () => {
    const message = problemsOf({
      PORT: "eighty",
      DATABASE_URL: "mysql://localhost/x",
      LOG_LEVEL: "loud",
      JSON_BODY_LIMIT: "lots",
    });
    expect(message).toMatch(/^Invalid configuration \(4 problems\)/);
    for (const variable of ["PORT", "DATABASE_URL", "LOG_LEVEL", "JSON_BODY_LIMIT"]) {
      expect(message).toContain(`- ${variable}:`);
    }
  });

  it("when production has everything it needs, then it starts with JSON logs", () => {
    const config = loadConfig(productionEnvironment);
    expect(config.isProduction).toBe(true);
    expect(config.log.pretty).toBe(false);
    expect(config.http.corsOrigins).toEqual([
      "https://app.example.com",
      "https://admin.example.com",
    ]);
  });

  it("when production lacks its secrets and services, then each missing one is named", () => {
    const message = problemsOf({ NODE_ENV: "production" });
    for (const variable of ["DATABASE_URL", "REDIS_URL", "CORS_ORIGINS", "JWT_SECRET"]) {
      expect(message).toContain(`- ${variable}: is required in production`);
    }
  });

  it("when production's secret is shorter than 32 bytes, then it refuses to start", () => {
    const message = problemsOf({
      ...productionEnvironment,
      JWT_SECRET: "q7Vd2kLx9Rm4Tz8Wc1Hn5Bf3Jp6Gs0",
    });
    expect(message).toContain("JWT_SECRET: must be at least 32 bytes in production");
  });

  it.each(["x".repeat(32), "ab".repeat(20), " ".repeat(40)])(
    "when production's secret is long but repetitive (%p), then it refuses to start",
    (secret) => {
      const message = problemsOf({ ...productionEnvironment, JWT_SECRET: secret });
      expect(message).toContain("JWT_SECRET: is too repetitive to be secret");
    },
  );

  it("when production trusts every proxy (TRUST_PROXY=true), then it refuses to start and asks for a hop count or addresses", () => {
    const message = problemsOf({ ...productionEnvironment, TRUST_PROXY: "true" });
    expect(message).toContain("TRUST_PROXY: must not be true in production");
    expect(message).toContain("hop count");
    expect(loadConfig({ ...productionEnvironment, TRUST_PROXY: "1" }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "true" }).http.trustProxy).toBe(true);
  });

  it("when production allows every origin with *, then it refuses to start", () => {
    const message = problemsOf({ ...productionEnvironment, CORS_ORIGINS: "*" });
    expect(message).toContain("CORS_ORIGINS: must list the allowed origins in production, not *");
  });

  it("when production's CORS list holds no origin, then it refuses to start", () => {
    const message = problemsOf({ ...productionEnvironment, CORS_ORIGINS: " , " });
    expect(message).toContain("CORS_ORIGINS: must name at least one origin");
  });
});

describe("defaults that depend on NODE_ENV", () => {
  it("when production sets none of the limits, then they are the strict ones, common passwords are refused and the Redis prefix is conduit:", () => {
    expect(environmentDependent(loadConfig(productionEnvironment))).toEqual({
      REGISTRATIONS_PER_IP_PER_HOUR: 20,
      REFRESHES_PER_IP_PER_MINUTE: 60,
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 5,
      LOGIN_MAX_FAILURES_PER_IP: 50,
      ARTICLE_WRITES_PER_USER_PER_HOUR: 60,
      COMMENTS_PER_USER_PER_MINUTE: 10,
      FAVORITES_PER_USER_PER_MINUTE: 60,
      FOLLOWS_PER_USER_PER_MINUTE: 30,
      SOCKET_EVENTS_PER_MINUTE: 120,
      SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: 120,
      PASSWORD_REFUSE_COMMON: true,
      SIGN_INS_PER_IP_PER_HOUR: 300,
      PASSWORD_CHANGES_PER_USER_PER_HOUR: 5,
      EMAIL_CHANGES_PER_USER_PER_HOUR: 5,
      REDIS_KEY_PREFIX: "conduit:",
    });
  });

  it.each([{}, { NODE_ENV: "development" }, { NODE_ENV: "test" }])(
    "when the environment is %j, then the limits leave room for the RealWorld suites, common passwords are accepted and the Redis prefix is the checkout's",
    (environment) => {
      expect(environmentDependent(loadConfig(environment))).toEqual({
        REGISTRATIONS_PER_IP_PER_HOUR: 2000,
        REFRESHES_PER_IP_PER_MINUTE: 1000,
        LOGIN_MAX_FAILURES_PER_ACCOUNT: 20,
        LOGIN_MAX_FAILURES_PER_IP: 1000,
        ARTICLE_WRITES_PER_USER_PER_HOUR: 1000,
        COMMENTS_PER_USER_PER_MINUTE: 300,
        FAVORITES_PER_USER_PER_MINUTE: 600,
        FOLLOWS_PER_USER_PER_MINUTE: 300,
        SOCKET_EVENTS_PER_MINUTE: 600,
        SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: 1000,
        PASSWORD_REFUSE_COMMON: false,
        SIGN_INS_PER_IP_PER_HOUR: 10000,
        PASSWORD_CHANGES_PER_USER_PER_HOUR: 1000,
        EMAIL_CHANGES_PER_USER_PER_HOUR: 1000,
        REDIS_KEY_PREFIX: developmentRedisKeyPrefix(process.cwd()),
      });
    },
  );

  it.each([
    ["production", productionEnvironment],
    ["development", {}],
  ])("when %s sets each of them, then the set values win", (_name, environment) => {
    const set = {
      REGISTRATIONS_PER_IP_PER_HOUR: 3,
      REFRESHES_PER_IP_PER_MINUTE: 4,
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 6,
      LOGIN_MAX_FAILURES_PER_IP: 7,
      ARTICLE_WRITES_PER_USER_PER_HOUR: 8,
      COMMENTS_PER_USER_PER_MINUTE: 9,
      FAVORITES_PER_USER_PER_MINUTE: 11,
      FOLLOWS_PER_USER_PER_MINUTE: 12,
      SOCKET_EVENTS_PER_MINUTE: 13,
      SOCKET_CONNECTIONS_PER_IP_PER_MINUTE: 14,
      // The opposite of each environment's default.
      PASSWORD_REFUSE_COMMON: !loadConfig(environment).auth.refuseCommonPasswords,
      SIGN_INS_PER_IP_PER_HOUR: 15,
      PASSWORD_CHANGES_PER_USER_PER_HOUR: 16,
      EMAIL_CHANGES_PER_USER_PER_HOUR: 17,
      REDIS_KEY_PREFIX: "mine:",
    };
    const variables = Object.fromEntries(
      Object.entries(set).map(([name, value]) => [name, String(value)]),
    );
    expect(environmentDependent(loadConfig({ ...environment, ...variables }))).toEqual(set);
  });

  it("when the development prefix is named, then it is conduit: and 8 hex digits of the folder's SHA-256: one per checkout, the same every time", () => {
    const folder = "/home/someone/conduit";
    const digest = createHash("sha256").update(folder).digest("hex").slice(0, 8);
    expect(developmentRedisKeyPrefix(folder)).toBe(`conduit:${digest}:`);
    expect(developmentRedisKeyPrefix(folder)).toBe(developmentRedisKeyPrefix(folder));
    expect(developmentRedisKeyPrefix("/home/someone/conduit-copy")).not.toBe(
      developmentRedisKeyPrefix(folder),
    );
    // Unset, the prefix is named after the folder the service runs from.
    expect(loadConfig({}).redis.keyPrefix).toBe(developmentRedisKeyPrefix(process.cwd()));
  });
});

describe("loadDatabaseConfig", () => {
  it("when nothing is set, then the development database is used", () => {
    expect(loadDatabaseConfig({}).url).toBe("postgresql://postgres@127.0.0.1:5432/conduit");
  });

  it("when production names no database, then it is refused", () => {
    expect(() => loadDatabaseConfig({ NODE_ENV: "production" })).toThrow(
      "DATABASE_URL: is required in production",
    );
  });

  it("when the URL is not PostgreSQL, then it is refused", () => {
    expect(() => loadDatabaseConfig({ DATABASE_URL: "mysql://db/app" })).toThrow(ConfigError);
  });
});

describe("start-up with a refused configuration", () => {
  it("when production is started with TRUST_PROXY=true, then the process exits 1 before listening and says why and what to set instead", async () => {
    const root = path.resolve(__dirname, "../..");
    const environment = {
      PATH: process.env.PATH,
      ...productionEnvironment,
      TRUST_PROXY: "true",
      MIGRATE_ON_START: "false",
      PORT: "0",
    };
    const outcome = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", path.join("src", "main.ts")],
      { cwd: root, env: environment, timeout: 60_000 },
    ).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

    expect(outcome.code).toBe(1);
    expect(outcome.stdout).not.toContain("listening");
    expect(outcome.stderr).toContain("Invalid configuration (1 problem):");
    expect(outcome.stderr).toContain(
      "- TRUST_PROXY: must not be true in production: any client could spoof its address past every per-address limit; give the hop count (e.g. 1) or the proxy addresses (e.g. 10.0.0.0/8)",
    );
  }, 90_000);
});
