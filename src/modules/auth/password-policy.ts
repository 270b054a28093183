import { dictionary } from "@zxcvbn-ts/language-common";
import { ValidationError } from "../../core/errors/app-error";
import { BLANK, stringType } from "../../core/validation/text";

const PASSWORD_MIN_LENGTH = 8;
/** ASVS asks that at least 64 be allowed; the cap only keeps hashing requests small. */
const PASSWORD_MAX_LENGTH = 128;

/**
 * The RealWorld rules, which every environment keeps (ASVS 2.1 agrees): a
 * length range counted in characters (not bytes), no composition rules, no
 * truncation.
 */
export const passwordSchema = stringType
  .min(1, { message: BLANK, abort: true })
  .refine((value) => [...value].length >= PASSWORD_MIN_LENGTH, {
    message: `is too short (minimum is ${PASSWORD_MIN_LENGTH} characters)`,
    abort: true,
  })
  .refine((value) => [...value].length <= PASSWORD_MAX_LENGTH, {
    message: `is too long (maximum is ${PASSWORD_MAX_LENGTH} characters)`,
  });

/**
 * A password presented to be checked (sign-in, re-authentication) rather than
 * set: no policy, since one set under an older policy must still work; the
 * cap only keeps hashing requests small.
 */
export const presentedPasswordSchema = stringType
  .min(1, { message: BLANK, abort: true })
  .max(1_024, "is too long (maximum is 1024 characters)");

/**
 * The most common passwords, from zxcvbn-ts's frequency list (about 18,000 of
 * its entries are long enough to pass the length rule). Compared in lower case,
 * so "Password1" is refused along with "password1".
 */
const commonPasswords: ReadonlySet<string> = new Set(
  dictionary["passwords-common"].filter((word) => word.length >= PASSWORD_MIN_LENGTH),
);

/**
 * What a new password must be beyond the schema. Refusing common passwords
 * (ASVS 2.1.7) is the one rule stricter than RealWorld's, whose suites sign up
 * with "password123", so it is a setting: on in production, off elsewhere.
 */
export class PasswordPolicy {
  constructor(private readonly settings: { refuseCommon: boolean }) {}

  assertAcceptable(password: string): void {
    if (this.settings.refuseCommon && isCommonPassword(password)) {
      throw new ValidationError({
        password: ["is too common; choose one that is harder to guess"],
      });
    }
  }
}

function isCommonPassword(password: string): boolean {
  return commonPasswords.has(password.normalize("NFKC").toLowerCase());
}
