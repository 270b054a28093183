import { z } from "zod";
import { BLANK } from "./text";

/**
 * The object inside a RealWorld envelope (`{"user": {...}}`, `{"article": {...}}`);
 * a missing one reads as blank. Unknown keys are dropped, never stored.
 */
export function envelopeContent<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape, {
    error: (issue) => (issue.input == null ? BLANK : "must be an object"),
  });
}

/** A record id in a path or body: digits, within PostgreSQL's integer range. */
export const recordId = z
  .union(
    [
      z.string().regex(/^\d{1,10}$/, "must be a whole number"),
      z.number({ error: "must be a whole number" }),
    ],
    { error: "must be a whole number" },
  )
  .transform(Number)
  .pipe(
    z
      .number()
      .refine(Number.isInteger, { message: "must be a whole number", abort: true })
      .min(1, "must be at least 1")
      .max(2_147_483_647, "is too large"),
  );
