import { ConfigError, loadConfig, loadDatabaseConfig } from "../../src/config/config";
import { DEVELOPMENT_JWT_SECRET } from "../../src/config/config.schema";

const productionEnvironment = {
  NODE_ENV: "production",
  DATABASE_URL: "postgresql://app@db.internal:5432/conduit",
  REDIS_URL: "redis://cache.internal:6379",
  CORS_ORIGINS: "https://app.example.com, https://admin.example.com",
  JWT_SECRET: "q7Vd2kLx9Rm4Tz8Wc1Hn5Bf3Jp6Gs0Ya",
};

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
    ["REFRESH_TOKEN_COOKIE_SAMESITE", "relaxed"],
  ])("when %s is %p, then start-up names it", (variable, value) => {
    expect(problemsOf({ [variable]: value })).toContain(`- ${variable}:`);
  });

  it.each([
    [
      { ACCESS_TOKEN_TTL_SECONDS: "3600", SESSION_IDLE_TTL_SECONDS: "600" },
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

  it("when the service listens beyond loopback with the public development secret, then it refuses to start", () => {
    expect(problemsOf({ HOST: "0.0.0.0" })).toContain(
      "- JWT_SECRET: is required when listening beyond loopback",
    );
    expect(
      loadConfig({ HOST: "0.0.0.0", JWT_SECRET: "a development secret of its own" }).http.host,
    ).toBe("0.0.0.0");
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

  it("when production uses the development secret, then it refuses to start", () => {
    const message = problemsOf({ ...productionEnvironment, JWT_SECRET: DEVELOPMENT_JWT_SECRET });
    expect(message).toContain("JWT_SECRET: is the development default");
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

  it("when production allows every origin with *, then it refuses to start", () => {
    const message = problemsOf({ ...productionEnvironment, CORS_ORIGINS: "*" });
    expect(message).toContain("CORS_ORIGINS: must list the allowed origins in production, not *");
  });

  it("when production's CORS list holds no origin, then it refuses to start", () => {
    const message = problemsOf({ ...productionEnvironment, CORS_ORIGINS: " , " });
    expect(message).toContain("CORS_ORIGINS: must name at least one origin");
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
