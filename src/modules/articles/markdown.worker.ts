// The worker-thread entry point of the Markdown check (markdown-safety.ts).
import type { MessagePort } from "node:worker_threads";
import { type MarkdownCheck, safeMarkdown } from "./markdown";

export interface MarkdownTask {
  markdown: string;
  /** Told when this thread starts on the task, so the deadline counts only the check. */
  started?: MessagePort;
}

export default function checkMarkdown({ markdown, started }: MarkdownTask): MarkdownCheck {
  started?.postMessage("started");
  started?.close();
  return safeMarkdown(markdown);
}
