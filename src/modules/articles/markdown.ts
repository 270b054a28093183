import type { Nodes } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { parse, postprocess, preprocess } from "micromark";

/** Link and image targets a reader can follow safely; anything without a scheme is relative. */
const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);

export type MarkdownCheck =
  { ok: true; markdown: string } | { ok: false; problem: "unsafe-link"; url: string };

/**
 * Makes an article's Markdown safe for any front end to render, while keeping
 * what the author wrote readable (docs/api.md, "Content safety"):
 * - raw HTML (blocks and inline tags) is escaped, so `<script>` is shown as
 *   text, never run; code spans and code blocks are left exactly as written;
 * - links, images and link definitions must point to http(s), mailto or a
 *   relative address, so `javascript:` and `data:` targets are refused.
 * Escaping is idempotent: text that has been through it parses to no HTML.
 */
export function safeMarkdown(markdown: string): MarkdownCheck {
  let unsafeUrl: string | undefined;
  visit(fromMarkdown(markdown), (node) => {
    if (
      (node.type === "link" || node.type === "image" || node.type === "definition") &&
      unsafeUrl === undefined &&
      !isSafeUrl(node.url)
    ) {
      unsafeUrl = node.url;
    }
  });
  if (unsafeUrl !== undefined) return { ok: false, problem: "unsafe-link", url: unsafeUrl };

  let result = "";
  let copied = 0;
  for (const [start, end] of htmlRanges(markdown)) {
    result += markdown.slice(copied, start) + markdown.slice(start, end).replaceAll("<", "&lt;");
    copied = end;
  }
  return { ok: true, markdown: result + markdown.slice(copied) };
}

function visit(node: Nodes, onNode: (node: Nodes) => void): void {
  onNode(node);
  if ("children" in node) for (const child of node.children) visit(child, onNode);
}

function isSafeUrl(url: string): boolean {
  // Browsers ignore whitespace and control characters inside a scheme.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.replace(/[\s\p{Cc}]/gu, ""));
  return scheme === null || SAFE_SCHEMES.has(scheme[1]!.toLowerCase());
}

/**
 * Where the raw HTML is, from the parser's tokens rather than the syntax tree:
 * the tree folds an image's alt text to a plain string and loses the HTML in
 * it, while the tokens keep every HTML span, wherever it sits.
 */
function htmlRanges(markdown: string): Array<[number, number]> {
  const events = postprocess(
    parse()
      .document()
      .write(preprocess()(markdown, undefined, true)),
  );
  const ranges: Array<[number, number]> = [];
  for (const [kind, token] of events) {
    if (kind === "enter" && (token.type === "htmlFlow" || token.type === "htmlText")) {
      ranges.push([token.start.offset, token.end.offset]);
    }
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}
