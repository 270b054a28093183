import { Repository, type Transaction } from "../../core/database/repository";

/** One request's hold on a key: the key, its user, and the claim that says which request holds it. */
export interface KeyClaim {
  userId: number;
  key: string;
  claim: string;
}

/** An answer as it is kept and replayed. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a key held when another request already had it. */
export interface KeyHolder {
  fingerprint: string;
  /** The write it guards has committed. */
  committed: boolean;
  answer: StoredAnswer | null;
}

export type ClaimOutcome =
  | { claimed: true }
  /** `holder` is null when the row was written by a request that began after this one looked. */
  | { claimed: false; holder: KeyHolder | null };

interface ClaimRow {
  claimed: boolean;
  fingerprint: string | null;
  committed: boolean;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

/** Expired keys removed by each claim: cleaning keeps pace with new keys without a timer. */
const EXPIRED_REMOVED_PER_CLAIM = 10;

/**
 * Idempotency keys in PostgreSQL (docs/adr/0023-idempotency-keys.md). A key
 * is claimed before its request runs, marked committed inside the write's own
 * transaction, and given the answer once the answer is known.
 */
export class IdempotencyRepository extends Repository {
  /**
   * One round trip: takes the key if it is free (new, expired, or abandoned by
   * a request that never committed and whose lease ran out, with the same
   * fingerprint), else reports who holds it. Also removes a few expired keys.
   */
  async claim(
    { userId, key, claim }: KeyClaim,
    fingerprint: string,
    { leaseSeconds, ttlSeconds }: { leaseSeconds: number; ttlSeconds: number },
  ): Promise<ClaimOutcome> {
    const rows = await this.db.$queryRaw<ClaimRow[]>`
      WITH expired AS (
        DELETE FROM idempotency_keys
        WHERE (user_id, key) IN (
          SELECT user_id, key FROM idempotency_keys
          WHERE expires_at <= now() AND NOT (user_id = ${userId}::int AND key = ${key})
          ORDER BY expires_at
          LIMIT ${EXPIRED_REMOVED_PER_CLAIM}::int
          FOR UPDATE SKIP LOCKED)
      ), claimed AS (
        INSERT INTO idempotency_keys AS held
          (user_id, key, fingerprint, claim, lease_until, expires_at)
        VALUES (
          ${userId}::int, ${key}, ${fingerprint}, ${claim}::uuid,
          now() + ${leaseSeconds}::int * interval '1 second',
          now() + ${ttlSeconds}::int * interval '1 second')
        ON CONFLICT (user_id, key) DO UPDATE SET
          fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim,
          lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at,
          created_at = now(), committed_at = NULL,
          response_status = NULL, response_headers = NULL, response_body = NULL
        WHERE held.expires_at <= now()
          OR (held.committed_at IS NULL AND held.response_status IS NULL
              AND held.lease_until <= now() AND held.fingerprint = EXCLUDED.fingerprint)
        RETURNING 1
      )
      SELECT true AS claimed, NULL::text AS fingerprint, false AS committed,
        NULL::int AS response_status, NULL::jsonb AS response_headers, NULL::text AS response_body
      FROM claimed
      UNION ALL
      SELECT false, fingerprint, committed_at IS NOT NULL,
        response_status, response_headers, response_body
      FROM idempotency_keys
      WHERE user_id = ${userId}::int AND key = ${key} AND NOT EXISTS (SELECT 1 FROM claimed)`;
    const row = rows[0];
    if (row?.claimed === true) return { claimed: true };
    return { claimed: false, holder: row === undefined ? null : toHolder(row) };
  }

  /** In the write's transaction: the key's write is done. False when this request no longer holds it. */
  async markCommitted(tx: Transaction, { userId, key, claim }: KeyClaim): Promise<boolean> {
    const marked = await tx.$executeRaw`
      UPDATE idempotency_keys SET committed_at = now()
      WHERE user_id = ${userId}::int AND key = ${key} AND claim = ${claim}::uuid`;
    return marked === 1;
  }

  /** Keeps the answer for retries. */
  async storeAnswer({ userId, key, claim }: KeyClaim, answer: StoredAnswer): Promise<void> {
    await this.db.$executeRaw`
      UPDATE idempotency_keys SET response_status = ${answer.status}::int,
        response_headers = ${JSON.stringify(answer.headers)}::jsonb,
        response_body = ${answer.body}
      WHERE user_id = ${userId}::int AND key = ${key} AND claim = ${claim}::uuid`;
  }

  /** Frees the key for a retry, unless its write committed (then a retry must not run again). */
  async release({ userId, key, claim }: KeyClaim): Promise<void> {
    await this.db.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE user_id = ${userId}::int AND key = ${key} AND claim = ${claim}::uuid
        AND committed_at IS NULL`;
  }
}

function toHolder(row: ClaimRow): KeyHolder {
  return {
    fingerprint: row.fingerprint ?? "",
    committed: row.committed,
    answer:
      row.response_status === null
        ? null
        : {
            status: row.response_status,
            headers: row.response_headers ?? {},
            body: row.response_body ?? "",
          },
  };
}
