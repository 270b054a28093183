import { z } from "zod";

/** "can't be blank" is the RealWorld message for a missing, null or empty value. */
export const BLANK = "can't be blank";

/** A string, with RealWorld's message when it is missing and a plain one when it is another type. */
export const stringType = z.string({
  error: (issue) => (issue.input == null ? BLANK : "must be a string"),
});

/** Newlines, carriage returns and tabs are text; other control characters are not. */
export const TEXT_WITHOUT_CONTROLS = /^(?:\P{Cc}|[\t\n\r])*$/u;

/** A single line holds no control character at all: none of C0, DEL or C1. */
const LINE_WITHOUT_CONTROLS = /^\P{Cc}*$/u;
const NO_CONTROLS = "must not contain control characters";

/**
 * A value that names something (a slug in a path, a token or slug in a socket
 * event), taken as given: no trimming or normalising. No stored name holds a
 * control character, and PostgreSQL refuses NUL in text outright, so one is
 * refused here, as a 422 naming the value, before it reaches a query.
 */
export function identifier(maxLength: number) {
  return stringType
    .min(1, BLANK)
    .max(maxLength, `is too long (maximum is ${maxLength} characters)`)
    .regex(LINE_WITHOUT_CONTROLS, NO_CONTROLS);
}

/**
 * A required single-line text field: trimmed, NFC-normalised, never blank,
 * without control characters, and capped.
 */
export function requiredLine(maxLength: number) {
  return stringType
    .trim()
    .normalize("NFC")
    .min(1, { message: BLANK, abort: true })
    .max(maxLength, `is too long (maximum is ${maxLength} characters)`)
    .regex(LINE_WITHOUT_CONTROLS, NO_CONTROLS);
}

/**
 * Required free text (a comment): trimmed, NFC-normalised, never blank,
 * capped. Newlines and tabs are allowed; other control characters are not.
 */
export function requiredText(maxLength: number) {
  return stringType
    .trim()
    .normalize("NFC")
    .min(1, { message: BLANK, abort: true })
    .max(maxLength, `is too long (maximum is ${maxLength} characters)`)
    .regex(TEXT_WITHOUT_CONTROLS, NO_CONTROLS);
}

/**
 * Optional free text that a client clears with `null` or `""` (both stored as
 * null). Newlines and tabs are allowed; other control characters are not.
 */
export function clearableText(maxLength: number) {
  return z
    .union([stringType, z.null()], { error: "must be a string or null" })
    .transform((value) => (value === null ? "" : value.trim().normalize("NFC")))
    .pipe(
      z
        .string()
        .max(maxLength, `is too long (maximum is ${maxLength} characters)`)
        .regex(TEXT_WITHOUT_CONTROLS, NO_CONTROLS),
    )
    .transform((value) => (value === "" ? null : value));
}

/**
 * An optional http(s) URL that `null` or `""` clears, kept in its WHATWG
 * serialisation (what `new URL(…).href` gives): a space or `"` is
 * percent-encoded, never stored raw where a front end pastes it into `src`.
 */
export function clearableHttpUrl(maxLength: number) {
  return z
    .union([stringType, z.null()], { error: "must be a string or null" })
    .transform((value) => (value === null ? "" : value.trim()))
    .pipe(
      z
        .string()
        .max(maxLength, `is too long (maximum is ${maxLength} characters)`)
        .regex(LINE_WITHOUT_CONTROLS, NO_CONTROLS)
        .refine((value) => value === "" || httpUrlHref(value) !== undefined, {
          message: "must be an http or https URL",
        }),
    )
    .transform((value) => (value === "" ? null : httpUrlHref(value)!))
    .pipe(z.string().max(maxLength, `is too long (maximum is ${maxLength} characters)`).nullable());
}

/** The URL's serialised form, or undefined when it is not an http(s) URL. */
function httpUrlHref(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}
