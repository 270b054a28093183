import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/core/logging/logger";

/** A real logger whose JSON lines are kept in memory, for tests that read the logs. */
export function capturingLogger(level = "info"): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = createLogger({ level, pretty: false }, sink);
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.length > 0),
  };
}
