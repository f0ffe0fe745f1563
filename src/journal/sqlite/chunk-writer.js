// @ts-check
// Writes one chunk of journaled rows in one transaction. Plain JavaScript, type-checked through JSDoc
// (tsconfig checkJs), because the bulk worker thread runs it too and a worker thread cannot load TypeScript
// through tsx on Node 20; the journal and the worker share this one implementation. Type imports below are
// comments: nothing TypeScript is loaded at run time.
//
// A row crosses to the worker as a tuple (cheap to clone): see RowTuple. A reference already used by another
// payout of the provider (unique partial index) is journaled as `duplicate`, never sent.

/**
 * @typedef {import('better-sqlite3').Database} SqliteDatabase
 * @typedef {import('../contract.ts').NewPayout} NewPayout
 * @typedef {import('../../validate/problem.ts').RowProblem} RowProblem
 * @typedef {[rowNumber: number, merchantReference: string | null, status: NewPayout['status'], amountMinor: string | null,
 *   currency: string | null, originalJson: string, errorMessage: string | null]} RowTuple
 * @typedef {(batchId: string, provider: string, rows: RowTuple[], problems: RowProblem[], at: string) => number} ChunkWriter
 *   Answers how many rows were journaled as duplicates.
 */

const INSERT_PAYOUT = `INSERT OR IGNORE INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor,
  currency, original_json, error_message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_DUPLICATE = `INSERT INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor,
  currency, original_json, error_code, error_message, updated_at)
  VALUES (?, ?, ?, ?, 'duplicate', ?, ?, ?, 'DUPLICATE_REFERENCE', ?, ?)`;
// The problem's file is not stored: problems are kept per batch, and the batch knows its file.
const INSERT_ROW_ERROR = 'INSERT INTO row_errors (batch_id, row_number, column_name, value, rule, message) VALUES (?, ?, ?, ?, ?, ?)';

/**
 * @param {NewPayout} row
 * @returns {RowTuple}
 */
export function rowTuple(row) {
  return [
    row.rowNumber,
    row.merchantReference,
    row.status,
    row.amountMinor === null ? null : row.amountMinor.toString(),
    row.currency,
    JSON.stringify(row.original),
    row.errorMessage ?? null,
  ];
}

/**
 * @param {SqliteDatabase} db
 * @returns {ChunkWriter}
 */
export function prepareChunkWriter(db) {
  const insertPayout = db.prepare(INSERT_PAYOUT);
  const insertDuplicate = db.prepare(INSERT_DUPLICATE);
  const insertRowError = db.prepare(INSERT_ROW_ERROR);
  /** @type {ChunkWriter} */
  const write = (batchId, provider, rows, problems, at) => {
    let duplicates = 0;
    for (const [rowNumber, reference, status, amount, currency, original, errorMessage] of rows) {
      const result = insertPayout.run(batchId, rowNumber, provider, reference, status, amount, currency, original, errorMessage, at);
      if (result.changes === 0) {
        duplicates++;
        insertDuplicate.run(batchId, rowNumber, provider, reference, amount, currency, original,
          `reference ${reference} was already used for another payout; not sent again`, at);
      }
    }
    for (const p of problems) insertRowError.run(batchId, p.row, p.column, p.value, p.rule, p.message);
    return duplicates;
  };
  return db.transaction(write);
}
