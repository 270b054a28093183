import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Lexer, walkTokens } from "marked";
import { parse, postprocess, preprocess } from "micromark";
import { gfm } from "micromark-extension-gfm";
import type { Event, Extension } from "micromark-util-types";
import { safeMarkdown } from "../../../src/modules/articles/markdown";
import {
  MarkdownSafety,
  type MarkdownVerdict,
} from "../../../src/modules/articles/markdown-safety";

/*
 * The Markdown check on its own: `safeMarkdown` (pure) and `MarkdownSafety`
 * (the same check in worker threads, with a deadline). What the service does
 * with their verdicts over HTTP is in hardening.test.ts.
 */

/** The two dialects a front end may render with; the stored text must be safe under both. */
const DIALECTS: Array<[string, Extension[]]> = [
  ["CommonMark", []],
  ["GFM", [gfm()]],
];

function tokens(markdown: string, extensions: Extension[]): Event[] {
  return postprocess(
    parse({ extensions })
      .document()
      .write(preprocess()(markdown, undefined, true)),
  );
}

/** The spans of `markdown` that a parser of either dialect reads as raw HTML, named by dialect. */
function rawHtml(markdown: string): string[] {
  const found: string[] = [];
  for (const [dialect, extensions] of DIALECTS) {
    for (const [kind, token] of tokens(markdown, extensions)) {
      if (kind === "enter" && (token.type === "htmlFlow" || token.type === "htmlText")) {
        found.push(`${dialect}: ${markdown.slice(token.start.offset, token.end.offset)}`);
      }
    }
  }
  return found;
}

/** The targets of links, images, definitions and autolinks under either dialect, as written. */
function linkTargets(markdown: string): string[] {
  const found: string[] = [];
  for (const [dialect, extensions] of DIALECTS) {
    for (const [kind, token] of tokens(markdown, extensions)) {
      if (
        kind === "enter" &&
        (token.type === "resourceDestinationString" ||
          token.type === "definitionDestinationString" ||
          token.type === "autolinkProtocol")
      ) {
        found.push(`${dialect}: ${markdown.slice(token.start.offset, token.end.offset)}`);
      }
    }
  }
  return found;
}

const scriptLinks = (markdown: string) =>
  linkTargets(markdown).filter((target) => /:\s*javascript:/i.test(target));

/** The escaping a single pass over raw HTML would do: every `<` of it becomes `&lt;`. */
const escapedOnce = (markdown: string) => markdown.replaceAll("<", "&lt;");

/**
 * What a body that passed must be: no raw HTML and no script link under
 * either dialect, and checking it again changes nothing.
 */
function expectSettled(stored: string): void {
  expect(rawHtml(stored)).toEqual([]);
  expect(scriptLinks(stored)).toEqual([]);
  expect(safeMarkdown(stored)).toEqual({ ok: true, markdown: stored });
}

function accepted(markdown: string): string {
  const verdict = safeMarkdown(markdown);
  if (!verdict.ok) throw new Error(`expected the body to be accepted, got ${verdict.problem}`);
  return verdict.markdown;
}

const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT_LINK = "[click](javascript:alert(1))";

