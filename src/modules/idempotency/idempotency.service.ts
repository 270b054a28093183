import { randomUUID } from "node:crypto";
import type { Transaction, TransactionMember } from "../../core/database/repository";
import { AppError, ErrorCode, ValidationError } from "../../core/errors/app-error";
import type { Logger } from "../../core/logging/logger";
import { IDEMPOTENCY_KEY_HEADER } from "./idempotency-key";
import type {
  IdempotencyRepository,
  KeyClaim,
  KeyHolder,
  StoredAnswer,
} from "./idempotency.repository";

/**
 * How long a claimed key counts as in flight. Requests end well within it
 * (every query and Redis command has its own bound); a request still running
 * past it loses the key to a retry, and its write then rolls back instead of
 * committing a second time.
 */
export const IN_FLIGHT_LEASE_SECONDS = 30;

/** The Retry-After of "a request with this key is still in progress". */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

interface IdempotencyServiceDeps {
  keys: IdempotencyRepository;
  logger: Logger;
  /** How long a key and its answer are kept. */
  ttlSeconds: number;
}

/** What to do with a request that carries a key. */
export type Admission = { run: KeyClaim } | { replay: StoredAnswer };

/**
 * Idempotency keys: a retry of a write gets the first answer instead of a
 * second write (docs/adr/0023-idempotency-keys.md). Keys are per user.
 */
export class IdempotencyService {
  constructor(private readonly deps: IdempotencyServiceDeps) {}

  /**
   * Claims the key for this request, or says why it cannot run: the first
   * answer to replay (2xx), a different request under the same key (422), one
   * still in flight (409 with Retry-After), or a write that committed but
   * whose answer was lost (409).
   */
  async admit(userId: number, key: string, fingerprint: string): Promise<Admission> {
    const claim: KeyClaim = { userId, key, claim: randomUUID() };
    const outcome = await this.deps.keys.claim(claim, fingerprint, {
      leaseSeconds: IN_FLIGHT_LEASE_SECONDS,
      ttlSeconds: this.deps.ttlSeconds,
    });
    if (outcome.claimed) return { run: claim };
    return { replay: answerFrom(outcome.holder, fingerprint) };
  }

  /**
   * The statement that joins the write's transaction: the key is marked
   * committed in the same commit as the write. If another request has taken
   * the key meanwhile (this one outlived its lease), the write rolls back.
   */
  transactionMember(claim: KeyClaim): TransactionMember {
    return async (tx: Transaction) => {
      if (!(await this.deps.keys.markCommitted(tx, claim))) throw inFlight();
    };
  }

  /**
   * Called once the answer is known, before it is sent: a 2xx is kept for
   * retries; anything else frees the key so a retry runs again (a write that
   * committed keeps its key, so it is never run twice). Never throws: a
   * failure here must not turn a done write into an error.
   */
  async settle(claim: KeyClaim, answer: StoredAnswer | undefined): Promise<void> {
    try {
      if (answer !== undefined && answer.status >= 200 && answer.status < 300) {
        await this.deps.keys.storeAnswer(claim, answer);
      } else {
        await this.deps.keys.release(claim);
      }
    } catch (error) {
      this.deps.logger.warn(
        { err: error, status: answer?.status },
        "the answer of a request with an Idempotency-Key could not be recorded",
      );
    }
  }
}

/** The answer to replay, or the error that explains why the request cannot run now. */
function answerFrom(holder: KeyHolder | null, fingerprint: string): StoredAnswer {
  if (holder === null) throw inFlight();
  if (holder.fingerprint !== fingerprint) {
    throw new ValidationError({
      [IDEMPOTENCY_KEY_HEADER]: [
        "was already used for a different request (method, path or body); use a new key for a new request",
      ],
    });
  }
  if (holder.answer !== null) return holder.answer;
  if (holder.committed) {
    throw new AppError(409, ErrorCode.Conflict, {
      [IDEMPOTENCY_KEY_HEADER]: [
        "was used by a request that was carried out, but its answer was lost; read the resource to see the result",
      ],
    });
  }
  throw inFlight();
}

function inFlight(): AppError {
  return new AppError(
    409,
    ErrorCode.Conflict,
    { [IDEMPOTENCY_KEY_HEADER]: ["is in use by a request still in progress; retry shortly"] },
    { "Retry-After": String(IN_FLIGHT_RETRY_AFTER_SECONDS) },
  );
}
