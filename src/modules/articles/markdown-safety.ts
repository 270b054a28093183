import path from "node:path";
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { MarkdownCheck } from "./markdown";
import type { MarkdownTask } from "./markdown.worker";

export type MarkdownVerdict =
  | MarkdownCheck
  | { ok: false; problem: "too-complex" }
  /** No thread was free within the deadline: the service is busy, not the body at fault. */
  | { ok: false; problem: "busy" };

export interface MarkdownSafetyOptions {
  /**
   * How long a body may wait for a free thread, and then how long its check
   * may run. Starting a thread counts against neither.
   */
  timeoutMs: number;
  maxThreads: number;
}

/**
 * Runs the Markdown check (markdown.ts) in worker threads (piscina), so a body
 * that is slow to parse delays neither the event loop nor other requests. A
 * check that runs past the deadline is abandoned (its thread is replaced) and
 * the body refused as too complex; one that could not start within the
 * deadline, because slow bodies hold every thread, is answered as busy.
 * Threads start on first use and stop when idle.
 */
export class MarkdownSafety {
  private pool: Piscina<MarkdownTask, MarkdownCheck> | undefined;
  /** Settles once a thread has answered a trivial task, i.e. is running. */
  private warm: Promise<unknown> | undefined;

  constructor(private readonly options: MarkdownSafetyOptions) {}

  async check(markdown: string): Promise<MarkdownVerdict> {
    const pool = this.workers();
    // Starting a thread (loading the parser) is not the body's fault.
    this.warm ??= pool.run({ markdown: "" }).catch((error: unknown) => {
      this.warm = undefined;
      throw error;
    });
    await this.warm;

    const { timeoutMs } = this.options;
    const abort = new AbortController();
    const progress = { started: false };
    const { port1, port2 } = new MessageChannel();
    let timer = setTimeout(() => abort.abort(), timeoutMs);
    port1.once("message", () => {
      clearTimeout(timer);
      progress.started = true;
      timer = setTimeout(() => abort.abort(), timeoutMs);
    });
    try {
      return await pool.run(
        { markdown, started: port2 },
        { signal: abort.signal, transferList: [port2] },
      );
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      if (!progress.started) return { ok: false, problem: "busy" };
      // The thread that ran it is being replaced; the next check waits for it.
      this.warm = undefined;
      return { ok: false, problem: "too-complex" };
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
    this.warm = undefined;
  }

  private workers(): Piscina<MarkdownTask, MarkdownCheck> {
    // The worker is TypeScript when the service runs from source (tsx, tests),
    // JavaScript when it runs from the build.
    const filename = path.join(__dirname, `markdown.worker${path.extname(__filename)}`);
    this.pool ??= new Piscina({
      filename,
      // All threads start together, so none starts while a body waits for it.
      minThreads: this.options.maxThreads,
      maxThreads: this.options.maxThreads,
      idleTimeout: 60_000,
      ...(filename.endsWith(".ts") ? { execArgv: ["--import", "tsx"] } : {}),
    });
    return this.pool;
  }
}
