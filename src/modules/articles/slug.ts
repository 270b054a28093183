import { randomBytes } from "node:crypto";
import slugify from "slugify";

const SLUG_BASE_MAX = 80;

/** "How to Train Your Dragon!" → "how-to-train-your-dragon"; a title with no Latin letters gives "article". */
export function slugBase(title: string): string {
  const base = slugify(title, { lower: true, strict: true, trim: true })
    .slice(0, SLUG_BASE_MAX)
    .replace(/-+$/, "");
  return base === "" ? "article" : base;
}

/** The base with a random suffix, for a title whose plain slug is taken. */
export function suffixedSlug(base: string): string {
  return `${base}-${randomBytes(4).toString("hex")}`;
}
