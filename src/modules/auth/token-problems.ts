import { UnauthenticatedError } from "../../core/errors/app-error";

const PROBLEM_MESSAGES = {
  expired: "has expired",
  invalid: "is invalid",
  revoked: "has been revoked",
} as const;

export type TokenProblem = keyof typeof PROBLEM_MESSAGES;

/**
 * The 401 for a token that was presented but cannot be used, with RFC 6750's
 * `invalid_token` challenge so clients can tell it from a missing token.
 */
export function unusableToken(problem: TokenProblem): UnauthenticatedError {
  return new UnauthenticatedError("token", PROBLEM_MESSAGES[problem], challengeFor(problem));
}

export function challengeFor(problem: TokenProblem): string {
  return `Bearer realm="conduit", error="invalid_token", error_description="token ${PROBLEM_MESSAGES[problem]}"`;
}
