// What the web console and /metrics read (ConsoleQueries in contract.ts): sums and counts answered by the
// indexes, and a running tally of attempts so that a scrape reads only the attempts made since the last one.
import type Database from 'better-sqlite3';
import type { AmountTotal, AttemptTotal, PayoutTotal } from '../contract.ts';
import type { PayoutStatus } from '../states.ts';

/** Batch states whose validated/queued rows may still be sent. */
const MAY_SEND = ['held', 'submitting', 'polling', 'stopped'];

export class SqliteConsoleQueries {
  private readonly selectAmounts: Database.Statement;
  private readonly selectPayoutTotals: Database.Statement;
  private readonly selectWaiting: Database.Statement;
  private readonly selectAttempts: Database.Statement;
  /** Attempts counted so far, by provider, outcome and throttled; and the last attempt id counted. */
  private readonly tally = new Map<string, AttemptTotal>();
  private lastAttemptId = 0;

  constructor(db: Database.Database) {
    // CAST … AS INTEGER: the amounts are integer text; SUM of integers stays an exact 64-bit integer (or
    // fails with "integer overflow", never rounds), read back as bigint.
    this.selectAmounts = db
      .prepare(
        `SELECT currency, status, COUNT(*) AS n, SUM(CAST(amount_minor AS INTEGER)) AS total
         FROM payouts WHERE batch_id = ? GROUP BY currency, status`,
      )
      .safeIntegers(true);
    // A scan of the covering index payouts_batch_status, then one batch lookup per batch.
    this.selectPayoutTotals = db.prepare(
      `SELECT b.provider AS provider, c.status AS status, SUM(c.n) AS n
       FROM (SELECT batch_id, status, COUNT(*) AS n FROM payouts GROUP BY batch_id, status) c
       JOIN batches b ON b.id = c.batch_id GROUP BY b.provider, c.status`,
    );
    // Only the batches that may send, each counted through payouts_batch_status (CROSS JOIN: batches first,
    // never a scan of every payout).
    this.selectWaiting = db.prepare(
      `SELECT b.provider AS provider, COUNT(*) AS n FROM batches b
       CROSS JOIN payouts p ON p.batch_id = b.id AND p.status IN ('validated', 'queued')
       WHERE b.state IN (${MAY_SEND.map(() => '?').join(',')}) GROUP BY b.provider`,
    );
    // A payout id is '<batch>-<row>': stripping the row's digits, then the dash, names the batch (its provider).
    this.selectAttempts = db.prepare(
      `SELECT b.provider AS provider, a.outcome AS outcome,
              COALESCE(json_extract(a.detail, '$.throttled'), 0) = 1 AS throttled, COUNT(*) AS n, MAX(a.id) AS last
       FROM attempts a
       JOIN batches b ON b.id = substr(rtrim(a.payout_id, '0123456789'), 1, length(rtrim(a.payout_id, '0123456789')) - 1)
       WHERE a.id > ? GROUP BY 1, 2, 3`,
    );
  }

  amountTotals(batchId: string): AmountTotal[] {
    return (this.selectAmounts.all(batchId) as { currency: string | null; status: PayoutStatus; n: bigint; total: bigint | null }[]).map((r) => ({
      currency: r.total === null ? null : r.currency,
      status: r.status,
      rows: Number(r.n),
      amountMinor: r.total ?? 0n,
    }));
  }

  payoutTotals(): PayoutTotal[] {
    return (this.selectPayoutTotals.all() as { provider: string; status: PayoutStatus; n: number }[]).map((r) => ({ provider: r.provider, status: r.status, rows: r.n }));
  }

  rowsWaiting(): { provider: string; rows: number }[] {
    return (this.selectWaiting.all(...MAY_SEND) as { provider: string; n: number }[]).map((r) => ({ provider: r.provider, rows: r.n }));
  }

  attemptTotals(): AttemptTotal[] {
    const rows = this.selectAttempts.all(this.lastAttemptId) as { provider: string; outcome: string | null; throttled: number; n: number; last: number }[];
    for (const r of rows) {
      const outcome = r.outcome ?? 'none';
      const key = `${r.provider}\0${outcome}\0${r.throttled}`;
      const t = this.tally.get(key) ?? { provider: r.provider, outcome, throttled: r.throttled === 1, requests: 0 };
      t.requests += r.n;
      this.tally.set(key, t);
      this.lastAttemptId = Math.max(this.lastAttemptId, r.last);
    }
    return [...this.tally.values()].map((t) => ({ ...t }));
  }
}
