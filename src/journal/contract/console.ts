// The journal's queries for the web console and /metrics (DESIGN §13): pages of rows and totals from indexes,
// never whole batches. Part of the journal contract (../contract.ts), which every journal implements.
import type { PayoutRecord } from '../contract.ts';
import type { PayoutStatus } from '../states.ts';

/** Rows and their amount for one currency and status of a batch (ConsoleQueries.amountTotals). */
export interface AmountTotal {
  /** null: rows whose currency or amount could not be read (invalid rows); `amountMinor` is then 0. */
  currency: string | null;
  status: PayoutStatus;
  rows: number;
  amountMinor: bigint;
}

/** Rows of one provider in one status, over every batch (ConsoleQueries.payoutTotals). */
export interface PayoutTotal {
  provider: string;
  status: PayoutStatus;
  rows: number;
}

/** Requests made to one provider with one outcome, since the journal began (ConsoleQueries.attemptTotals). */
export interface AttemptTotal {
  provider: string;
  /** The attempt's recorded outcome: the adapter's outcome kind (accepted, rejected, notSent, unknown, status, …). */
  outcome: string;
  /** The provider answered "too many requests" (HTTP 429 or its own code): the attempt's detail has `throttled: true`. */
  throttled: boolean;
  requests: number;
}

/** Where a page of rows starts: after a row number (Next), or before one (Previous). */
export type RowPageFrom = { after: number } | { before: number };

/**
 * What the web console and /metrics read (DESIGN §13). Every method is one query, cheap enough to run on each
 * page view or scrape of a journal holding batches of 100,000 rows: none reads a whole batch's rows into
 * memory, and the metrics group answers every process's work (they read the journal, not this process's
 * counters), so `paybatch console` alone reports what every `watch` and `run` did.
 */
export interface ConsoleQueries {
  /**
   * At most `limit` rows of a batch in row order: those after `from.after`, or the `limit` rows just before
   * `from.before` (still in row order); only rows in `statuses` when given (null: every row). Keyset paging,
   * so page 500 costs what page 1 does. SQLite: the primary key (batch_id, row_number) without a filter or with
   * several statuses (the payout_status `pending` is five journal statuses), walked from the keyset; with one
   * status, a range of payouts_batch_status (batch_id, status, row_number). PostgreSQL: `WHERE batch_id = $1 AND
   * row_number > $2 [AND status = ANY($3)] ORDER BY row_number LIMIT $4` on an index (batch_id, status,
   * row_number) and the primary key (for `before`: `row_number < $2 ORDER BY row_number DESC`, reversed).
   */
  pageOfPayouts(batchId: string, statuses: readonly PayoutStatus[] | null, from: RowPageFrom, limit: number): PayoutRecord[];
  /**
   * Per currency and status of one batch: rows and Σ amount, exact (never a float: SQLite sums the integer
   * text as 64-bit integers; PostgreSQL `SUM(amount_minor::numeric)`). The batch page's invariant line.
   */
  amountTotals(batchId: string): AmountTotal[];
  /** Rows per provider and status over every batch, statuses with no rows left out (`paybatch_payouts`). */
  payoutTotals(): PayoutTotal[];
  /**
   * Rows waiting to be sent (validated or queued) per provider, in batches that may still send them (held,
   * submitting, polling, stopped: not rejected, cancelled or completed) — `paybatch_rows_waiting`.
   */
  rowsWaiting(): { provider: string; rows: number }[];
  /**
   * Attempts per provider, outcome and throttled, since the journal began (`paybatch_provider_requests_total`,
   * `paybatch_rate_limited_total`): totals that only grow. The attempts table grows with every poll, so an
   * implementation keeps a running tally rather than counting it all on every scrape: SQLite remembers the
   * highest attempt id it has counted and adds only the attempts after it (one writer at a time commits ids in
   * order); PostgreSQL keeps a counter table (provider, outcome, throttled) updated by recordAttempt in the same
   * transaction, and answers it.
   */
  attemptTotals(): AttemptTotal[];
}