describe("safeMarkdown", () => {
  describe("escaping repeats until neither dialect finds HTML", () => {
    it("when escaping a tag re-pairs the backticks around it, then the HTML it uncovers is escaped too", () => {
      const body = '<span title="`">`' + IMG + "`";
      // In what was sent, the <img> sits in a code span: one pass escapes only the <span>.
      expect(rawHtml(body)).not.toContainEqual(expect.stringContaining("<img"));
      expect(rawHtml(escapedOnce('<span title="`">') + "`" + IMG + "`")).toContainEqual(
        expect.stringContaining("<img"),
      );

      const stored = accepted(body);
      expect(stored).toBe('&lt;span title="`">`&lt;img src=x onerror=alert(1)>`');
      expectSettled(stored);
    });

    it("when a GFM table splits a code span at a cell border, then the HTML in the cell is escaped", () => {
      const body = "| a | b |\n|---|---|\n| `x | " + IMG + " ` |";
      // CommonMark sees a code span; GitHub's dialect splits the cells first and sees an <img>.
      expect(tokens(body, []).some(([, token]) => token.type === "htmlText")).toBe(false);
      expect(rawHtml(body)).toEqual([`GFM: ${IMG}`]);

      const stored = accepted(body);
      expect(stored).toBe("| a | b |\n|---|---|\n| `x | &lt;img src=x onerror=alert(1)> ` |");
      expectSettled(stored);
    });

    it("when HTML is in an image's alt text, then it is escaped, and so are the alt text's quotes", () => {
      const stored = accepted('![<a title="x" onerror=alert(1)>](https://example.com/a.png)');
      expect(stored).toBe(
        "![&lt;a title=&quot;x&quot; onerror=alert(1)>](https://example.com/a.png)",
      );
      expectSettled(stored);
    });

    it("when HTML is in a reference image's alt text, then it is escaped", () => {
      const stored = accepted(
        '![<a title="x" onerror=alert(1)>][pic]\n\n[pic]: https://example.com/a.png',
      );
      expect(stored).toBe(
        "![&lt;a title=&quot;x&quot; onerror=alert(1)>][pic]\n\n[pic]: https://example.com/a.png",
      );
      expectSettled(stored);
    });

    it.each([1, 2, 3, 4, 5, 6, 7, 8, 10, 12])(
      "when %i tags in a row each hide the next behind a backtick, then the result is settled or refused as unsettled",
      (count) => {
        const body = '<span title="`">`'.repeat(count) + IMG + "`";
        const verdict = safeMarkdown(body);
        if (verdict.ok) expectSettled(verdict.markdown);
        else expect(verdict).toEqual({ ok: false, problem: "unsettled" });
      },
    );

    it("when uncovering HTML takes more rounds than allowed, then the body is refused as unsettled", () => {
      expect(safeMarkdown('<span title="`">`'.repeat(12) + IMG + "`")).toEqual({
        ok: false,
        problem: "unsettled",
      });
    });

    // GitHub's dialect also differs from CommonMark outside tables. A body
    // without "|" must be as safe for a GFM renderer as one with it.
    it.each([
      ["a footnote definition holding an <img>", `Note[^1]\n\n[^1]: ${IMG}`],
      [
        "a footnote's indented continuation holding an <img>",
        `Note[^1]\n\n[^1]: note\n\n    ${IMG}`,
      ],
      [
        "a GFM autolink literal that swallows the backslash before an <img>",
        `See www.example.com\\${IMG}`,
      ],
    ])("when the body holds %s, then no raw HTML is left for a GFM renderer", (_case, body) => {
      // The same body with a "|" in it is escaped: the danger is in the body, not the pipe.
      expect(rawHtml(body)).toContainEqual(`GFM: ${IMG}`);
      const verdict = safeMarkdown(body);
      if (verdict.ok) expectSettled(verdict.markdown);
      else expect(verdict.problem).toBe("unsafe-link");
    });

    it("when a footnote-like body also holds a pipe, then its HTML is escaped (the GFM pass runs)", () => {
      const stored = accepted(`a | b\n\nNote[^1]\n\n[^1]: ${IMG}`);
      expect(stored).toBe("a | b\n\nNote[^1]\n\n[^1]: &lt;img src=x onerror=alert(1)>");
      expectSettled(stored);
    });
  });

  describe("links are read from the text as stored", () => {
    it.each([
      ["an HTML comment", "<!--", "-->"],
      ["a script block", "<script>", "</script>"],
      ["a processing instruction", "<?x", "?>"],
      ["a CDATA section", "<![CDATA[", "]]>"],
      ["a declaration", "<!DOCTYPE x", ">"],
      ["a style block", "<style>", "</style>"],
      ["a pre block", "<pre>", "</pre>"],
    ])(
      "when %s hides a javascript: link that escaping reveals, then the body is refused",
      (_case, open, close) => {
        const body = `${open}\n\n${SCRIPT_LINK}\n\n${close}`;
        expect(scriptLinks(body)).toEqual([]);
        expect(scriptLinks(escapedOnce(body)).length).toBeGreaterThan(0);
        expect(safeMarkdown(body)).toEqual({ ok: false, problem: "unsafe-link" });
      },
    );

    it("when a javascript: link sits in an attribute of an inline tag, then the body is refused", () => {
      const body = `x <span title="${SCRIPT_LINK}">y</span>`;
      expect(scriptLinks(body)).toEqual([]);
      expect(safeMarkdown(body)).toEqual({ ok: false, problem: "unsafe-link" });
    });

    it("when a footnote definition holds a javascript: link (a link only to GFM), then the body is refused", () => {
      const body = `x[^1]\n\n[^1]: ${SCRIPT_LINK}`;
      expect(scriptLinks(body)).toEqual([expect.stringMatching(/^GFM: javascript:/)]);
      expect(safeMarkdown(body)).toEqual({ ok: false, problem: "unsafe-link" });
    });

    it.each([
      ["an HTML comment", "<!--", "-->"],
      ["a script block", "<script>", "</script>"],
      ["a CDATA section", "<![CDATA[", "]]>"],
    ])(
      "when %s hides an https link, then the body is accepted with the opener escaped",
      (_case, open, close) => {
        const body = `${open}\n\n[click](https://example.com)\n\n${close}`;
        const stored = accepted(body);
        expect(stored.startsWith(`&lt;${open.slice(1)}`)).toBe(true);
        expect(stored).toContain("[click](https://example.com)");
        expectSettled(stored);
      },
    );
  });

  describe("code is left as written", () => {
    it.each([
      ["a code span", "`<b>`"],
      ["a code span with a script", "Write `<script>alert(1)</script>` to test."],
      ["a fenced code block", "```\n<script>alert(1)</script>\n```"],
      [
        "a fenced block with an info string",
        "```html\n<script>alert(1)</script>\n" + IMG + "\n```",
      ],
      ["an indented code block", "Example:\n\n    <script>alert(1)</script>"],
      ["a code span holding a pipe, outside any table", "`a | <b>`"],
      ["a code span in a table cell", "| a |\n|---|\n| `<b>` |"],
      ["a javascript: link in a code span", "`[x](javascript:alert(1))`"],
    ])("when the body holds only %s, then it is returned unchanged", (_case, body) => {
      expect(safeMarkdown(body)).toEqual({ ok: true, markdown: body });
    });

    it("when code and raw HTML share a body, then only the raw HTML is escaped", () => {
      const stored = accepted("Use `<b>` for bold, not <b>this</b>.\n\n```\n<i>kept</i>\n```");
      expect(stored).toBe("Use `<b>` for bold, not &lt;b>this&lt;/b>.\n\n```\n<i>kept</i>\n```");
      expectSettled(stored);
    });
  });

  describe("checking what was stored changes nothing", () => {
    it.each([
      ['<span title="`">`' + IMG + "`"],
      ["| a | b |\n|---|---|\n| `x | " + IMG + " ` |"],
      ['![<a title="x" onerror=alert(1)>](https://example.com/a.png)'],
      ["<!--\n\n[click](https://example.com)\n\n-->"],
      ["<div>\n<script>alert(1)</script>\n</div>"],
      ["> quoted\n> <script>alert(1)</script>"],
      ["- item <script>alert(1)</script>"],
      ["[" + IMG + "](https://example.com)"],
      ["Plain *Markdown* with a [link](https://example.com) and <https://example.com>."],
    ])(
      "when %j has been checked once, then checking the result again returns it unchanged",
      (body) => {
        expectSettled(accepted(body));
      },
    );
  });
});

