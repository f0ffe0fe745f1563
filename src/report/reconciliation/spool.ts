// The exceptions list spooled to disk while the rows stream past: its length is unbounded (a batch of
// 1M rows may have 1M failed rows), so it is never held in memory; both renderers read it back.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ExceptionRecord } from './totals.ts';

/** JSON-lines spool of exception records on disk. */
export class ExceptionSpool {
  private readonly out: WriteStream;
  private failure: unknown = null;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.out.on('error', (err) => {
      this.failure = err;
    });
  }

  async write(records: ExceptionRecord[]): Promise<void> {
    for (const r of records) {
      if (this.failure) throw this.failure;
      if (!this.out.write(`${JSON.stringify(r)}\n`)) {
        await Promise.race([once(this.out, 'drain'), once(this.out, 'error')]);
      }
    }
  }

  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    this.out.end();
    await once(this.out, 'close');
    if (this.failure) throw this.failure;
  }

  async destroy(): Promise<void> {
    if (!this.out.closed) {
      this.out.destroy();
      await once(this.out, 'close').catch(() => undefined);
    }
  }
}

export async function* readSpool(path: string): AsyncGenerator<ExceptionRecord> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.length > 0) yield JSON.parse(line) as ExceptionRecord;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
