import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from "playwright-core";
import { frontEndDir, serveFrontEnd, startApiServer, type ApiServer } from "./servers";

/*
 * Two real RealWorld front ends, built from upstream's code, driven in
 * headless Chromium against our server started with default settings: what a
 * person meets after `npm start`. Every step checks what the page shows.
 *
 * Needs Chromium (CHROMIUM names the binary) and the built front ends from
 * `../shared/frontends` beside the checkout (or FRONTENDS_DIR). Ports are
 * fixed: the front ends are built to call the API on 3999, and its default
 * CORS must let them in from 4200 and 4300.
 */

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** Failure screenshots land here (git-ignored), named in the failure message. */
const ARTEFACTS = path.resolve(__dirname, "../../.ci/out/browser");

interface FrontEnd {
  name: string;
  folder: string;
  /** The origin they were driven from when built; the server's default CORS must allow it. */
  port: number;
  /** Angular routes by path, Vue by hash. */
  route(origin: string, path: string): string;
  /** The placeholder of the name field: it differs between sign-up and settings in Vue. */
  signUpName: string;
  settingsName: string;
  newArticle: string;
}

const FRONT_ENDS: FrontEnd[] = [
  {
    name: "Angular",
    folder: "angular",
    port: 4200,
    route: (origin, route) => `${origin}${route}`,
    signUpName: "Username",
    settingsName: "Username",
    newArticle: "New Article",
  },
  {
    name: "Vue",
    folder: "vue",
    port: 4300,
    route: (origin, route) => `${origin}/#${route}`,
    signUpName: "Your Name",
    settingsName: "Your name",
    newArticle: "New Post",
  },
];

interface Person {
  username: string;
  email: string;
  password: string;
}

interface Draft {
  title: string;
  description: string;
  body: string;
  tags: string[];
}

/** A person with the RealWorld default kind of password, which default settings accept. */
function person(role: string, suffix: string): Person {
  const username = `${role}_${suffix}`;
  return { username, email: `${username}@example.com`, password: "password123" };
}

/** Matches the whole text of an element, give or take surrounding blanks. */
function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
}

/**
 * One front end's pages and what went wrong on them: the step under way, the
 * API calls that were refused or failed (a CORS refusal shows only as a failed
 * request) and the page's own errors, for a failure message that says why.
 */
class Journey {
  step = "starting";
  /** The page the person is on, screenshotted when a step fails. */
  page: Page | undefined;
  /** "<method> <path> -> <status> <body>", or "… failed: <reason>". */
  readonly apiErrors: string[] = [];
  private readonly pageErrors: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  constructor(
    private readonly browser: Browser,
    private readonly frontEnd: FrontEnd,
    private readonly origin: string,
    private readonly apiUrl: string,
  ) {}

  async run(step: string, action: () => Promise<void> | void): Promise<void> {
    this.step = step;
    await action();
  }

