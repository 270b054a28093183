import MarkdownIt from "markdown-it";
import { parseFragment } from "parse5";
import type { DefaultTreeAdapterMap } from "parse5";

/*
 * Real Markdown renderers that RealWorld front ends use, each at the version
 * pinned in package.json (npm aliases), and a reading of their output the way
 * a browser reads it (parse5 implements the HTML standard's parser, character
 * references in attribute values included). docs/api.md lists the same set.
 */

type Render = (markdown: string) => string;

interface MarkedModule {
  parse?: Render;
  marked?: Render | { parse: Render };
}

/** marked's export changed shape over the years: a function, `{ marked }`, or `{ marked: { parse } }`. */
function markedRenderer(module: MarkedModule): Render {
  const marked = module.marked ?? module;
  if (typeof marked === "function") return (markdown) => marked(markdown);
  return (markdown) => marked.parse!(markdown);
}

/* eslint-disable @typescript-eslint/no-require-imports -- old marked versions ship no types */
export const RENDERERS: Array<[string, Render]> = [
  ["marked 0.3.19", markedRenderer(require("marked-0-3") as MarkedModule)],
  ["marked 0.5.2", markedRenderer(require("marked-0-5") as MarkedModule)],
  ["marked 0.7.0", markedRenderer(require("marked-0-7") as MarkedModule)],
  ["marked 1.2.9", markedRenderer(require("marked-1") as MarkedModule)],
  ["marked 2.1.3", markedRenderer(require("marked-2") as MarkedModule)],
  ["marked 3.0.8", markedRenderer(require("marked-3") as MarkedModule)],
  ["marked 4.3.0", markedRenderer(require("marked-4") as MarkedModule)],
  ["marked 9.1.6", markedRenderer(require("marked-9") as MarkedModule)],
  ["marked 12.0.2", markedRenderer(require("marked-12") as MarkedModule)],
  ["marked 15.0.12", markedRenderer(require("marked-15") as MarkedModule)],
  ["marked 17.0.6", markedRenderer(require("marked-17") as MarkedModule)],
  ["marked 18.2.1", markedRenderer(require("marked") as MarkedModule)],
  [
    "markdown-it 15.0.3 (html: true)",
    (markdown) => new MarkdownIt({ html: true }).render(markdown),
  ],
  ["markdown-it 15.0.3 (default)", (markdown) => new MarkdownIt().render(markdown)],
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** What the renderers above produce from Markdown; anything else came from raw HTML. */
const MARKDOWN_ELEMENTS = new Set(
  "p a img em strong code pre blockquote ul ol li h1 h2 h3 h4 h5 h6 hr br table thead tbody tr th td del s input".split(
    " ",
  ),
);

/** Attributes those elements carry (task-list checkboxes, table alignment, heading ids, list starts). */
const MARKDOWN_ATTRIBUTES = new Set(
  "href src alt title class id start align style type checked disabled".split(" "),
);

const URL_ATTRIBUTES = new Set(["href", "src"]);

type Node = DefaultTreeAdapterMap["childNode"] | DefaultTreeAdapterMap["documentFragment"];

/**
 * What in rendered HTML could run script or restyle the page, read as a browser
 * reads it: elements and attributes Markdown never produces (so raw HTML got
 * through), and href/src values that a browser would follow to a script or
 * data URL (after it decodes character references and, as its URL parser
 * does, drops leading spaces and control characters and every tab and newline).
 */
export function dangers(html: string): string[] {
  const found: string[] = [];
  const visit = (node: Node): void => {
    if ("tagName" in node) {
      if (!MARKDOWN_ELEMENTS.has(node.tagName)) found.push(`<${node.tagName}> element`);
      for (const { name, value } of node.attrs) {
        if (!MARKDOWN_ATTRIBUTES.has(name)) found.push(`${name} attribute on <${node.tagName}>`);
        if (name === "style" && !/^text-align: ?(left|right|center);?$/.test(value)) {
          found.push(`style="${value}" on <${node.tagName}>`);
        }
        // The URL standard strips leading C0 controls and spaces, and every tab and newline.
        const url = value.replace(/^[\p{Cc} ]+/u, "").replace(/[\t\n\r]/g, "");
        if (URL_ATTRIBUTES.has(name) && /^(?:javascript|vbscript|data):/i.test(url)) {
          found.push(`${name}="${value}" on <${node.tagName}>`);
        }
      }
    }
    if ("childNodes" in node) node.childNodes.forEach(visit);
    if ("content" in node) visit(node.content);
  };
  visit(parseFragment(html));
  return found;
}

/** Every renderer's dangers in `markdown`, by renderer; empty when every one renders it harmlessly. */
export function dangersByRenderer(markdown: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [name, render] of RENDERERS) {
    const inThisOne = dangers(render(markdown));
    if (inThisOne.length > 0) found[name] = inThisOne;
  }
  return found;
}
