import { safeMarkdown } from "../../../src/modules/articles/markdown";
import { type Article, type ErrorBody, postArticle } from "../../support/api";
import { registerUser, uniqueName, type RegisteredUser } from "../../support/auth";
import { useTestService } from "../../support/service";
import { dangersByRenderer, RENDERERS } from "./markdown-renderers";

/*
 * Every body the Markdown check accepts, rendered by real renderers that
 * RealWorld front ends use (marked from 0.3 to 18, markdown-it), must come out
 * without script URLs, event handlers or elements that raw HTML would bring.
 * The attacks below each get through at least one of them as sent.
 */

const IMG = "<img src=x onerror=alert(1)>";

/** Link targets a browser reads as javascript: once it decodes the attribute. */
const SCRIPT_LINKS: Array<[string, string]> = [
  ["a hex reference without ';' in a link target", "[x](jav&#x61script:alert(1))"],
  ["a decimal reference without ';' in a link target", "[x](jav&#97script:alert(1))"],
  ["a reference without ';' for the first letter", "[x](&#106avascript:alert(1))"],
  ["two references without ';'", "[x](&#x6A&#x61vascript:alert(1))"],
  ["a reference without ';' for the colon", "[x](javascript&#58alert(1))"],
  ["a named reference for the colon", "[x](javascript&colon;alert(1))"],
  ["a named reference for a tab in the scheme", "[x](java&Tab;script:alert(1))"],
  ["a reference without ';' in an image source", "![x](jav&#x61script:alert(1))"],
  ["a reference without ';' in a link definition", "[a]: jav&#x61script:alert(1)\n\n[a]"],
  ["a reference without ';' in a full reference", "[x][a]\n\n[a]: jav&#x61script:alert(1)"],
  ["a data: URL behind a named colon", "[x](data&colon;text/html,hello)"],
];

/**
 * Refused though the renderers above percent-encode the tab: a browser's URL
 * parser drops tabs, so a renderer that copies the target would link to a script.
 */
const TAB_IN_SCHEME = "[x](<java\tscript:alert(1)>)";

/** Shapes that older renderers turn into live HTML though CommonMark reads them as text. */
const LEGACY_HTML: Array<[string, string]> = [
  ["a backslash-escaped <img> (marked 0.3–0.5)", "\\<img src=x onerror=alert(1)//>"],
  ["a backslash-escaped <img> mid-paragraph", `a \\${IMG} b`],
  ["backslash-escaped script tags", "\\<script>alert(1)\\</script>"],
  ["a <style> in a link definition target (marked up to 3)", "[a]: x<style>*{}</style>\n\n[a]"],
  ["a quote in an image's alt text (marked 15)", '![a"onerror="alert(1)](x)'],
  ["an unclosed code fence (marked up to 3)", "```\n" + IMG],
  ["an unclosed tilde fence", "~~~\n" + IMG],
  ["a fence closed by a shorter one", "```\n" + IMG + "\n``"],
];

/** Ordinary bodies: accepted unchanged, harmless everywhere. */
const ORDINARY: string[] = [
  "Hello *world*, see `a < b && c` and [docs](https://example.com).",
  "```html\n<script>alert(1)</script>\n" + IMG + "\n```",
  "    <div>indented</div>\n    if (a < b) {}",
  "| a | b |\n|---|---|\n| `<b>` | 2 |",
  "Footnote[^1]\n\n[^1]: a note",
  "# Title\n\n> quote with **bold** and _em_\n\n1. one\n2. two\n\n- [ ] task\n- [x] done",
  '![a chart](https://example.com/a.png "title")',
  '[ref][r]\n\n[r]: https://example.com/x?a=1&b=2 "T"',
  "<https://example.com/a?b=c&d=e> and <me@example.com>",
  "[rel](../docs/a.md#part), [query](?x=1&y=2), [fragment](#top)",
  "a < b and b > c, x <= y, 1 < 2 && 3 > 2",
  "Use `Map<String, List<Integer>>` in Java.",
  "~~strike~~ and www.example.com",
  "Tom & Jerry &amp; &copy; 2024",
  "[link](https://example.com/a_(b)_c) and [spaced](<https://example.com/a b>)",
  "~~~\n</code></pre><script>x</script>\n~~~",
  'A [link](https://example.com "a \\"quoted\\" title")',
];