  /** A fresh browser profile: each person on their own computer. */
  async newPage(): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1200, height: 900 } });
    this.contexts.push(context);
    // Generous: the machine may be busy, and a step that really fails fails anyway.
    context.setDefaultTimeout(30_000);
    context.setDefaultNavigationTimeout(60_000);
    const page = await context.newPage();
    page.on("response", (response) => {
      if (!response.url().startsWith(this.apiUrl) || response.status() < 400) return;
      const call = `${response.request().method()} ${response.url().slice(this.apiUrl.length)}`;
      const entry = `${call} -> ${response.status()}`;
      const index = this.apiErrors.push(entry) - 1;
      void response.text().then(
        (body) => (this.apiErrors[index] = `${entry} ${body.slice(0, 300)}`),
        () => undefined,
      );
    });
    page.on("requestfailed", (request) => {
      const reason = request.failure()?.errorText ?? "unknown";
      // Aborted: the app navigated away before the answer came, which is no fault.
      if (!request.url().startsWith(this.apiUrl) || reason === "net::ERR_ABORTED") return;
      this.apiErrors.push(
        `${request.method()} ${request.url().slice(this.apiUrl.length)} failed: ${reason}`,
      );
    });
    page.on("pageerror", (error) => this.pageErrors.push(error.message));
    this.page = page;
    return page;
  }

  async open(page: Page, route: string): Promise<void> {
    await page.goto(this.frontEnd.route(this.origin, route), { waitUntil: "domcontentloaded" });
  }

  /** Screenshots the current page and explains the failure. */
  async failure(error: unknown, serverOutput: string): Promise<Error> {
    mkdirSync(ARTEFACTS, { recursive: true });
    const screenshot = path.join(ARTEFACTS, `${this.frontEnd.folder}-failure.png`);
    let where = "no page was open";
    if (this.page !== undefined) {
      where = this.page.url();
      await this.page
        .screenshot({ path: screenshot, fullPage: true, timeout: 15_000 })
        .catch((shotError: unknown) => (where += ` (no screenshot: ${String(shotError)})`));
    }
    const message = error instanceof Error ? error.message : String(error);
    return new Error(
      [
        `${this.frontEnd.name}: "${this.step}" failed on ${where}`,
        message,
        `screenshot: ${screenshot}`,
        `API calls refused or failed:\n  ${this.apiErrors.join("\n  ") || "none"}`,
        `page errors:\n  ${this.pageErrors.join("\n  ") || "none"}`,
        `server output:\n${serverOutput || "(none)"}`,
      ].join("\n\n"),
    );
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close();
  }
}

/** A button by the text on it, as a person finds it (the apps' aria-labels differ from it). */
function button(scope: Page | Locator, text: string | RegExp): Locator {
  return scope.locator("button", { hasText: text }).first();
}

/** A link in the navigation bar, by its exact text. */
function navLink(page: Page, name: string): Locator {
  return page.locator("nav").getByRole("link", { name, exact: true });
}

async function signUp(page: Page, frontEnd: FrontEnd, who: Person): Promise<void> {
  await navLink(page, "Sign up").click();
  await page.getByPlaceholder(frontEnd.signUpName, { exact: true }).fill(who.username);
  await page.getByPlaceholder("Email", { exact: true }).fill(who.email);
  await page.getByPlaceholder("Password", { exact: true }).fill(who.password);
  await button(page, "Sign up").click();
  await navLink(page, who.username).waitFor();
}

