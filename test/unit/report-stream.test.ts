import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { writeBatchReports } from '../../src/report/index.ts';
import type { ReportBatch, ReportRow, ResultStatus } from '../../src/report/types.ts';

const ROWS = 50_000;
const STATUSES: ResultStatus[] = ['succeeded', 'succeeded', 'succeeded', 'failed', 'pending', 'needs_review', 'invalid'];

const batch: ReportBatch = {
  id: 'big',
  fileName: 'big.csv',
  provider: 'vexora',
  state: 'completed',
  createdAt: '2024-05-01T00:00:00Z',
  fileSha256: '0'.repeat(64),
  header: ['reference', 'amount', 'currency', 'name', 'account_number', 'note'],
  amountColumn: 1,
  maskColumns: [4],
  maskMode: 'last4',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('streaming', () => {
  it(`writes ${ROWS} rows from a lazy source in bounded memory`, async () => {
    let produced = 0;
    let peakHeap = 0;
    const baseHeap = process.memoryUsage().heapUsed;
    // A synchronous generator, as a SQLite iterator is: the writer must still let the files drain.
    function* rows(): Generator<ReportRow> {
      for (let i = 0; i < ROWS; i++) {
        produced += 1;
        if (i % 5000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        const status = STATUSES[i % STATUSES.length]!;
        const currency = i % 2 === 0 ? 'USD' : 'EUR';
        const amount = BigInt(100 + i);
        yield {
          rowNumber: i + 2,
          original: [`REF-${i}`, `${amount / 100n}.${(amount % 100n).toString().padStart(2, '0')}`, currency, `Zoë ${i} ${'x'.repeat(40)}`, `DE${i}00123456789`, i % 100 === 0 ? '=1+1' : 'note'],
          status,
          merchantReference: `REF-${i}`,
          providerReference: status === 'invalid' ? '' : `P-${i}`,
          rawStatus: status,
          errorCode: status === 'failed' ? 'E' : '',
          errorMessage: status === 'failed' ? 'rejected by bank' : '',
          submittedAt: '2024-05-01T00:00:01Z',
          completedAt: '',
          currency,
          amountMinor: amount,
          paidAmountMinor: status === 'succeeded' ? amount : null,
          feeMinor: status === 'succeeded' ? 1n : null,
        };
      }
    }
    const { paths, summary } = await writeBatchReports(dir, batch, rows());
    expect(produced).toBe(ROWS);
    expect(summary.rows).toBe(ROWS);
    expect(summary.currencies.every((c) => c.invariantHolds)).toBe(true);
    // Loose: holding every row (and its rendered cells) would take far more than this.
    expect(peakHeap - baseHeap).toBeLessThan(200 * 1024 * 1024);

    // results.csv: header + one record per row, in order.
    let count = 0;
    let lastRef = '';
    for await (const rec of createReadStream(paths.results_csv).pipe(parse({ bom: true })) as AsyncIterable<string[]>) {
      if (count > 0) {
        expect(rec[0]).toBe(`REF-${count - 1}`);
        lastRef = rec[0]!;
      }
      count += 1;
    }
    expect(count).toBe(ROWS + 1);
    expect(lastRef).toBe(`REF-${ROWS - 1}`);

    // results.xlsx: read back as a stream; count rows and check a typed amount.
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(paths.results_xlsx, { sharedStrings: 'ignore', styles: 'ignore', hyperlinks: 'ignore', worksheets: 'emit' });
    const sheetRows: Record<string, number> = {};
    let sample: unknown = null;
    for await (const ws of reader) {
      // The streaming reader may meet a sheet before workbook.xml names it (the writer puts workbook.xml
      // last), so the first sheet, which the writer adds as 'Results', is known by its id.
      const { id, name: readName } = ws as unknown as { id: string; name?: string };
      const name = Number(id) === 1 ? 'Results' : (readName ?? `sheet${id}`);
      sheetRows[name] = 0;
      for await (const r of ws) {
        sheetRows[name] += 1;
        if (name === 'Results' && r.number === ROWS + 1) sample = r.getCell(2).value;
      }
    }
    expect(sheetRows['Results'], JSON.stringify(sheetRows)).toBe(ROWS + 1);
    expect(sample).toBe(Number(`${(100 + ROWS - 1) / 100}`));
    expect(paths.review_csv).not.toBeNull();
  }, 120_000);
});
