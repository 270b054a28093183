import type { Request, RequestHandler, Response } from "express";
import { joinEveryTransaction } from "../../core/database/repository";
import { AuthenticationError, type Authenticator } from "../auth/authenticator";
import { readIdempotencyKey, requestFingerprint } from "./idempotency-key";
import type { StoredAnswer } from "./idempotency.repository";
import type { IdempotencyService } from "./idempotency.service";

/** Marks an answer that was replayed rather than produced by this request. */
export const REPLAYED_HEADER = "Idempotent-Replayed";

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The response headers that belong to the answer itself; the rest are per request. */
const KEPT_HEADERS = ["content-type", "location"];

interface IdempotentWritesDeps {
  idempotency: IdempotencyService;
  authenticator: Authenticator;
}

/**
 * Idempotency-Key on writes by signed-in callers: the first request runs and
 * its answer is kept; a retry gets that answer back. Requests without the
 * header pass straight through and cost nothing. Anonymous requests (and
 * those whose token the route will refuse) pass through too: keys belong to
 * users, so no caller can be answered with another's answer.
 */
export function idempotentWrites({
  idempotency,
  authenticator,
}: IdempotentWritesDeps): RequestHandler {
  return async (req, res, next) => {
    if (!WRITE_METHODS.has(req.method)) return next();
    const key = readIdempotencyKey(req);
    if (key === undefined) return next();
    const userId = await signedInUser(authenticator, req);
    if (userId === undefined) return next();

    const admission = await idempotency.admit(userId, key, requestFingerprint(req));
    if ("replay" in admission) return replay(res, admission.replay);

    const claim = admission.run;
    let settled = false;
    keepAnswer(res, async (answer) => {
      settled = true;
      await idempotency.settle(claim, answer);
    });
    const member = idempotency.transactionMember(claim);
    // Work the request starts after its answer (event handlers) is not its write.
    joinEveryTransaction((tx) => (settled ? Promise.resolve() : member(tx)), next);
  };
}

/** The caller's user id when the request carries a usable token. */
async function signedInUser(
  authenticator: Authenticator,
  req: Request,
): Promise<number | undefined> {
  try {
    return (await authenticator.fromRequest(req))?.userId;
  } catch (error) {
    // The route's access rule gives the answer (401) for a token it cannot use.
    if (error instanceof AuthenticationError) return undefined;
    throw error;
  }
}

function replay(res: Response, answer: StoredAnswer): void {
  res.status(answer.status).set(answer.headers).set(REPLAYED_HEADER, "true").send(answer.body);
}

/**
 * Holds the answer back until `settle` has recorded it, so a retry that
 * arrives once the client has its answer finds it kept (or the key free
 * again). An answer streamed in parts is not kept.
 */
function keepAnswer(
  res: Response,
  settle: (answer: StoredAnswer | undefined) => Promise<void>,
): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let ending = false;
  res.end = ((...args: unknown[]) => {
    if (ending) return end(...args);
    ending = true;
    const answer = res.headersSent ? undefined : answerOf(res, args[0]);
    void settle(answer).finally(() => end(...args));
    return res;
  }) as Response["end"];
}

function answerOf(res: Response, chunk: unknown): StoredAnswer {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: res.statusCode, headers, body: bodyText(chunk) };
}

/** The API answers in UTF-8 JSON (or nothing, for a 204). */
function bodyText(chunk: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (Buffer.isBuffer(chunk)) return chunk.toString("utf8");
  return "";
}
