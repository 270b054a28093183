import { Lexer, walkTokens } from "marked";
import { parse, postprocess, preprocess } from "micromark";
import { gfm } from "micromark-extension-gfm";
import { decodeString } from "micromark-util-decode-string";
import type { Event, Extension } from "micromark-util-types";

/** Link and image targets a reader can follow safely; anything without a scheme is relative. */
const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);

/**
 * Escaping only ever removes `<`, so the loop ends; this bounds it for bodies
 * whose escaping keeps revealing new HTML (each round is a full parse).
 */
const MAX_ROUNDS = 8;

/**
 * CommonMark, and GitHub's dialect, which many front ends render with. They
 * find HTML in different places (GFM's tables split code spans at `|`, its
 * footnotes and bare-URL autolinks take in text CommonMark reads otherwise),
 * so every body is read both ways.
 */
const DIALECTS: Extension[][] = [[], [gfm()]];

export type MarkdownCheck =
  { ok: true; markdown: string } | { ok: false; problem: "unsafe-link" | "unsettled" };

/**
 * Makes an article's Markdown safe for any front end to render, while keeping
 * what the author wrote readable (docs/adr/0014-content-safety.md):
 * - raw HTML (blocks and inline tags, wherever they are) is escaped, so
 *   `<script>` is shown as text, never run; code spans and code blocks are
 *   left exactly as written;
 * - links, images and link definitions must point to http(s), mailto or a
 *   relative address, so `javascript:` and `data:` targets are refused.
 * Both rules are checked on what will be stored, under CommonMark and GFM
 * alike: escaping can change how the rest parses, so it repeats until neither
 * dialect finds HTML, and only then are the links read. What comes out parses
 * to no HTML, so checking it again changes nothing.
 *
 * Parsing is CPU-bound and some inputs are slow, so this runs in a worker
 * thread with a deadline (markdown-safety.ts), never on the event loop.
 */
export function safeMarkdown(markdown: string): MarkdownCheck {
  // U+FEFF is invisible, and parsers disagree about it (micromark skips a
  // leading one, so its offsets would not match the text; marked reads it as
  // white space), so it is dropped.
  let text = markdown.replaceAll("\uFEFF", "");
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parses = DIALECTS.map((extensions) => tokenize(text, extensions));
    const html = mergeRanges(parses.flatMap((events) => htmlRanges(events)));
    if (html.length === 0) {
      const urls = parses.flatMap((events) => linkTargets(events, text));
      if (!urls.every(isSafeUrl)) return { ok: false, problem: "unsafe-link" };
      return verifiedWithMarked(text);
    }
    text = escapeRanges(text, html);
  }
  return { ok: false, problem: "unsettled" };
}

/**
 * marked, which many RealWorld front ends render with, follows neither
 * dialect exactly (its patterns treat any Unicode space as white space, its
 * link labels have no length or nesting limits). It is used to verify, not to
 * escape: text it would still render as HTML, or with an unsafe link, is
 * refused. Ordinary bodies, once escaped as above, never trip it.
 */
function verifiedWithMarked(text: string): MarkdownCheck {
  let problem: "unsettled" | "unsafe-link" | undefined;
  // The callback is synchronous; the array of its (undefined) results is not needed.
  void walkTokens(Lexer.lex(text), (token) => {
    if (token.type === "html") problem ??= "unsettled";
    if (
      (token.type === "link" || token.type === "image") &&
      !isSafeUrl(decodeString(String(token.href)))
    ) {
      problem ??= "unsafe-link";
    }
  });
  return problem === undefined ? { ok: true, markdown: text } : { ok: false, problem };
}

function tokenize(markdown: string, extensions: Extension[]): Event[] {
  return postprocess(
    parse({ extensions })
      .document()
      .write(preprocess()(markdown, undefined, true)),
  );
}

function htmlRanges(events: Event[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const [kind, token] of events) {
    if (kind === "enter" && (token.type === "htmlFlow" || token.type === "htmlText")) {
      ranges.push([token.start.offset, token.end.offset]);
    }
  }
  return ranges;
}

/** The targets of inline links and images, link definitions and autolinks, decoded as a renderer would. */
function linkTargets(events: Event[], markdown: string): string[] {
  const targets: string[] = [];
  for (const [kind, token] of events) {
    if (
      kind === "enter" &&
      (token.type === "resourceDestinationString" ||
        token.type === "definitionDestinationString" ||
        token.type === "autolinkProtocol")
    ) {
      targets.push(decodeString(markdown.slice(token.start.offset, token.end.offset)));
    }
  }
  return targets;
}

/** Sorted, with overlapping ranges (one from each dialect) joined. */
function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const merged: Array<[number, number]> = [];
  for (const [start, end] of ranges.sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

function escapeRanges(markdown: string, ranges: Array<[number, number]>): string {
  let result = "";
  let copied = 0;
  for (const [start, end] of ranges) {
    result += markdown.slice(copied, start) + markdown.slice(start, end).replaceAll("<", "&lt;");
    copied = end;
  }
  return result + markdown.slice(copied);
}

function isSafeUrl(url: string): boolean {
  // Browsers ignore whitespace and control characters inside a scheme, and a
  // character reference to a control character decodes to U+FFFD here but to
  // the control character in a browser.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.replace(/[\s\p{Cc}\uFFFD]/gu, ""));
  return scheme === null || SAFE_SCHEMES.has(scheme[1]!.toLowerCase());
}
