// What was released per provider and period (limits.maxDailyTotal, DESIGN §12), as the SQLite journal answers it
// (sqlite/releases.ts), summed in the database: amounts are NUMERIC, so SUM is exact, and only one row per
// currency comes back. The batches are found by batches_released (provider, released_at), their rows by
// payouts_batch_status.
import type { ReleaseLedger, ReleasedTotal } from '../contract.ts';
import type { Session } from './session.ts';

export class PostgresReleaseLedger implements ReleaseLedger {
  constructor(private readonly session: Session) {}

  releasedTotals(provider: string, fromIso: string, toIso: string): ReleasedTotal[] {
    // released_at is COLLATE "C" (schema.ts, migration 2): the window's edges compare byte by byte, as in SQLite.
    const rows = this.session.rows(
      `SELECT p.currency, trunc(sum(p.amount_minor))::text AS total
         FROM batches b JOIN payouts p ON p.batch_id = b.id
        WHERE b.provider = $1 AND b.released_at >= $2 AND b.released_at < $3
          AND p.status NOT IN ('invalid', 'duplicate', 'cancelled', 'failed')
          AND p.amount_minor IS NOT NULL AND p.currency IS NOT NULL
        GROUP BY p.currency`,
      [provider, fromIso, toIso],
    );
    // Sorted here, as the SQLite journal sorts (by UTF-16 code units), not by the database's collation.
    return rows
      .map((r) => ({ currency: r.currency as string, amountMinor: BigInt(r.total as string) }))
      .sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  }
}
