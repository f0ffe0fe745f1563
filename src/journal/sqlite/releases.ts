// What was released per provider and period (limits.maxDailyTotal, DESIGN §12): rows of released batches,
// streamed and added up as bigint (amounts are TEXT, and SQLite's SUM would round them through floats).
import type Database from 'better-sqlite3';
import type { ReleaseLedger, ReleasedTotal } from '../contract.ts';

export class SqliteReleaseLedger implements ReleaseLedger {
  constructor(private readonly db: Database.Database) {}

  releasedTotals(provider: string, fromIso: string, toIso: string): ReleasedTotal[] {
    const rows = this.db
      .prepare(
        `SELECT p.currency, p.amount_minor FROM batches b JOIN payouts p ON p.batch_id = b.id
          WHERE b.provider = ? AND b.released_at >= ? AND b.released_at < ?
            AND p.status NOT IN ('invalid', 'duplicate', 'cancelled', 'failed')
            AND p.amount_minor IS NOT NULL AND p.currency IS NOT NULL`,
      )
      .raw()
      .iterate(provider, fromIso, toIso) as Iterable<[string, string]>;
    const totals = new Map<string, bigint>();
    for (const [currency, amount] of rows) totals.set(currency, (totals.get(currency) ?? 0n) + BigInt(amount));
    return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, amountMinor]) => ({ currency, amountMinor }));
  }
}
