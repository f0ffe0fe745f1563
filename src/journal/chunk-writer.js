// Writes one chunk of journaled rows in one transaction. Plain JavaScript (with chunk-writer.d.ts beside it)
// because the bulk worker thread cannot load TypeScript through tsx on Node 20; the journal and the worker
// share this one implementation.
//
// A row is a tuple: [rowNumber, merchantReference, status, amountMinorText, currency, originalJson, errorMessage].
// A reference already used by another payout of the provider (unique partial index) is journaled as
// `duplicate`, never sent.

const INSERT_PAYOUT = `INSERT OR IGNORE INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor,
  currency, original_json, error_message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_DUPLICATE = `INSERT INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor,
  currency, original_json, error_code, error_message, updated_at)
  VALUES (?, ?, ?, ?, 'duplicate', ?, ?, ?, 'DUPLICATE_REFERENCE', ?, ?)`;
const INSERT_ROW_ERROR = 'INSERT INTO row_errors (batch_id, row_number, column_name, value, rule, message) VALUES (?, ?, ?, ?, ?, ?)';

export function prepareChunkWriter(db) {
  const insertPayout = db.prepare(INSERT_PAYOUT);
  const insertDuplicate = db.prepare(INSERT_DUPLICATE);
  const insertRowError = db.prepare(INSERT_ROW_ERROR);
  return db.transaction((batchId, provider, rows, errors, at) => {
    let duplicates = 0;
    for (const [rowNumber, reference, status, amount, currency, original, errorMessage] of rows) {
      const result = insertPayout.run(batchId, rowNumber, provider, reference, status, amount, currency, original, errorMessage, at);
      if (result.changes === 0) {
        duplicates++;
        insertDuplicate.run(batchId, rowNumber, provider, reference, amount, currency, original,
          `reference ${reference} was already used for another payout; not sent again`, at);
      }
    }
    for (const e of errors) insertRowError.run(batchId, e.rowNumber, e.column, e.value, e.rule, e.message);
    return duplicates;
  });
}
