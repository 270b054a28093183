import { Lexer, walkTokens } from "marked";
import { parse, postprocess, preprocess } from "micromark";
import { gfm } from "micromark-extension-gfm";
import { decodeString } from "micromark-util-decode-string";
import type { Event, Extension } from "micromark-util-types";

/** Link and image targets a reader can follow safely; anything without a scheme is relative. */
const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);

/**
 * Escaping only ever removes `<`, `"` and backslashes, so the loop ends; this bounds it for
 * bodies whose escaping keeps revealing new HTML (each round is a full parse).
 */
const MAX_ROUNDS = 8;

/**
 * Deeper than any document nests lists and block quotes on one line; parsers
 * slow down with depth, and marked overflows its stack a few thousand deep.
 */
const MAX_NESTING = 100;

/**
 * Emphasis markers (runs of `*`, `_`, `~`) in one paragraph. An author's
 * hundreds parse in milliseconds; matching tens of thousands takes micromark
 * minutes, as its cost grows with the square of the count.
 */
const MAX_EMPHASIS_RUNS = 1_000;

/**
 * CommonMark, and GitHub's dialect, which many front ends render with. They
 * find HTML in different places (GFM's tables split code spans at `|`, its
 * footnotes and bare-URL autolinks take in text CommonMark reads otherwise),
 * so every body is read both ways.
 */
const DIALECTS: Extension[][] = [[], [gfm()]];

export type MarkdownCheck =
  | { ok: true; markdown: string }
  | { ok: false; problem: "unsafe-link" | "unsettled" | "too-complex" };

/**
 * Makes an article's Markdown safe for any front end to render, while keeping
 * what the author wrote readable (docs/adr/0014-content-safety.md):
 * - raw HTML (blocks and inline tags, wherever they are) is escaped, so
 *   `<script>` is shown as text, never run; so is every other `<` that an
 *   HTML reader could take for the start of a tag (`\<img`, `x<style>` in a
 *   link target), which older renderers pass through; code spans, code blocks
 *   and autolinks are left exactly as written;
 * - a `"` in an image's alt text is stored as `&quot;` (renders the same), as
 *   some renderers write alt text into the attribute unescaped;
 * - links, images and link definitions must point to http(s), mailto or a
 *   relative address, so `javascript:` and `data:` targets are refused, and
 *   so is a character reference where a scheme is read.
 * All rules are checked on what will be stored, under CommonMark and GFM
 * alike: escaping can change how the rest parses, so it repeats until neither
 * dialect finds anything to escape, and only then are the links read. What
 * comes out has nothing left to escape, so checking it again changes nothing.
 *
 * Parsing is CPU-bound and some inputs are slow, so this runs in a worker
 * thread with a deadline (markdown-safety.ts), never on the event loop.
 */
export function safeMarkdown(markdown: string): MarkdownCheck {
  // U+FEFF is invisible, and parsers disagree about it (micromark skips a
  // leading one, so its offsets would not match the text; marked reads it as
  // white space), so it is dropped.
  let text = markdown.replaceAll("\uFEFF", "");
  if (tooComplex(text)) return { ok: false, problem: "too-complex" };
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const parses = DIALECTS.map((extensions) => tokenize(text, extensions));
      const escapes = new Map<number, string>();
      for (const events of parses) collectEscapes(events, text, escapes);
      if (escapes.size === 0) {
        const urls = parses.flatMap((events) => linkTargets(events, text));
        if (!urls.every(isSafeUrl)) return { ok: false, problem: "unsafe-link" };
        return verifiedWithMarked(text);
      }
      text = applyEscapes(text, escapes);
    }
  } catch (error) {
    // marked recurses once per nesting level and runs out of stack on lists
    // nested thousands deep: the body is too complex, whatever the machine.
    if (error instanceof RangeError) return { ok: false, problem: "too-complex" };
    throw error;
  }
  return { ok: false, problem: "unsettled" };
}

/**
 * The shapes that make parsers slow, counted in one linear pass before any
 * parsing, so that such a body is refused at once and the same way on any
 * machine. The CPU-time deadline (markdown-safety.ts) remains for the rest.
 */
function tooComplex(markdown: string): boolean {
  for (const paragraph of markdown.split(/(?:\r\n?|\n)[ \t]*(?:\r\n?|\n)/)) {
    if ((paragraph.match(/\*+|_+|~+/g)?.length ?? 0) > MAX_EMPHASIS_RUNS) return true;
  }
  return markdown.split(/\r\n?|\n/).some((line) => nesting(line) > MAX_NESTING);
}

/** How many block quote and list markers open `line`. */
function nesting(line: string): number {
  const marker = /[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$))/y;
  let depth = 0;
  while (marker.exec(line) !== null) depth++;
  return depth;
}

/**
 * marked, which many RealWorld front ends render with, follows neither
 * dialect exactly (its patterns treat any Unicode space as white space, its
 * link labels have no length or nesting limits). It is used to verify, not to
 * escape: text it would still render as HTML, or with an unsafe link, or with
 * a raw `"` in an image's alt text, is refused. Ordinary bodies, once escaped
 * as above, never trip it.
 */
