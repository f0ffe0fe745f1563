// What the web console and /metrics read (ConsoleQueries in contract.ts), as the SQLite journal answers it
// (sqlite/console-queries.ts and SqlitePayouts#pageOfPayouts): each one statement, one round trip. Pages walk
// payouts_batch_status_row (batch, status, row number) or the primary key from the keyset; sums are NUMERIC, exact,
// read back as text; the attempts tally is a table recordAttempt keeps (schema.ts, migration 3).
import type { AmountTotal, AttemptTotal, PayoutRecord, PayoutTotal, RowPageFrom } from '../contract.ts';
import type { PayoutStatus } from '../states.ts';
import { payoutOf, PAYOUT_SELECT } from './codec.ts';
import { Params, type Session } from './session.ts';

/** Batch states whose validated/queued rows may still be sent. */
const MAY_SEND = ['held', 'submitting', 'polling', 'stopped'];

/** Sorted as the SQLite journal would compare the text (UTF-16 code units), not by the database's collation. */
const byText = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);

export class PostgresConsoleQueries {
  constructor(private readonly session: Session) {}

  pageOfPayouts(batchId: string, statuses: readonly PayoutStatus[] | null, from: RowPageFrom, limit: number): PayoutRecord[] {
    const p = new Params();
    const forward = 'after' in from;
    const where = [`p.batch_id = ${p.add(batchId)}`, `p.row_number ${forward ? '>' : '<'} ${p.add(forward ? from.after : from.before)}`];
    // One status: an equality, so the planner walks (batch_id, status, row_number) in row order; several: the
    // primary key from the keyset, the others filtered out.
    if (statuses?.length === 1) where.push(`p.status = ${p.add(statuses[0])}`);
    else if (statuses) where.push(`p.status = ANY(${p.add(statuses)}::text[])`);
    const rows = this.session.rows(`${PAYOUT_SELECT} WHERE ${where.join(' AND ')} ORDER BY p.row_number ${forward ? 'ASC' : 'DESC'} LIMIT ${p.add(limit)}`, p.values);
    if (!forward) rows.reverse();
    return rows.map(payoutOf);
  }

  /**
   * As SQLite: grouped by currency and status; a group with no amount (invalid rows) answers currency null and 0.
   * trunc(sum)::text: the exact integer, whatever scale the amounts were written with.
   */
  amountTotals(batchId: string): AmountTotal[] {
    const rows = this.session.rows(
      `SELECT currency, status, count(*) AS n, trunc(sum(amount_minor))::text AS total FROM payouts WHERE batch_id = $1 GROUP BY currency, status`,
      [batchId],
    );
    return rows
      .map((r) => ({
        currency: r.total === null ? null : (r.currency as string | null),
        status: r.status as PayoutStatus,
        rows: r.n as number,
        amountMinor: r.total === null ? 0n : BigInt(r.total as string),
      }))
      .sort((a, b) => byText(a.currency, b.currency) || byText(a.status, b.status));
  }

  /** Counted per batch and status (payouts_batch_status_row), then per batch's provider, as SQLite. */
  payoutTotals(): PayoutTotal[] {
    return this.session
      .rows(
        `SELECT b.provider, c.status, sum(c.n)::bigint AS n
           FROM (SELECT batch_id, status, count(*) AS n FROM payouts GROUP BY batch_id, status) c
           JOIN batches b ON b.id = c.batch_id GROUP BY b.provider, c.status`,
      )
      .map((r) => ({ provider: r.provider as string, status: r.status as PayoutStatus, rows: r.n as number }))
      .sort((a, b) => byText(a.provider, b.provider) || byText(a.status, b.status));
  }

  /** Only the batches that may send, each counted through payouts_batch_status_row. */
  rowsWaiting(): { provider: string; rows: number }[] {
    return this.session
      .rows(
        `SELECT b.provider, count(*) AS n FROM batches b JOIN payouts p ON p.batch_id = b.id AND p.status IN ('validated', 'queued')
          WHERE b.state = ANY($1::text[]) GROUP BY b.provider`,
        [MAY_SEND],
      )
      .map((r) => ({ provider: r.provider as string, rows: r.n as number }))
      .sort((a, b) => byText(a.provider, b.provider));
  }

  /** The tally's shards summed: every process's attempts since the journal began. */
  attemptTotals(): AttemptTotal[] {
    return this.session
      .rows(`SELECT provider, outcome, throttled, sum(requests)::bigint AS n FROM attempt_totals GROUP BY provider, outcome, throttled`)
      .map((r) => ({ provider: r.provider as string, outcome: r.outcome as string, throttled: r.throttled as boolean, requests: r.n as number }))
      .sort((a, b) => byText(a.provider, b.provider) || byText(a.outcome, b.outcome) || Number(a.throttled) - Number(b.throttled));
  }
}
