// The bulk journal writer thread: a sheet's rows are inserted here while the main thread reads and validates
// the next ones, so a large sheet is journaled at close to the speed it can be read. Each chunk is
// acknowledged, and the main thread keeps only a few in flight (bounded memory).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { prepareChunkWriter } from './chunk-writer.js';

const db = new Database(workerData.file, { timeout: 10000 });
db.pragma('journal_mode = WAL');
// The main thread makes the whole sheet durable with one synced commit before anything is sent.
db.pragma('synchronous = NORMAL');
const write = prepareChunkWriter(db);
let duplicates = 0;
let failure = null;

parentPort.on('message', (m) => {
  if (m.type === 'chunk') {
    if (!failure) {
      try {
        duplicates += write(m.batchId, m.provider, m.rows, m.errors, m.at);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
    }
    parentPort.postMessage({ type: 'ack' });
  } else if (m.type === 'end') {
    db.close();
    parentPort.postMessage({ type: 'done', duplicates, failure });
  }
});