describe("safeMarkdown against marked's reading (the renderer many front ends use)", () => {
  /** What marked would render as HTML, or link to a script: the failures a front end would show. */
  function markedDanger(markdown: string): string[] {
    const found: string[] = [];
    void walkTokens(Lexer.lex(markdown), (token) => {
      if (token.type === "html") found.push(`html ${token.raw}`);
      if (
        (token.type === "link" || token.type === "image") &&
        /javascript:/i.test(String(token.href))
      ) {
        found.push(`link ${token.href}`);
      }
    });
    return found;
  }

  it.each([
    ["a quoted attribute closed by a no-break space", `<img src=x onerror="alert(1)"\u00a0>`],
    ["a definition title ending in a tab", `[a]: x "${IMG}"\t`],
    ["a definition label followed by a tab", `[${IMG}]:\tx`],
    ["an HTML block opened by a no-break space", `<pre\u00a0>\n\\${IMG}`],
  ])(
    "when %s hides HTML from CommonMark but not from marked, then its `<` are escaped all the same",
    (_, body) => {
      expect(markedDanger(body)).not.toEqual([]);
      const stored = accepted(body);
      expect(stored).not.toContain("<");
      expect(markedDanger(stored)).toEqual([]);
    },
  );

  it.each([
    ["a link label with unbalanced backticks", "[``a`](x)" + IMG + "`"],
    ["a shortcut reference with a backtick", "[a`]: http://x\n\n[a`]" + IMG + "`"],
    ["a heading opened by a no-break space", "`a\n#\u00a0" + IMG + "`"],
  ])(
    "when %s hides HTML from CommonMark (in code) but not from marked, then the body is refused",
    (_, body) => {
      expect(markedDanger(body)).not.toEqual([]);
      expect(safeMarkdown(body)).toEqual({ ok: false, problem: "unsettled" });
    },
  );

  it.each([
    [
      "a link target nested deeper than CommonMark reads",
      "[x](javascript:alert(1)" + "(".repeat(33) + ")".repeat(33) + ")",
    ],
    [
      "a link label longer than CommonMark reads",
      `[${"a".repeat(1000)}]: javascript:alert(1)\n\n[${"a".repeat(1000)}]`,
    ],
    ["a reference to a control character before the scheme", "[x](&#1;javascript:alert(1))"],
    ["a leading byte-order mark", "\uFEFF[click](javascript:alert(document.domain))"],
    ["a leading byte-order mark before an autolink", "\uFEFF<javascript:alert(1)>"],
  ])("when %s hides a script link, then the body is refused", (_, body) => {
    expect(safeMarkdown(body)).toEqual({ ok: false, problem: "unsafe-link" });
  });

  it("when a body starts with a byte-order mark, then the mark is dropped and the rest parses as code, as marked sees it", () => {
    const stored = accepted("\uFEFF    " + IMG);
    expect(stored).toBe("    " + IMG);
    expect(markedDanger(stored)).toEqual([]);
  });

  it.each([
    "Hello *world*, see `a < b && c` and [docs](https://example.com).",
    "```html\n<script>x</script>\n```",
    "| a | b |\n|---|---|\n| `<b>` | 2 |",
    "Footnote[^1]\n\n[^1]: a note",
    "Hi <script>alert(1)</script> and <details><summary>x</summary>y</details>",
    "- item <b>bold</b>\n- ![alt <i>x</i>](https://example.com/a.png)\n\n> quote <span>s</span>",
  ])(
    "when an ordinary body %j is stored, then marked finds nothing to render as HTML in it",
    (body) => {
      expect(markedDanger(accepted(body))).toEqual([]);
    },
  );
});

