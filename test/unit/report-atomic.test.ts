import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withAtomicPath, writeFileAtomic } from '../../src/report/atomic.ts';
import { writeBatchReports } from '../../src/report/index.ts';
import type { ReportBatch, ReportRow } from '../../src/report/types.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the file with mode 0600 and no temp left over', async () => {
    const p = join(dir, 'a.csv');
    await writeFileAtomic(p, 'hello');
    expect(await readFile(p, 'utf8')).toBe('hello');
    expect((await stat(p)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(p, Buffer.from('again'));
    expect(await readFile(p, 'utf8')).toBe('again');
    expect(await readdir(dir)).toEqual(['a.csv']);
  });
});

describe('withAtomicPath', () => {
  it('writes to a dot-temp name in the same directory, then renames', async () => {
    const p = join(dir, 'out.csv');
    let seen = '';
    await withAtomicPath(p, async (tmp) => {
      seen = tmp;
      await writeFile(tmp, 'data');
      expect(await readdir(dir)).not.toContain('out.csv');
    });
    expect(seen.startsWith(join(dir, `.out.csv.${process.pid}.`))).toBe(true);
    expect(seen.endsWith('.tmp')).toBe(true);
    expect(await readFile(p, 'utf8')).toBe('data');
    expect(await readdir(dir)).toEqual(['out.csv']);
  });

  it('a writer that throws midway leaves no file under the final name and no temp file', async () => {
    const p = join(dir, 'out.csv');
    await expect(
      withAtomicPath(p, async (tmp) => {
        await writeFile(tmp, 'half a fi');
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a failed rewrite keeps the previous complete file', async () => {
    const p = join(dir, 'out.csv');
    await writeFileAtomic(p, 'complete v1');
    await expect(
      withAtomicPath(p, async (tmp) => {
        await writeFile(tmp, 'partial v2');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readFile(p, 'utf8')).toBe('complete v1');
    expect(await readdir(dir)).toEqual(['out.csv']);
  });
});

describe('writeBatchReports atomicity', () => {
  const batch: ReportBatch = {
    id: 'b',
    fileName: 'f.csv',
    provider: 'vexora',
    state: 'completed',
    createdAt: '2024-05-01T00:00:00Z',
    fileSha256: '0'.repeat(64),
    header: ['reference', 'amount', 'currency'],
    amountColumn: 1,
    maskColumns: [],
    maskMode: 'last4',
  };
  function row(i: number): ReportRow {
    return {
      rowNumber: i + 2,
      original: [`R${i}`, '1.00', 'USD'],
      status: i % 5 === 0 ? 'needs_review' : 'succeeded',
      merchantReference: `R${i}`,
      providerReference: '',
      rawStatus: '',
      errorCode: '',
      errorMessage: '',
      submittedAt: '',
      completedAt: '',
      currency: 'USD',
      amountMinor: 100n,
      paidAmountMinor: null,
      feeMinor: null,
    };
  }

  it('a row source that throws midway leaves no report file and no temp file', async () => {
    async function* rows(): AsyncGenerator<ReportRow> {
      for (let i = 0; i < 5000; i++) {
        if (i === 3000) throw new Error('journal read failed');
        yield row(i);
      }
    }
    await expect(writeBatchReports(dir, batch, rows())).rejects.toThrow('journal read failed');
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes temp files a crashed earlier run left behind, and nothing else', async () => {
    const stale = '.results.csv.999999999.0a1b2c.tmp';
    const live = `.results.csv.${process.pid}.ffff.tmp`;
    for (const name of [stale, live, '.other.tmp', 'notes.txt']) await writeFile(join(dir, name), 'x');
    await writeBatchReports(dir, batch, [row(1)]);
    const names = await readdir(dir);
    expect(names).not.toContain(stale);
    expect(names).toEqual(expect.arrayContaining([live, '.other.tmp', 'notes.txt', 'results.csv']));
  });

  it('a failure keeps the previous reports intact', async () => {
    const first = await writeBatchReports(dir, batch, [row(1), row(5)]);
    const before = await readFile(first.paths.results_csv, 'utf8');
    function* bad(): Generator<ReportRow> {
      yield row(1);
      yield { ...row(2), currency: 'XYZ', paidAmountMinor: 5n }; // money in an unknown currency: refused
    }
    await expect(writeBatchReports(dir, batch, bad())).rejects.toThrow(/unknown currency "XYZ"/);
    expect(await readFile(first.paths.results_csv, 'utf8')).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['reconciliation.csv', 'reconciliation.xlsx', 'results.csv', 'results.xlsx', 'review.csv']);
  });
});
