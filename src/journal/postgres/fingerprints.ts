// The duplicate-payment window and required references (DESIGN §4), answered in SQL as the SQLite journal does
// (sqlite/fingerprints.ts), with PostgreSQL's own sha256.
import { payoutIdOf, type DuplicateChecks, type EmptyCellRow, type PaidLookalike } from '../contract.ts';
import { big } from './codec.ts';
import type { Session } from './session.ts';

function columnIndex(i: number): number {
  if (!Number.isInteger(i) || i < 0) throw new Error(`bad column index ${i}`);
  return i;
}

/** The sheet's cell `i` of a payout (its original cells are a JSON array of strings). */
const cell = (i: number) => `(original_json::json ->> ${columnIndex(i)})`;

export class PostgresDuplicateChecks implements DuplicateChecks {
  constructor(private readonly session: Session) {}

  recordFingerprints(batchId: string, identifierColumns: readonly number[]): number {
    if (!identifierColumns.length) return 0;
    const cells = identifierColumns.map((i) => `lower(translate(COALESCE(${cell(i)}, ''), E' -\\t', ''))`);
    return this.session.transaction(() => {
      const [, recorded] = this.session.run(
        [
          { text: 'DELETE FROM payout_fingerprints WHERE batch_id = $1', values: [batchId] },
          {
            text: `INSERT INTO payout_fingerprints (batch_id, row_number, provider, fingerprint)
                   SELECT batch_id, row_number, provider,
                          left(encode(sha256(convert_to(provider || chr(31) || currency || chr(31) || amount_minor::text || chr(31) || identifiers, 'UTF8')), 'hex'), 32)
                     FROM (SELECT batch_id, row_number, provider, currency, amount_minor, ${cells.join(` || chr(31) || `)} AS identifiers, ${cells.join(' || ')} AS anything
                             FROM payouts WHERE batch_id = $1 AND status = 'validated' AND amount_minor IS NOT NULL AND currency IS NOT NULL) t
                    WHERE anything <> ''`,
            values: [batchId],
          },
        ],
        true,
      );
      return recorded!.rowCount;
    });
  }

  validRowsWithEmptyCell(batchId: string, column: number): EmptyCellRow[] {
    return this.session
      .rows(
        `SELECT row_number, amount_minor, currency FROM payouts
          WHERE batch_id = $1 AND status = 'validated' AND btrim(COALESCE(${cell(column)}, ''), E' \\t\\n\\r') = ''
          ORDER BY row_number`,
        [batchId],
      )
      .map((r) => ({ id: payoutIdOf(batchId, r.row_number as number), rowNumber: r.row_number as number, amountMinor: big(r.amount_minor), currency: (r.currency as string) ?? null }));
  }

  paidLookalikes(batchId: string, sinceIso: string, limit: number): PaidLookalike[] {
    return this.session.rows(
      `SELECT f.row_number AS "rowNumber", mine.merchant_reference AS reference, p.batch_id AS "earlierBatch", p.row_number AS "earlierRow",
              p.merchant_reference AS "earlierReference", p.status AS "earlierStatus"
         FROM payout_fingerprints f
         JOIN payouts mine ON mine.batch_id = f.batch_id AND mine.row_number = f.row_number
         JOIN payout_fingerprints g ON g.provider = f.provider AND g.fingerprint = f.fingerprint AND g.batch_id <> f.batch_id
         JOIN payouts p ON p.batch_id = g.batch_id AND p.row_number = g.row_number
        WHERE f.batch_id = $1 AND mine.status = 'validated'
          AND p.status IN ('submitting', 'submitted', 'unknown', 'succeeded', 'needs_review')
          AND COALESCE(p.submitted_at, p.updated_at) >= $2
        ORDER BY f.row_number, p.batch_id, p.row_number
        LIMIT $3`,
      [batchId, sinceIso, limit],
    ) as unknown as PaidLookalike[];
  }
}