function verifiedWithMarked(text: string): MarkdownCheck {
  let problem: "unsettled" | "unsafe-link" | undefined;
  // The callback is synchronous; the array of its (undefined) results is not needed.
  void walkTokens(Lexer.lex(text), (token) => {
    if (token.type === "html") problem ??= "unsettled";
    if (token.type === "image" && String(token.text).includes('"')) problem ??= "unsettled";
    if ((token.type === "link" || token.type === "image") && !isSafeUrl(String(token.href))) {
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

/** After `<`, these make an HTML reader start a tag, an end tag, a comment or a declaration. */
const TAG_START = /[a-z!/?]/i;

/**
 * Tokens whose `<` are written as the author meant them: code, autolinks, `<…>`
 * link targets. A fenced code block counts only once it is closed: older
 * renderers end an unclosed one where CommonMark does not (at the end of the
 * body, or at a shorter fence).
 */
const KEPT_AS_WRITTEN = new Set([
  "codeText",
  "codeIndented",
  "autolink",
  "resourceDestinationLiteralMarker",
  "definitionDestinationLiteralMarker",
]);

/**
 * Adds to `escapes` (offset → replacement of that one character) what one
 * dialect's reading of `markdown` needs escaped: every `<` of raw HTML, every
 * other `<` outside code that starts something tag-like, a backslash-escaped
 * `<` (stored as `&lt;`, which every renderer prints as text), and every `"`
 * in an image's alt text.
 */
function collectEscapes(events: Event[], markdown: string, escapes: Map<number, string>): void {
  const kept = new Uint8Array(markdown.length);
  const escapeEach = (char: string, replacement: string, start: number, end: number) => {
    for (
      let at = markdown.indexOf(char, start);
      at !== -1 && at < end;
      at = markdown.indexOf(char, at + 1)
    ) {
      escapes.set(at, replacement);
    }
  };
  let imageDepth = 0;
  let fences = 0;
  for (const [kind, token] of events) {
    const { type } = token;
    const start = token.start.offset;
    const end = token.end.offset;
    if (type === "image") imageDepth += kind === "enter" ? 1 : -1;
    if (type === "codeFenced" && kind === "exit" && fences === 2) kept.fill(1, start, end);
    if (kind !== "enter") continue;
    if (type === "codeFenced") fences = 0;
    if (type === "codeFencedFence") fences++;
    if (type === "htmlFlow" || type === "htmlText") {
      kept.fill(1, start, end);
      escapeEach("<", "&lt;", start, end);
    } else if (KEPT_AS_WRITTEN.has(type)) {
      kept.fill(1, start, end);
    } else if (type === "characterEscape" && markdown[start + 1] === "<") {
      escapes.set(start, "");
      escapes.set(start + 1, "&lt;");
    } else if (type === "labelText" && imageDepth > 0) {
      escapeEach('"', "&quot;", start, end);
    }
  }
  for (let at = markdown.indexOf("<"); at !== -1; at = markdown.indexOf("<", at + 1)) {
    if (kept[at] === 0 && TAG_START.test(markdown.charAt(at + 1))) escapes.set(at, "&lt;");
  }
}

function applyEscapes(markdown: string, escapes: Map<number, string>): string {
  let result = "";
  let copied = 0;
  for (const at of [...escapes.keys()].sort((a, b) => a - b)) {
    result += markdown.slice(copied, at) + escapes.get(at)!;
    copied = at + 1;
  }
  return result + markdown.slice(copied);
}

/** The targets of inline links and images, link definitions and autolinks, as written. */
function linkTargets(events: Event[], markdown: string): string[] {
  const targets: string[] = [];
  for (const [kind, token] of events) {
    if (
      kind === "enter" &&
      (token.type === "resourceDestinationString" ||
        token.type === "definitionDestinationString" ||
        token.type === "autolinkProtocol")
    ) {
      targets.push(markdown.slice(token.start.offset, token.end.offset));
    }
  }
  return targets;
}

/**
 * Whether a link target, as written, is safe to follow however a renderer
 * writes it into an `href` or `src`. Some copy the target as written (with
 * its character references), and a browser decodes those as it reads the
 * attribute, where `&#x61` needs no `;`: so a `&` where the scheme is read (before
 * the first `:`, `/`, `?` or `#`) is refused outright, and the scheme is
 * checked both as written and decoded the CommonMark way.
 */
function isSafeUrl(target: string): boolean {
  return schemeIsSafe(target) && schemeIsSafe(decodeString(target));
}

function schemeIsSafe(url: string): boolean {
  // Browsers ignore whitespace and control characters inside a scheme, and a
  // character reference to a control character decodes to U+FFFD here but to
  // the control character in a browser.
  const compact = url.replace(/[\s\p{Cc}\uFFFD]/gu, "");
  if (/^[^:/?#]*&/.test(compact)) return false;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  return scheme === null || SAFE_SCHEMES.has(scheme[1]!.toLowerCase());
}
