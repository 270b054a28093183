import { randomUUID } from "node:crypto";
import type http from "node:http";
import { loadConfig, type Config } from "../../src/config/config";
import { createContainer, type Container } from "../../src/container";
import { createLogger, type Logger } from "../../src/core/logging/logger";
import { startService } from "../../src/server";
import { resetState } from "./database";

export interface TestService {
  url: string;
  container: Container;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  env?: Record<string, string>;
  /**
   * Start from the settings `npm start` has (defaultSettingsEnvironment) rather
   * than this test run's, whose raised limits would hide the defaults.
   */
  defaultSettings?: boolean;
  logger?: Logger;
  app?: http.RequestListener;
}

/** Config as the service would load it from this test run's environment, plus overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/**
 * The environment of `npm start` on a developer's machine, saying only where
 * this run's stores are: none of this Jest process's variables (NODE_ENV=test,
 * the limits test/setup/env.ts raises) reach the service, so every other
 * setting is the service's own default for development.
 */
export function defaultSettingsEnvironment(name = "defaults"): Record<string, string> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined) throw new Error("DATABASE_URL is set by the global setup");
  const env: Record<string, string> = {
    NODE_ENV: "development",
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: ownRedisPrefix(name),
    HOST: "127.0.0.1",
    PORT: "0",
    MIGRATE_ON_START: "false", // the global setup migrated this run's database
    LOG_LEVEL: "silent",
  };
  // The tests may be pointed at another Redis; the service must use the same one.
  if (process.env.REDIS_URL !== undefined) env.REDIS_URL = process.env.REDIS_URL;
  // Its development JWT secret is kept where this run's are (test/setup/env.ts), not in the checkout.
  if (process.env.DATA_DIR !== undefined) env.DATA_DIR = process.env.DATA_DIR;
  return env;
}

/**
 * The real service on a free port of 127.0.0.1, with its own connections to
 * this run's database and Redis.
 */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const config = options.defaultSettings
    ? loadConfig({ ...defaultSettingsEnvironment(), ...options.env })
    : testConfig(options.env);
  // JSON lines even in development: the pretty printer would start a worker
  // thread, for a log that the tests keep silent anyway.
  const logger = options.logger ?? createLogger({ ...config.log, pretty: false });
  const container = createContainer(config, logger);
  const service = await startService(container, options.app);
  return { url: service.url, container, stop: service.stop };
}

/**
 * The service shared by the tests of one `describe`: started before them,
 * stopped after them, and with both stores emptied before each test. Call it
 * in the `describe` body; what it returns is usable once the tests run.
 */
export function useTestService(options: TestServiceOptions = {}): TestService {
  let started: TestService | undefined;
  const current = (): TestService => {
    if (started === undefined) throw new Error("the test service is started in beforeAll");
    return started;
  };

  beforeAll(async () => {
    started = await startTestService(options);
  });
  afterAll(() => current().stop());
  beforeEach(() => resetState(current().container));

  return {
    get url() {
      return current().url;
    },
    get container() {
      return current().container;
    },
    stop: () => current().stop(),
  };
}

/** A Redis key sub-prefix of its own, so a service's keys and counters meet no other's. */
export function ownRedisPrefix(name: string): string {
  return `${process.env.REDIS_KEY_PREFIX}${name}-${randomUUID().slice(0, 8)}:`;
}
