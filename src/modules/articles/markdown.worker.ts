// The worker-thread entry point of the Markdown check (markdown-safety.ts).
import { readlinkSync } from "node:fs";
import type { MessagePort } from "node:worker_threads";
import { type MarkdownCheck, safeMarkdown } from "./markdown";

export interface MarkdownTask {
  markdown: string;
  /** Told when this thread starts on the task, so the deadline counts only the check. */
  started?: MessagePort;
}

/** What the thread says when it starts on a task. */
export interface TaskStarted {
  /** This thread's id in the operating system, where /proc tells it (Linux), so its CPU time can be read. */
  threadId: number | undefined;
}

export default function checkMarkdown({ markdown, started }: MarkdownTask): MarkdownCheck {
  started?.postMessage({ threadId: currentThreadId() } satisfies TaskStarted);
  started?.close();
  return safeMarkdown(markdown);
}

function currentThreadId(): number | undefined {
  try {
    // "<pid>/task/<tid>"
    return Number(readlinkSync("/proc/thread-self").split("/").at(-1));
  } catch {
    return undefined;
  }
}
