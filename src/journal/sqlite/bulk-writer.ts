// Journals a large sheet from a worker thread (bulk-worker.js): reading and validating on this thread,
// inserting on the other. At most a few chunks are in flight, so memory stays bounded.
import { Worker } from 'node:worker_threads';
import type { BulkRowWriter, NewPayout } from '../contract.ts';
import type { RowProblem } from '../../validate/problem.ts';
import { packRows, type PackedRows } from './chunk-writer.js';

// Chunks (1,000 rows, ~150 KB of text each, packed by packRows) queued for the writer: enough that neither thread waits for
// the other to be scheduled again on a busy machine (two hand-offs per chunk otherwise stall both).
const IN_FLIGHT = 8;

/** What the worker is started with. */
export interface WorkerData {
  file: string;
}

/** Messages to the worker. */
export type WorkerInput =
  | { type: 'chunk'; batchId: string; provider: string; rows: PackedRows; problems: RowProblem[]; at: string }
  | { type: 'end' };

/** Messages from the worker: each chunk acknowledged; at the end, what it journaled and its first failure. */
export type WorkerOutput = { type: 'ack' } | { type: 'done'; duplicates: number; failure: string | null };

export class BulkWriter implements BulkRowWriter {
  private readonly worker: Worker;
  private inFlight = 0;
  private waiting: (() => void) | undefined;
  private readonly finished: Promise<{ duplicates: number; failure: string | null }>;

  constructor(file: string) {
    const workerData: WorkerData = { file };
    // The writer holds a few chunks at a time: a small heap keeps the process's memory bounded.
    this.worker = new Worker(new URL('./bulk-worker.js', import.meta.url), {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    });
    this.finished = new Promise((resolve, reject) => {
      this.worker.on('message', (m: WorkerOutput) => {
        if (m.type === 'ack') {
          this.inFlight--;
          const w = this.waiting;
          this.waiting = undefined;
          w?.();
        } else if (m.type === 'done') resolve({ duplicates: m.duplicates ?? 0, failure: m.failure ?? null });
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => reject(new Error(`journal writer stopped (exit ${code})`)));
    });
    // A writer failure surfaces from end(); until then, don't let an early rejection go unhandled.
    this.finished.catch(() => undefined);
  }

  private post(m: WorkerInput): void {
    this.worker.postMessage(m, m.type === 'chunk' ? [m.rows.lengths.buffer as ArrayBuffer, m.rows.rowNumbers.buffer as ArrayBuffer] : []);
  }

  async write(batchId: string, provider: string, rows: NewPayout[], problems: RowProblem[]): Promise<void> {
    while (this.inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (this.waiting = resolve));
    this.inFlight++;
    this.post({ type: 'chunk', batchId, provider, rows: packRows(rows), problems, at: new Date().toISOString() });
  }

  /** Waits until every chunk is in the journal; throws if any failed. */
  async end(): Promise<{ duplicates: number }> {
    this.post({ type: 'end' });
    const result = await this.finished;
    await this.worker.terminate();
    if (result.failure) throw new Error(`journaling failed: ${result.failure}`);
    return { duplicates: result.duplicates };
  }

  async abort(): Promise<void> {
    await this.worker.terminate();
  }
}
