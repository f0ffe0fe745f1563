// Journals a large sheet from a worker thread (src/journal/bulk-worker.js): reading and validating on this
// thread, inserting on the other. At most a few chunks are in flight, so memory stays bounded.
import { Worker } from 'node:worker_threads';
import type { NewPayout, RowErrorRecord } from './store.ts';
import type { RowTuple } from './chunk-writer.js';

const IN_FLIGHT = 2;

export function rowTuple(row: NewPayout): RowTuple {
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

export class BulkWriter {
  private readonly worker: Worker;
  private inFlight = 0;
  private waiting: (() => void) | undefined;
  private readonly finished: Promise<{ duplicates: number; failure: string | null }>;

  constructor(file: string) {
    // The writer holds a few chunks at a time: a small heap keeps the process's memory bounded.
    this.worker = new Worker(new URL('./bulk-worker.js', import.meta.url), {
      workerData: { file },
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    });
    this.finished = new Promise((resolve, reject) => {
      this.worker.on('message', (m: { type: string; duplicates?: number; failure?: string | null }) => {
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

  async write(batchId: string, provider: string, rows: NewPayout[], errors: RowErrorRecord[]): Promise<void> {
    while (this.inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (this.waiting = resolve));
    this.inFlight++;
    this.worker.postMessage({ type: 'chunk', batchId, provider, rows: rows.map(rowTuple), errors, at: new Date().toISOString() });
  }

  /** Waits until every chunk is in the journal; throws if any failed. */
  async end(): Promise<{ duplicates: number }> {
    this.worker.postMessage({ type: 'end' });
    const result = await this.finished;
    await this.worker.terminate();
    if (result.failure) throw new Error(`journaling failed: ${result.failure}`);
    return { duplicates: result.duplicates };
  }

  async abort(): Promise<void> {
    await this.worker.terminate();
  }
}
