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
  logger?: Logger;
  app?: http.RequestListener;
}

/** Config as the service would load it from this test run's environment, plus overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/**
 * The real service on a free port of 127.0.0.1, with its own connections to
 * this run's database and Redis.
 */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const config = testConfig(options.env);
  const logger = options.logger ?? createLogger(config.log);
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
