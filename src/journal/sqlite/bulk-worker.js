// @ts-check
// The bulk journal writer thread: a sheet's rows are inserted here while the main thread reads and validates
// the next ones, so a large sheet is journaled at close to the speed it can be read. Each chunk is
// acknowledged, and the main thread keeps only a few in flight (bounded memory). Plain JavaScript, checked
// through JSDoc: the messages are typed in bulk-writer.ts (WorkerInput, WorkerOutput).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { prepareChunkWriter, unpackRows } from './chunk-writer.js';

/**
 * @typedef {import('./bulk-writer.ts').WorkerData} WorkerData
 * @typedef {import('./bulk-writer.ts').WorkerInput} WorkerInput
 * @typedef {import('./bulk-writer.ts').WorkerOutput} WorkerOutput
 */

if (!parentPort) throw new Error('bulk-worker.js runs as a worker thread (bulk-writer.ts starts it)');
const port = parentPort;
const { file } = /** @type {WorkerData} */ (workerData);

const db = new Database(file, { timeout: 10000 });
db.pragma('journal_mode = WAL');
// The main thread makes the whole sheet durable with one synced commit before anything is sent.
db.pragma('synchronous = NORMAL');
// Checkpoints (each one syncs the log and the database file) every 64 MB of log instead of every 4 MB: a
// million rows cost a few syncs, not a hundred; the main thread's connection checkpoints the rest at endBulk.
db.pragma('wal_autocheckpoint = 16384');
const write = prepareChunkWriter(db);
let duplicates = 0;
/** @type {string | null} */
let failure = null;

/** @param {WorkerOutput} m */
const reply = (m) => port.postMessage(m);

port.on('message', (/** @type {WorkerInput} */ m) => {
  if (m.type === 'chunk') {
    if (!failure) {
      try {
        duplicates += write(m.batchId, m.provider, unpackRows(m.rows), m.problems, m.at);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
    }
    reply({ type: 'ack' });
  } else if (m.type === 'end') {
    db.close();
    reply({ type: 'done', duplicates, failure });
  }
});