describe("safeMarkdown on bodies too complex to parse", () => {
  it.each([
    ["list items nested 3,000 deep", "- ".repeat(3_000) + "x"],
    ["block quotes nested 101 deep", "> ".repeat(101) + "x"],
    ["ordered list items nested 101 deep", "1. ".repeat(101) + "x"],
    ["a paragraph with 49,000 unmatched emphasis markers", "_*".repeat(24_500)],
    ["a paragraph with 1,001 emphasis markers", "*a".repeat(1_001)],
  ])(
    "when a body holds %s, then it is refused as too complex before it is parsed",
    (_case, body) => {
      // Parsing any of the first four takes seconds to minutes; counting takes microseconds.
      expect(safeMarkdown(body)).toEqual({ ok: false, problem: "too-complex" });
    },
  );

  it.each([
    ["lists nested 100 deep", "- ".repeat(100) + "x"],
    ["block quotes nested 100 deep without spaces", ">".repeat(100) + "x"],
    ["1,000 emphasis markers in one paragraph", "*a* ".repeat(500)],
    [
      "1,000 emphasis markers in each of two paragraphs",
      "*a* ".repeat(500) + "\n\n" + "*a* ".repeat(500),
    ],
  ])("when a body holds %s, then the counted limits let it through", (_case, body) => {
    expect(safeMarkdown(body)).toEqual({ ok: true, markdown: body });
  });
});

