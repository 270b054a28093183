import { ConfigError, loadConfig, loadDotEnvFile } from "./config/config";
import { isLoopbackHost } from "./config/config.schema";
import { createContainer } from "./container";
import { applyMigrations } from "./core/database/migrations/migrator";
import { createLogger } from "./core/logging/logger";
import { startService } from "./server";

/** The entry point: configure, migrate, listen, and shut down cleanly on a signal. */
async function main(): Promise<void> {
  loadDotEnvFile();
  const config = loadConfig();
  const logger = createLogger(config.log);

  // A failure nothing handled leaves the process in an unknown state: log it and exit.
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled promise rejection");
    process.exit(1);
  });
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception");
    process.exit(1);
  });

  if (config.database.migrateOnStart) {
    const { applied } = await applyMigrations(config.database.url, {
      log: (line) => logger.info(line),
    });
    logger.info({ applied }, `database schema is current (${applied.length} applied)`);
  }

  if (!config.isProduction && !isLoopbackHost(config.http.host)) {
    // Beyond loopback, a forgotten NODE_ENV=production would serve with the roomy limits.
    logger.warn(
      { env: config.env, host: config.http.host },
      "serving beyond loopback with development defaults (roomy limits, common passwords accepted); set NODE_ENV=production for a deployment",
    );
  }
  const container = createContainer(config, logger);
  const service = await startService(container);
  logger.info({ url: service.url, env: config.env }, "conduit api is listening");

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, "shutting down");
    service.stop().then(
      () => {
        logger.info("stopped");
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error("conduit api failed to start:", error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
