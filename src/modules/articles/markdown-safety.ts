import path from "node:path";
import { Piscina } from "piscina";
import type { MarkdownCheck } from "./markdown";

export type MarkdownVerdict = MarkdownCheck | { ok: false; problem: "too-complex" };

export interface MarkdownSafetyOptions {
  /** How long one body may take to check, queueing included (starting a thread is not). */
  timeoutMs: number;
  maxThreads: number;
}

/**
 * Runs the Markdown check (markdown.ts) in worker threads (piscina), so a body
 * that is slow to parse delays neither the event loop nor other requests; one
 * that takes longer than the deadline is refused and its thread replaced.
 * Threads start on first use and stop when idle.
 */
export class MarkdownSafety {
  private pool: Piscina | undefined;
  /** Settles once a thread has answered a trivial task, i.e. is running. */
  private warm: Promise<unknown> | undefined;

  constructor(private readonly options: MarkdownSafetyOptions) {}

  async check(markdown: string): Promise<MarkdownVerdict> {
    const pool = this.workers();
    // Starting a thread (loading the parser) is not the body's fault, so it
    // does not count against the body's deadline.
    this.warm ??= pool.run("").catch((error: unknown) => {
      this.warm = undefined;
      throw error;
    });
    await this.warm;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return (await pool.run(markdown, { signal })) as MarkdownCheck;
    } catch (error) {
      if (!signal.aborted) throw error;
      // The thread that ran it is being replaced; the next check waits for it.
      this.warm = undefined;
      return { ok: false, problem: "too-complex" };
    }
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
    this.warm = undefined;
  }

  private workers(): Piscina {
    // The worker is TypeScript when the service runs from source (tsx, tests),
    // JavaScript when it runs from the build.
    const filename = path.join(__dirname, `markdown.worker${path.extname(__filename)}`);
    this.pool ??= new Piscina({
      filename,
      minThreads: 1,
      maxThreads: this.options.maxThreads,
      idleTimeout: 60_000,
      ...(filename.endsWith(".ts") ? { execArgv: ["--import", "tsx"] } : {}),
    });
    return this.pool;
  }
}
