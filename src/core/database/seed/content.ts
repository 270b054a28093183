import type { Faker } from "@faker-js/faker";

// Text for seeded rows. Faker's lorem is Latin; its "hacker" phrases read like
// (nonsense) English, which is closer to what a Conduit page really shows.

export interface Profile {
  email: string;
  username: string;
  bio: string | null;
  image: string | null;
}

export interface ArticleText {
  title: string;
  description: string;
  body: string;
}

/** Tags that read like a blogging platform's; faker nouns fill the rest of the pool. */
const TOPIC_TAGS = [
  "javascript",
  "typescript",
  "node",
  "react",
  "vue",
  "css",
  "postgres",
  "sql",
  "docker",
  "kubernetes",
  "devops",
  "testing",
  "security",
  "performance",
  "architecture",
  "api",
  "rust",
  "go",
  "python",
  "career",
  "productivity",
  "opensource",
  "beginners",
  "tutorial",
];

const EMAIL_DOMAINS = ["example.com", "example.org", "example.net"];

/** ASCII letters only, so that a numeric suffix after it can never make two values collide. */
function letters(text: string): string {
  return text.normalize("NFKD").replace(/[^A-Za-z]/g, "");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A profile for the user numbered `n` (1-based). Emails and usernames are citext
 * UNIQUE, so they end in `n` after a letters-only stem: unique even ignoring case.
 */
export function profile(faker: Faker, n: number): Profile {
  const first = letters(faker.person.firstName()) || "user";
  const last = letters(faker.person.lastName()) || "seed";
  return {
    email: `${first}.${last}.${n}@${faker.helpers.arrayElement(EMAIL_DOMAINS)}`.toLowerCase(),
    username: `${first}${last}`.slice(0, 20) + n,
    bio: faker.datatype.boolean(0.7) ? faker.person.bio() : null,
    image: faker.datatype.boolean(0.8) ? faker.image.personPortrait({ size: 256 }) : null,
  };
}

/** `count` distinct lowercase tag names. */
export function tagNames(faker: Faker, count: number): string[] {
  const names = new Set(TOPIC_TAGS.slice(0, count));
  // Terminates while count stays well below the thousands of nouns faker knows.
  while (names.size < count) {
    const noun = letters(faker.word.noun()).toLowerCase();
    if (noun.length >= 3) names.add(noun);
  }
  return [...names];
}

function title(faker: Faker): string {
  const h = faker.hacker;
  return faker.helpers.arrayElement([
    () => `How to ${h.verb()} the ${h.adjective()} ${h.noun()}`,
    () => `Why we stopped ${h.ingverb()} our ${h.noun()}`,
    () => `${faker.number.int({ min: 3, max: 12 })} lessons from ${h.ingverb()} a ${h.noun()}`,
    () => `${capitalize(h.ingverb())} ${h.adjective()} ${h.noun()}s at scale`,
    () => `The ${h.adjective()} guide to ${h.noun()} ${faker.hacker.abbreviation()}`,
    () => faker.company.catchPhrase(),
  ])();
}

function paragraph(faker: Faker): string {
  return faker.helpers
    .multiple(() => faker.hacker.phrase(), { count: { min: 2, max: 5 } })
    .join(" ");
}

function codeBlock(faker: Faker): string {
  const name = faker.hacker.verb().replace(/\W/g, "") + capitalize(letters(faker.hacker.noun()));
  const value = faker.hacker.abbreviation();
  return [
    "```ts",
    `export async function ${name}(input: string): Promise<string> {`,
    `  const result = await fetch(\`/api/${value.toLowerCase()}/\${input}\`);`,
    "  return result.text();",
    "}",
    "```",
  ].join("\n");
}

/** A Markdown article: an intro, then sections with the odd list, code block or quote. */
function markdownBody(faker: Faker): string {
  const blocks = [paragraph(faker)];
  const sections = faker.number.int({ min: 1, max: 4 });
  for (let s = 0; s < sections; s++) {
    blocks.push(`## ${capitalize(faker.hacker.ingverb())} the ${faker.hacker.noun()}`);
    blocks.push(paragraph(faker));
    const extra = faker.number.int({ min: 0, max: 5 });
    if (extra === 0) {
      const items = faker.helpers.multiple(() => `- ${capitalize(faker.hacker.phrase())}`, {
        count: { min: 2, max: 5 },
      });
      blocks.push(items.join("\n"));
    } else if (extra === 1) {
      blocks.push(codeBlock(faker));
    } else if (extra === 2) {
      blocks.push(`> ${faker.hacker.phrase()}`);
    }
  }
  return blocks.join("\n\n");
}

export function articleText(faker: Faker): ArticleText {
  return { title: title(faker), description: faker.hacker.phrase(), body: markdownBody(faker) };
}

export function commentBody(faker: Faker): string {
  return faker.helpers
    .multiple(() => faker.hacker.phrase(), { count: { min: 1, max: 3 } })
    .join(" ");
}

/** Lowercase ASCII words joined by hyphens, cut at about 60 characters. */
export function slugify(text: string): string {
  const slug = text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 60)
    .replace(/^-+|-+$/g, "");
  return slug || "article";
}
