// The worker-thread entry point of the Markdown check (markdown-safety.ts).
export { safeMarkdown as default } from "./markdown";