describe("MarkdownSafety", () => {
  /**
   * Slow to parse (seconds of CPU time) though within the counted limits:
   * 240 lines of lists nested 100 deep.
   */
  const SLOW = ("- ".repeat(100) + "x\n").repeat(240);
  const safety = new MarkdownSafety({ timeoutMs: 300, maxThreads: 1 });
  afterAll(() => safety.close());

  /** The verdict on a body that is quick to check: starting a thread never counts against it. */
  function quickVerdict(instance: MarkdownSafety, markdown: string): Promise<MarkdownVerdict> {
    return instance.check(markdown);
  }

  it("when a body is checked, then the worker's verdict is the one safeMarkdown gives", async () => {
    const body = 'Hi <b>there</b> and <span title="`">`' + IMG + "`";
    expect(await quickVerdict(safety, body)).toEqual(safeMarkdown(body));
    expect(await quickVerdict(safety, SCRIPT_LINK)).toEqual({ ok: false, problem: "unsafe-link" });
    expect(await quickVerdict(safety, "<!--\n\n" + SCRIPT_LINK + "\n\n-->")).toEqual({
      ok: false,
      problem: "unsafe-link",
    });
  });

  it("when a body is slow to parse, then it is refused as too complex at the deadline", async () => {
    await quickVerdict(safety, "warm up");
    const started = Date.now();
    expect(await safety.check(SLOW)).toEqual({ ok: false, problem: "too-complex" });
    // Parsing it to the end takes minutes; the bound leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it("when a slow body has been refused, then its thread is replaced and the next body is answered", async () => {
    await quickVerdict(safety, "warm up");
    expect(await safety.check(SLOW)).toEqual({ ok: false, problem: "too-complex" });
    // One thread only: were the slow parse still running, the next body would wait behind it.
    const started = Date.now();
    expect(await quickVerdict(safety, "Some <i>Markdown</i>.")).toEqual({
      ok: true,
      markdown: "Some &lt;i>Markdown&lt;/i>.",
    });
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it("when a slow body is being checked, then the event loop keeps running", async () => {
    // Two seconds of CPU time: were the check on the event loop, one gap would be that long.
    const patient = new MarkdownSafety({ timeoutMs: 2_000, maxThreads: 1 });
    await quickVerdict(patient, "warm up");
    let longestGap = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    try {
      expect(await patient.check(SLOW)).toEqual({ ok: false, problem: "too-complex" });
    } finally {
      clearInterval(ticker);
      await patient.close();
    }
    expect(longestGap).toBeLessThan(1_000);
  }, 60_000);

  it("when no body has been checked for a while, then the threads stop (each holds tens of MB) and the next body starts them again", async () => {
    const idle = new MarkdownSafety({ timeoutMs: 2_000, maxThreads: 2, idleStopMs: 200 });
    try {
      expect(await idle.check("*first*")).toEqual({ ok: true, markdown: "*first*" });
      expect(idle.threadCount).toBe(2);
      const deadline = Date.now() + 15_000;
      while (idle.threadCount > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(idle.threadCount).toBe(0);
      expect(await idle.check("*again*")).toEqual({ ok: true, markdown: "*again*" });
      expect(idle.threadCount).toBe(2);
    } finally {
      await idle.close();
    }
  }, 30_000);

  it("when a slow and a quick body are checked together on two threads, then the quick one is answered first", async () => {
    const pair = new MarkdownSafety({ timeoutMs: 2_000, maxThreads: 2 });
    try {
      await quickVerdict(pair, "warm up");
      const order: string[] = [];
      const [slow, quick] = await Promise.all([
        pair.check(SLOW).then((verdict) => {
          order.push("slow");
          return verdict;
        }),
        pair.check("*quick*").then((verdict) => {
          order.push("quick");
          return verdict;
        }),
      ]);
      expect(slow).toEqual({ ok: false, problem: "too-complex" });
      expect(quick).toEqual({ ok: true, markdown: "*quick*" });
      expect(order).toEqual(["quick", "slow"]);
    } finally {
      await pair.close();
    }
  });

  it("when the first body arrives while the thread is still starting, then it is answered rather than refused as too complex", async () => {
    // 100 ms is the shortest deadline MARKDOWN_CHECK_TIMEOUT_MS accepts, shorter than starting a
    // thread; checking this body takes well under a millisecond.
    const fresh = new MarkdownSafety({ timeoutMs: 100, maxThreads: 1 });
    try {
      expect(await fresh.check("hello")).toEqual({ ok: true, markdown: "hello" });
    } finally {
      await fresh.close();
    }
  });

  it("when slow bodies hold every thread past the deadline, then a waiting body is answered busy, not too complex", async () => {
    const single = new MarkdownSafety({ timeoutMs: 300, maxThreads: 1 });
    try {
      await quickVerdict(single, "warm up");
      const [slow, waiting] = await Promise.all([single.check(SLOW), single.check("*quick*")]);
      expect(slow).toEqual({ ok: false, problem: "too-complex" });
      expect(waiting).toEqual({ ok: false, problem: "busy" });
      // Once the slow body's thread is replaced, bodies are checked again.
      expect(await single.check("*quick*")).toEqual({ ok: true, markdown: "*quick*" });
    } finally {
      await single.close();
    }
  });

  it("when the pool has been closed, then the next check starts it again", async () => {
    const reopened = new MarkdownSafety({ timeoutMs: 2_000, maxThreads: 1 });
    try {
      expect(await reopened.check("<b>one</b>")).toEqual({
        ok: true,
        markdown: "&lt;b>one&lt;/b>",
      });
      await reopened.close();
      expect(await reopened.check("<b>two</b>")).toEqual({
        ok: true,
        markdown: "&lt;b>two&lt;/b>",
      });
    } finally {
      await reopened.close();
    }
  });

  describe("when the machine is busy with other work", () => {
    /** Processes that only burn CPU, more of them than there are cores, as a loaded machine has. */
    async function withCpuHogs<T>(count: number, work: () => Promise<T>): Promise<T> {
      const hogs: ChildProcess[] = [];
      try {
        for (let i = 0; i < count; i++) {
          hogs.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
        }
        return await work();
      } finally {
        await Promise.all(
          hogs.map(async (hog) => {
            if (hog.exitCode === null && hog.signalCode === null) {
              const exited = once(hog, "exit");
              hog.kill("SIGKILL");
              await exited;
            }
          }),
        );
      }
    }

    /** CPU milliseconds this process spends checking `body` on its own thread. */
    function cpuMsToCheck(body: string): number {
      safeMarkdown(body); // compiled and warm
      const before = process.cpuUsage();
      safeMarkdown(body);
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000;
    }

    /** A verdict, with a long body's text reduced to its length so that a failure stays readable. */
    const summary = (verdict: MarkdownVerdict) =>
      verdict.ok ? { ok: true, length: verdict.markdown.length } : verdict;

    it("then a body that is quick to check gets the same verdict as on an idle machine, never 'too complex'", async () => {
      // A fifth of a body near the length limit: 10,000 characters, 2,222 tags to escape.
      const body = "<i>a</i> ".repeat(1_111);
      const idle = safeMarkdown(body);
      expect(summary(idle)).toEqual({ ok: true, length: 16_665 });
      // A deadline of twice the CPU time the check needs: four more CPU hogs on this
      // machine's cores leave its thread a fraction of a core, so the wall-clock time
      // is several times that.
      const timeoutMs = Math.max(100, Math.ceil(2 * cpuMsToCheck(body)));
      const loaded = new MarkdownSafety({ timeoutMs, maxThreads: 1 });
      try {
        await loaded.check("warm up");
        const verdict = await withCpuHogs(4, () => loaded.check(body));
        expect(summary(verdict)).toEqual(summary(idle));
      } finally {
        await loaded.close();
      }
    }, 60_000);

    it("then a body that needs more CPU time than the deadline is still refused as too complex", async () => {
      const loaded = new MarkdownSafety({ timeoutMs: 300, maxThreads: 1 });
      try {
        await loaded.check("warm up");
        const verdict = await withCpuHogs(4, () => loaded.check(SLOW));
        expect(verdict).toEqual({ ok: false, problem: "too-complex" });
      } finally {
        await loaded.close();
      }
    }, 60_000);
  });
});
