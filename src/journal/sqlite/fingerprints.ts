// The duplicate-payment window and required references (DESIGN §4): answered in SQL, never by reading a whole
// batch into JavaScript (a batch may have 100,000 rows).
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { payoutIdOf, type DuplicateChecks, type EmptyCellRow, type PaidLookalike } from '../contract.ts';
import { big, type Row } from './codec.ts';

/** Connections that have the paybatch_sha256() SQL function (payment fingerprints). */
const withSha256 = new WeakSet<Database.Database>();

function columnIndex(i: number): number {
  if (!Number.isInteger(i) || i < 0) throw new Error(`bad column index ${i}`);
  return i;
}

export class SqliteDuplicateChecks implements DuplicateChecks {
  constructor(private readonly db: Database.Database) {}

  /** Hashed, replacing any recorded before (a batch read again). One statement; answers how many rows were recorded. */
  recordFingerprints(batchId: string, identifierColumns: readonly number[]): number {
    if (!identifierColumns.length) return 0;
    if (!withSha256.has(this.db)) {
      this.db.function('paybatch_sha256', { deterministic: true }, (text: unknown) => crypto.createHash('sha256').update(String(text)).digest('hex').slice(0, 32));
      withSha256.add(this.db);
    }
    const cell = (i: number) =>
      `lower(replace(replace(replace(COALESCE(json_extract(original_json, '$[${columnIndex(i)}]'), ''), ' ', ''), '-', ''), char(9), ''))`;
    const cells = identifierColumns.map(cell);
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM payout_fingerprints WHERE batch_id = ?').run(batchId);
      return this.db
        .prepare(
          `INSERT INTO payout_fingerprints (batch_id, row_number, provider, fingerprint)
           SELECT batch_id, row_number, provider, paybatch_sha256(provider || char(31) || currency || char(31) || amount_minor || char(31) || identifiers)
             FROM (SELECT batch_id, row_number, provider, currency, amount_minor, ${cells.join(' || char(31) || ')} AS identifiers, ${cells.join(' || ')} AS anything
                     FROM payouts WHERE batch_id = ? AND status = 'validated' AND amount_minor IS NOT NULL AND currency IS NOT NULL)
            WHERE anything <> ''`,
        )
        .run(batchId).changes;
    })();
  }

  validRowsWithEmptyCell(batchId: string, column: number): EmptyCellRow[] {
    const i = columnIndex(column);
    return (
      this.db
        .prepare(
          `SELECT row_number, amount_minor, currency FROM payouts
            WHERE batch_id = ? AND status = 'validated' AND trim(COALESCE(json_extract(original_json, '$[${i}]'), ''), ' ' || char(9, 10, 13)) = ''
            ORDER BY row_number`,
        )
        .all(batchId) as Row[]
    ).map((r) => ({ id: payoutIdOf(batchId, r.row_number as number), rowNumber: r.row_number as number, amountMinor: big(r.amount_minor), currency: (r.currency as string) ?? null }));
  }

  /** Indexed by fingerprint. */
  paidLookalikes(batchId: string, sinceIso: string, limit: number): PaidLookalike[] {
    return this.db
      .prepare(
        `SELECT f.row_number AS rowNumber, mine.merchant_reference AS reference, p.batch_id AS earlierBatch, p.row_number AS earlierRow,
                p.merchant_reference AS earlierReference, p.status AS earlierStatus
           FROM payout_fingerprints f
           JOIN payouts mine ON mine.batch_id = f.batch_id AND mine.row_number = f.row_number
           JOIN payout_fingerprints g ON g.provider = f.provider AND g.fingerprint = f.fingerprint AND g.batch_id <> f.batch_id
           JOIN payouts p ON p.batch_id = g.batch_id AND p.row_number = g.row_number
          WHERE f.batch_id = ? AND mine.status = 'validated'
            AND p.status IN ('submitting', 'submitted', 'unknown', 'succeeded', 'needs_review')
            AND COALESCE(p.submitted_at, p.updated_at) >= ?
          ORDER BY f.row_number
          LIMIT ?`,
      )
      .all(batchId, sinceIso, limit) as PaidLookalike[];
  }
}