function accepted(markdown: string): string {
  const verdict = safeMarkdown(markdown);
  if (!verdict.ok) throw new Error(`expected the body to be accepted, got ${verdict.problem}`);
  return verdict.markdown;
}

describe("Markdown bodies rendered by the renderers front ends use", () => {
  it("when the renderers are loaded, then each is the version pinned for it", () => {
    expect(RENDERERS.map(([name]) => name)).toHaveLength(14);
    for (const [, render] of RENDERERS) expect(render("*a*")).toContain("<em>a</em>");
  });

  describe.each(SCRIPT_LINKS)("when %s is sent", (_case, body) => {
    it("then some renderer would link to a script", () => {
      expect(dangersByRenderer(body)).not.toEqual({});
    });

    it("then the check refuses it as an unsafe link", () => {
      expect(safeMarkdown(body)).toEqual({ ok: false, problem: "unsafe-link" });
    });
  });

  it("when a tab splits the scheme of a <…> target, then the check refuses it as an unsafe link", () => {
    expect(safeMarkdown(TAB_IN_SCHEME)).toEqual({ ok: false, problem: "unsafe-link" });
  });

  describe.each(LEGACY_HTML)("when %s is sent", (_case, body) => {
    it("then some renderer would render live HTML", () => {
      expect(dangersByRenderer(body)).not.toEqual({});
    });

    it("then what is stored renders harmlessly in every renderer, and checking it again changes nothing", () => {
      const verdict = safeMarkdown(body);
      if (!verdict.ok) return; // refusing is safe too
      expect(dangersByRenderer(verdict.markdown)).toEqual({});
      expect(safeMarkdown(verdict.markdown)).toEqual(verdict);
    });
  });

  it.each(ORDINARY)(
    "when the ordinary body %j is sent, then it is stored unchanged and renders harmlessly everywhere",
    (body) => {
      expect(accepted(body)).toBe(body);
      expect(dangersByRenderer(body)).toEqual({});
    },
  );

  it.each([
    ["a backslash-escaped tag", "Write \\<div> for a block.", "Write &lt;div> for a block."],
    ["a '<' before a letter outside code", "if (a<b) return;", "if (a&lt;b) return;"],
    ["a quote in an image's alt text", '![the "best"](a.png)', "![the &quot;best&quot;](a.png)"],
  ])(
    "when a body holds %s, then it is stored with an entity that renders the same",
    (_case, body, stored) => {
      expect(accepted(body)).toBe(stored);
      const render = RENDERERS.find(([name]) => name.startsWith("markdown-it"))![1];
      expect(render(stored)).toBe(render(body));
    },
  );
});

describe("Markdown attacks through POST /api/articles", () => {
  const service = useTestService();
  let author: RegisteredUser;

  beforeEach(async () => {
    author = await registerUser(service);
  });

  const post = (body: string) =>
    postArticle(service, author.token, {
      title: uniqueName("title"),
      description: "about",
      body,
    });

  it.each(SCRIPT_LINKS)(
    "when %s is posted, then 422 names the body and nothing is stored",
    async (_case, body) => {
      const response = await post(body);
      const text = await response.text();
      expect({ status: response.status, text }).toMatchObject({ status: 422 });
      expect((JSON.parse(text) as ErrorBody).errors).toEqual({
        body: ["may only link to http, https or mailto addresses, or relative ones"],
      });
      expect(await service.container.db.article.count()).toBe(0);
    },
  );

  it.each(LEGACY_HTML)(
    "when %s is posted, then it is refused with 422, or what the API answers and stores renders harmlessly everywhere",
    async (_case, body) => {
      const response = await post(body);
      const text = await response.text();
      if (response.status === 422) {
        expect(Object.keys((JSON.parse(text) as ErrorBody).errors)).toEqual(["body"]);
        expect(await service.container.db.article.count()).toBe(0);
        return;
      }
      expect({ status: response.status, text }).toMatchObject({ status: 201 });
      const { article } = JSON.parse(text) as { article: Article };
      const stored = await service.container.db.article.findUnique({
        where: { slug: article.slug },
      });
      expect(stored?.body).toBe(article.body);
      expect(dangersByRenderer(article.body)).toEqual({});
    },
  );
});
