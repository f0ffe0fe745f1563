// @ts-check
// Writes one chunk of journaled rows in one transaction. Plain JavaScript, type-checked through JSDoc
// (tsconfig checkJs), because the bulk worker thread runs it too and a worker thread cannot load TypeScript
// through tsx on Node 20; the journal and the worker share this one implementation. Type imports below are
// comments: nothing TypeScript is loaded at run time.
//
// A chunk crosses to the worker packed (PackedRows) and is written as tuples (RowTuple). A reference already
// used by another payout of the provider (unique partial index) is journaled as `duplicate`, never sent.

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
// Rows bound per statement call: one multi-row INSERT costs far less than GROUP single-row ones (better-sqlite3's
// per-call overhead and SQLite's per-statement work); 500 parameters stay well under SQLite's limit.
const GROUP = 50;
const VALUES_PER_ROW = 10;
const INSERT_PAYOUT_GROUP = `INSERT OR IGNORE INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor,
  currency, original_json, error_message, updated_at) VALUES ${Array(GROUP).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
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
 * A chunk as it crosses to the writer thread: the texts of every row's tuple (rowTuple, the one mapping of a
 * payout to its stored values) in one string, with each text's length (-1 for null) and the row numbers in
 * typed arrays, transferred rather than copied. Cloning one string is a copy; cloning a thousand tuples is a
 * walk over seven thousand values on the thread that reads the sheet.
 * (Measured on 1M rows, 2 cores: the sheet journaled in 7.8-8.7 s packed, 8.1-9.3 s as tuples; with the cells
 * packed one by one and their JSON made on the writer's thread, 8.3-8.9 s: the writer is then the slower one.)
 * @typedef {{ text: string, lengths: Int32Array, rowNumbers: Float64Array }} PackedRows
 */
/** A RowTuple's texts: every value after the row number. */
const TEXTS_PER_ROW = 6;

/**
 * @param {NewPayout[]} rows
 * @returns {PackedRows}
 */
export function packRows(rows) {
  const n = rows.length;
  const lengths = new Int32Array(n * TEXTS_PER_ROW);
  const rowNumbers = new Float64Array(n);
  /** @type {string[]} */
  const parts = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    const tuple = rowTuple(/** @type {NewPayout} */ (rows[i]));
    rowNumbers[i] = tuple[0];
    for (let t = 1; t <= TEXTS_PER_ROW; t++) {
      const text = /** @type {string | null} */ (tuple[t]);
      if (text === null) lengths[k++] = -1;
      else (lengths[k++] = text.length), parts.push(text);
    }
  }
  return { text: parts.join(''), lengths, rowNumbers };
}

/**
 * PackedRows back into the tuples they were made of.
 * @param {PackedRows} packed
 * @returns {RowTuple[]}
 */
export function unpackRows({ text, lengths, rowNumbers }) {
  /** @type {RowTuple[]} */
  const rows = new Array(rowNumbers.length);
  let at = 0;
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    /** @type {unknown[]} */
    const tuple = new Array(TEXTS_PER_ROW + 1);
    tuple[0] = rowNumbers[i];
    for (let t = 1; t <= TEXTS_PER_ROW; t++) {
      const length = /** @type {number} */ (lengths[k++]);
      tuple[t] = length < 0 ? null : text.slice(at, (at += length));
    }
    rows[i] = /** @type {RowTuple} */ (tuple);
  }
  return rows;
}

/** A row of the chunk was ignored: the chunk's transaction is rolled back and the chunk written row by row. */
class RowIgnored extends Error {}

/**
 * A chunk is first written in groups, in one transaction; a chunk with a row the table ignores (a reference
 * already taken) is rolled back and written row by row instead, so each such row is journaled as a duplicate.
 * @param {SqliteDatabase} db
 * @returns {ChunkWriter}
 */
export function prepareChunkWriter(db) {
  const insertPayout = db.prepare(INSERT_PAYOUT);
  const insertGroup = db.prepare(INSERT_PAYOUT_GROUP);
  const insertDuplicate = db.prepare(INSERT_DUPLICATE);
  const insertRowError = db.prepare(INSERT_ROW_ERROR);
  /** @type {unknown[]} */
  const params = new Array(GROUP * VALUES_PER_ROW);
  /** @param {string} batchId @param {RowProblem[]} problems */
  const insertProblems = (batchId, problems) => {
    for (const p of problems) insertRowError.run(batchId, p.row, p.column, p.value, p.rule, p.message);
  };
  const inGroups = db.transaction(
    /** @type {ChunkWriter} */ (batchId, provider, rows, problems, at) => {
      let i = 0;
      for (; i + GROUP <= rows.length; i += GROUP) {
        for (let k = 0; k < GROUP; k++) {
          const row = /** @type {RowTuple} */ (rows[i + k]);
          const o = k * VALUES_PER_ROW;
          params[o] = batchId;
          params[o + 1] = row[0];
          params[o + 2] = provider;
          params[o + 3] = row[1];
          params[o + 4] = row[2];
          params[o + 5] = row[3];
          params[o + 6] = row[4];
          params[o + 7] = row[5];
          params[o + 8] = row[6];
          params[o + 9] = at;
        }
        if (insertGroup.run(params).changes !== GROUP) throw new RowIgnored();
      }
      for (; i < rows.length; i++) {
        const [rowNumber, reference, status, amount, currency, original, errorMessage] = /** @type {RowTuple} */ (rows[i]);
        if (insertPayout.run(batchId, rowNumber, provider, reference, status, amount, currency, original, errorMessage, at).changes === 0) throw new RowIgnored();
      }
      insertProblems(batchId, problems);
      return 0;
    },
  );
  const rowByRow = db.transaction(
    /** @type {ChunkWriter} */ (batchId, provider, rows, problems, at) => {
      let duplicates = 0;
      for (const [rowNumber, reference, status, amount, currency, original, errorMessage] of rows) {
        const result = insertPayout.run(batchId, rowNumber, provider, reference, status, amount, currency, original, errorMessage, at);
        if (result.changes === 0) {
          duplicates++;
          insertDuplicate.run(batchId, rowNumber, provider, reference, amount, currency, original,
            `reference ${reference} was already used for another payout; not sent again`, at);
        }
      }
      insertProblems(batchId, problems);
      return duplicates;
    },
  );
  /** @type {ChunkWriter} */
  const write = (batchId, provider, rows, problems, at) => {
    try {
      return inGroups(batchId, provider, rows, problems, at);
    } catch (err) {
      if (!(err instanceof RowIgnored)) throw err;
      return rowByRow(batchId, provider, rows, problems, at);
    }
  };
  return write;
}
