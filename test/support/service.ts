import type http from "node:http";
import { loadConfig, type Config } from "../../src/config/config";
import { createContainer, type Container } from "../../src/container";
import { createLogger, type Logger } from "../../src/core/logging/logger";
import { startService } from "../../src/server";

export interface TestService {
  url: string;
  container: Container;
  stop(): Promise<void>;
}

/** Config as the service would load it from this test run's environment, plus overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/**
 * The real service on a free port of 127.0.0.1, with its own connections to
 * this run's database and Redis.
 */
export async function startTestService(
  options: { env?: Record<string, string>; logger?: Logger; app?: http.RequestListener } = {},
): Promise<TestService> {
  const config = testConfig(options.env);
  const logger = options.logger ?? createLogger(config.log);
  const container = createContainer(config, logger);
  const service = await startService(container, options.app);
  return { url: service.url, container, stop: service.stop };
}
