import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { MarkdownCheck } from "./markdown";
import type { MarkdownTask, TaskStarted } from "./markdown.worker";

export type MarkdownVerdict =
  | MarkdownCheck
  /** No thread was free within the deadline, or the machine left the check no time to run: not the body's fault. */
  | { ok: false; problem: "busy" };

export interface MarkdownSafetyOptions {
  /**
   * How long a body may wait for a free thread, and then how much CPU time
   * its check may use before the body is refused as too complex. Starting a
   * thread counts against neither.
   */
  timeoutMs: number;
  maxThreads: number;
  /** How long threads stay without a body to check before they stop (default 30 s). */
  idleStopMs?: number;
}

/**
 * A check that has not used up its CPU time after this much wall-clock time
 * (ten times the deadline, and at least 30 s) is abandoned as busy: the
 * machine is too loaded to finish it, which says nothing about the body.
 */
const wallClockLimitMs = (timeoutMs: number) => Math.max(10 * timeoutMs, 30_000);

/** Threads stop after this long without a body to check; the next body starts them again, all together. */
const IDLE_THREADS_STOP_AFTER_MS = 30_000;

/** /proc counts CPU time in ticks of 10 ms; reading it more often than this learns nothing. */
const MIN_POLL_MS = 20;

/**
 * Runs the Markdown check (markdown.ts) in worker threads (piscina), so a body
 * that is slow to parse delays neither the event loop nor other requests.
 *
 * The deadline is counted in the CPU time of the thread that runs the check
 * (read from /proc on Linux; wall-clock time elsewhere), so the verdict on a
 * body does not depend on how busy the machine is: a check that has used its
 * time is abandoned (its thread is replaced) and the body refused as too
 * complex. A body that could not start within the deadline because slow
 * bodies hold every thread, or whose check the machine left no time to run,
 * is answered as busy. Threads start on first use and stop when idle.
 */
export class MarkdownSafety {
  private pool: Piscina<MarkdownTask, MarkdownCheck> | undefined;
  /** Settles once a thread has answered a trivial task, i.e. is running. */
  private warm: Promise<unknown> | undefined;
  /** Checks in progress, and the timer that stops the threads once there are none for a while. */
  private checking = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MarkdownSafetyOptions) {}

  async check(markdown: string): Promise<MarkdownVerdict> {
    this.checking += 1;
    clearTimeout(this.idleTimer);
    try {
      return await this.checkOnThread(markdown);
    } finally {
      this.checking -= 1;
      // Each thread is a V8 isolate holding about 70 MB: idle, they are given back.
      if (this.checking === 0) {
        const idleMs = this.options.idleStopMs ?? IDLE_THREADS_STOP_AFTER_MS;
        this.idleTimer = setTimeout(() => void this.close(), idleMs);
        this.idleTimer.unref();
      }
    }
  }

  private async checkOnThread(markdown: string): Promise<MarkdownVerdict> {
    const pool = this.workers();
    // Starting a thread (loading the parser) is not the body's fault.
    this.warm ??= pool.run({ markdown: "" }).catch((error: unknown) => {
      this.warm = undefined;
      throw error;
    });
    await this.warm;

    const { timeoutMs } = this.options;
    const abort = new AbortController();
    let verdict: "busy" | "too-complex" = "busy";
    let started = false;
    const stop = (reason: typeof verdict) => {
      verdict = reason;
      abort.abort();
    };
    const { port1, port2 } = new MessageChannel();
    const waitForThread = () => {
      // Still queued behind other bodies: busy. Handed to a thread whose word
      // has not arrived yet (a loaded machine): keep waiting for it.
      if (pool.queueSize > 0) stop("busy");
      else timer = setTimeout(waitForThread, timeoutMs);
    };
    let timer = setTimeout(waitForThread, timeoutMs);
    port1.once("message", ({ threadId }: TaskStarted) => {
      clearTimeout(timer);
      started = true;
      const cpuMs = cpuClock(threadId);
      const cpuAtStart = cpuMs();
      const wallAtStart = performance.now();
      const watch = () => {
        const used = cpuMs() - cpuAtStart;
        if (used >= timeoutMs) stop("too-complex");
        else if (performance.now() - wallAtStart >= wallClockLimitMs(timeoutMs)) stop("busy");
        else timer = setTimeout(watch, Math.max(timeoutMs - used, MIN_POLL_MS));
      };
      timer = setTimeout(watch, timeoutMs);
    });
    try {
      return await pool.run(
        { markdown, started: port2 },
        { signal: abort.signal, transferList: [port2] },
      );
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      // The thread that ran it is being replaced; the next check waits for it.
      if (started) this.warm = undefined;
      return { ok: false, problem: verdict };
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }

  /** Threads running now (0 when idle for long enough). */
  get threadCount(): number {
    return this.pool?.threads.length ?? 0;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    // Forgotten first, so a check that starts meanwhile makes (and warms) a new pool.
    const pool = this.pool;
    this.pool = undefined;
    this.warm = undefined;
    await pool?.destroy();
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

/** Milliseconds of CPU time the thread has used so far, or of wall-clock time where that cannot be read. */
function cpuClock(threadId: number | undefined): () => number {
  let last = threadId === undefined ? undefined : threadCpuMs(threadId);
  if (threadId === undefined || last === undefined) return () => performance.now();
  return () => (last = threadCpuMs(threadId) ?? last!);
}

/** /proc counts CPU time in clock ticks (USER_HZ), 100 a second on every Linux that Node supports. */
const TICKS_PER_SECOND = 100;

function threadCpuMs(threadId: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${threadId}/stat`, "utf8");
    // The fields after the command name (in parentheses, which may hold
    // spaces) start at the state, field 3; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