/** Writes and publishes an article, and ends on its page as the app opens it. */
async function publish(page: Page, frontEnd: FrontEnd, draft: Draft): Promise<void> {
  await navLink(page, frontEnd.newArticle).click();
  await page.getByPlaceholder("Article Title").fill(draft.title);
  await page.getByPlaceholder("What's this article about?").fill(draft.description);
  await page.getByPlaceholder("Write your article (in markdown)").fill(draft.body);
  const tagInput = page.getByPlaceholder("Enter tags");
  for (const tag of draft.tags) {
    await tagInput.fill(tag);
    await tagInput.press("Enter");
    await page.locator(".tag-list .tag-pill", { hasText: tag }).waitFor();
  }
  await button(page, "Publish Article").click();
  await page.waitForURL(/\/article\//);
  await page.locator(".banner h1", { hasText: exactly(draft.title) }).waitFor();
  await expectTagsShown(page, draft);
}

async function expectTagsShown(page: Page, draft: Draft): Promise<void> {
  for (const tag of draft.tags) {
    await page.locator(".article-content .tag-list", { hasText: tag }).first().waitFor();
  }
}

/** The Markdown article's heading and bold words, to find rendered on its page. */
const HEADING = "Why a browser";
const BOLD = "bold claim";

/** Checks the article page shows the body rendered from Markdown, and its tags. */
async function expectArticleShown(page: Page, draft: Draft): Promise<void> {
  const content = page.locator(".article-content");
  await content.locator("h2", { hasText: HEADING }).waitFor();
  await content.locator("strong", { hasText: BOLD }).waitFor();
  // Rendered, not shown as typed.
  const text = await content.innerText();
  expect(text).not.toContain("## ");
  expect(text).not.toContain("**");
  await expectTagsShown(page, draft);
}

describe("RealWorld front ends in Chromium against the server with default settings", () => {
  let api: ApiServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // CI installs Chromium, so its absence is a failure, not a reason to skip.
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium, as .ci/run does) or set CHROMIUM to a Chromium binary`,
      );
    }
    rmSync(ARTEFACTS, { recursive: true, force: true });
    api = await startApiServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: 60_000,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // The pages link fonts and icons on CDNs: offline, fail them at once instead of waiting on DNS.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
      ],
    });
  }, 120_000);

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await api?.stop();
    }
  }, 60_000);

  it.each(FRONT_ENDS)(
    "when two people use the $name front end, then each sign-up, article, comment, favorite, follow, tag filter, settings change and sign-in shows on the page",
    async (frontEnd) => {
      if (api === undefined || browser === undefined) throw new Error("started in beforeAll");
      const site = await serveFrontEnd(frontEndDir(frontEnd.folder), frontEnd.port);
      const journey = new Journey(browser, frontEnd, site.url, `${api.url}/api`);
      const suffix = randomUUID().slice(0, 8);
      const author = person("author", suffix);
      const reader = person("reader", suffix);
      const theirs: Draft = {
        title: `Notes from the road ${suffix}`,
        description: "A few places worth the detour",
        body: "Go *early*, before the crowds.",
        tags: [`travel-${suffix}`, `slow-${suffix}`],
      };
      const mine: Draft = {
        title: `Testing in a real browser ${suffix}`,
        description: "What a person sees, checked",
        body: `## ${HEADING}\n\nThe **${BOLD}**: only a page shows what people see.`,
        tags: [`browsers-${suffix}`, `markdown-${suffix}`],
      };
      const comment = `Agreed, and checked in ${frontEnd.name} ${suffix}`;
      const bio = `Writes about tests (${suffix})`;
      const image = `${site.url}/favicon.ico`;
      const newPassword = "password456";

      try {
        // The other author, on a computer of their own.
        const theirPage = await journey.newPage();
        await journey.run("the author opens the home page", async () => {
          await journey.open(theirPage, "/");
          await navLink(theirPage, "Sign up").waitFor();
        });
        await journey.run("the author signs up", () => signUp(theirPage, frontEnd, author));
        await journey.run("the author publishes an article with two tags", () =>
          publish(theirPage, frontEnd, theirs),
        );

        const page = await journey.newPage();
        await journey.run("the reader opens the home page", async () => {
          await journey.open(page, "/");
          await navLink(page, "Sign up").waitFor();
        });
        await journey.run("the reader signs up with a simple password", () =>
          signUp(page, frontEnd, reader),
        );
        await journey.run("the reader publishes a Markdown article with two tags", async () => {
          await publish(page, frontEnd, mine);
          await expectArticleShown(page, mine);
        });
        await journey.run("the reader comments on it", async () => {
          await page.getByPlaceholder("Write a comment...").fill(comment);
          await button(page, "Post Comment").click();
          await page.locator(".card .card-text", { hasText: comment }).waitFor();
        });

        await journey.run(
          "the reader opens the author's article from the global feed",
          async () => {
            await navLink(page, "Home").click();
            await page.locator("a", { hasText: "Global Feed" }).first().click();
            await page.locator(".article-preview", { hasText: theirs.title }).locator("h1").click();
            await page.waitForURL(/\/article\//);
            await page.locator(".banner h1", { hasText: exactly(theirs.title) }).waitFor();
          },
        );
        const banner = page.locator(".banner");
        await journey.run("the reader favorites it and the count goes from 0 to 1", async () => {
          const favorite = banner.locator("button", { hasText: /(^|\s)Favorite article\s*\(0\)/i });
          await favorite.first().click();
          await banner
            .locator("button", { hasText: /Unfavorite article\s*\(1\)/i })
            .first()
            .waitFor();
        });
        await journey.run("the reader follows the author", async () => {
          await banner
            .locator("button", { hasText: new RegExp(`(^|\\s)Follow\\s+${author.username}`) })
            .first()
            .click();
          await banner
            .locator("button", { hasText: `Unfollow ${author.username}` })
            .first()
            .waitFor();
        });
        await journey.run("the reader sees the author's article in Your Feed", async () => {
          await navLink(page, "Home").click();
          await page.locator("a", { hasText: "Your Feed" }).first().click();
          await page.locator(".article-preview", { hasText: theirs.title }).waitFor();
        });

        const [firstTag] = mine.tags as [string, ...string[]];
        await journey.run(
          "the reader filters by a tag of theirs and sees only that article",
          async () => {
            await page.locator(".sidebar .tag-pill", { hasText: exactly(firstTag) }).click();
            // The feed before it did not hold the reader's own article: seeing it means the filter ran.
            await page.locator(".article-preview", { hasText: mine.title }).waitFor();
            const others = page.locator(".article-preview", { hasText: theirs.title });
            expect(await others.count()).toBe(0);
          },
        );
        await journey.run(
          "the reader reopens the article: rendered body and comment kept",
          async () => {
            await page.locator(".article-preview", { hasText: mine.title }).locator("h1").click();
            await page.waitForURL(/\/article\//);
            await expectArticleShown(page, mine);
            await page.locator(".card .card-text", { hasText: comment }).waitFor();
          },
        );

        await journey.run("the reader fills in every settings field and saves", async () => {
          await navLink(page, "Settings").click();
          // Angular's form starts empty and would send blanks; a person fills in every field.
          await page.getByPlaceholder("URL of profile picture").fill(image);
          await page.getByPlaceholder(frontEnd.settingsName, { exact: true }).fill(reader.username);
          await page.getByPlaceholder("Short bio about you").fill(bio);
          await page.getByPlaceholder("Email").fill(reader.email);
          await page.getByPlaceholder("New password").fill(newPassword);
          await button(page, "Update Settings").click();
          await page.waitForURL(/\/profile\//);
          const info = page.locator(".user-info");
          await info.locator("h4", { hasText: exactly(reader.username) }).waitFor();
          await info.locator("p", { hasText: bio }).waitFor();
          expect(await info.locator("img").getAttribute("src")).toBe(image);
        });
        await journey.run("the reader logs out from the settings page", async () => {
          // Angular empties its navigation bar after a settings change (its ifAuthenticated
          // directive hides on a second "signed in"), so the way back is the profile's link.
          await page.locator("a", { hasText: /Edit profile settings/i }).click();
          await button(page, /click here to logout/i).click();
          await navLink(page, "Sign in").waitFor();
          expect(await navLink(page, reader.username).count()).toBe(0);
        });
        await journey.run("the reader signs in with the new password", async () => {
          await navLink(page, "Sign in").click();
          await page.getByPlaceholder("Email").fill(reader.email);
          await page.getByPlaceholder("Password").fill(newPassword);
          await button(page, "Sign in").click();
          await navLink(page, reader.username).waitFor();
        });
        await journey.run("after a reload the reader is still signed in", async () => {
          await page.reload({ waitUntil: "domcontentloaded" });
          await navLink(page, reader.username).waitFor();
          // The feed needs a token the server still takes, not only a name kept by the page.
          await navLink(page, "Home").click();
          await page.locator("a", { hasText: "Your Feed" }).first().click();
          await page.locator(".article-preview", { hasText: theirs.title }).waitFor();
        });
        await journey.run("no API call was refused or failed along the way", () => {
          // Default limits and token lifetimes must let a person's ordinary use through.
          expect(journey.apiErrors).toEqual([]);
        });
      } catch (error) {
        throw await journey.failure(error, api.output());
      } finally {
        await journey.close();
        await site.close();
      }
    },
    180_000,
  );
});
