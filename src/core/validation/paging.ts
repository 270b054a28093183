import { z } from "zod";

/** Digits only, so "abc", "1.5", "-1" and "1e3" are refused rather than coerced. */
function wholeNumber(min: number, max: number) {
  return z
    .string({ error: "must be a whole number" })
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** `limit` (1…maxLimit, default 20) and `offset` (0 or more, default 0) from a query string. */
export function offsetPaging(maxLimit: number) {
  return z.object({
    // A default skips the checks above, so it must respect the maximum itself.
    limit: wholeNumber(1, maxLimit).default(Math.min(20, maxLimit)),
    offset: wholeNumber(0, 1_000_000_000).default(0),
  });
}

export type OffsetPage = z.output<ReturnType<typeof offsetPaging>>;
