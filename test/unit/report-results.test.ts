import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { writeBatchReports } from '../../src/report/index.ts';
import { RESULT_COLUMNS } from '../../src/report/results.ts';
import type { ReportBatch, ReportRow } from '../../src/report/types.ts';

const HEADER = ['Reference', 'Amount', 'Currency', 'Account Number', 'Name', 'Note'];

function batch(over: Partial<ReportBatch> = {}): ReportBatch {
  return {
    id: 'batch-1',
    fileName: 'payouts.csv',
    provider: 'vexora',
    state: 'completed',
    createdAt: '2024-05-01T10:00:00.000Z',
    fileSha256: 'a'.repeat(64),
    header: HEADER,
    amountColumn: 1,
    maskColumns: [3],
    maskMode: 'last4',
    ...over,
  };
}

function row(n: number, over: Partial<ReportRow> = {}): ReportRow {
  return {
    rowNumber: n,
    original: [`REF-${n}`, '1500.00', 'ARS', '0001234567890', 'José Núñez', 'monthly'],
    status: 'succeeded',
    merchantReference: `REF-${n}`,
    providerReference: `PRV-${n}`,
    rawStatus: 'SUCCESS',
    errorCode: '',
    errorMessage: '',
    submittedAt: '2024-05-01T10:00:01.000Z',
    completedAt: '2024-05-01T10:01:00.000Z',
    currency: 'ARS',
    amountMinor: 150000n,
    paidAmountMinor: 150000n,
    feeMinor: 250n,
    ...over,
  };
}

const INJECTIONS = ['=HYPERLINK("http://evil.example","click")', '+1', '-2+3', '@SUM(A1:A2)', '\tcmd', '\r=1'];

function injectionRows(): ReportRow[] {
  return INJECTIONS.map((payload, i) =>
    row(i + 2, {
      original: [`REF-${i}`, '10.00', 'ARS', '99887766', payload, payload],
      amountMinor: 1000n,
      paidAmountMinor: 1000n,
      feeMinor: null,
      errorMessage: payload,
      providerReference: payload,
    }),
  );
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readCsv(path: string): Promise<{ raw: string; records: string[][] }> {
  const raw = await readFile(path, 'utf8');
  return { raw, records: parse(raw, { bom: true, relax_column_count: false }) as string[][] };
}

async function readSheet(path: string, name: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  const ws = wb.getWorksheet(name);
  if (!ws) throw new Error(`no sheet ${name}`);
  return ws;
}

describe('results.csv', () => {
  it('has the original columns then exactly the outcome columns, one line per row in input order', async () => {
    const rows = [row(2), row(3, { status: 'failed', paidAmountMinor: null, feeMinor: null, errorCode: 'E1', errorMessage: 'closed' }), row(4)];
    const { paths } = await writeBatchReports(dir, batch(), rows);
    const { raw, records } = await readCsv(paths.results_csv);
    expect(records[0]).toEqual([
      ...HEADER,
      'payout_status',
      'provider_reference',
      'merchant_reference',
      'raw_status',
      'error_code',
      'error_message',
      'submitted_at',
      'completed_at',
      'paid_amount',
      'fee',
    ]);
    expect(RESULT_COLUMNS).toHaveLength(10);
    expect(records.slice(1).map((r) => r[0])).toEqual(['REF-2', 'REF-3', 'REF-4']);
    expect(records[1]).toEqual([
      'REF-2', '1500.00', 'ARS', '****7890', 'José Núñez', 'monthly',
      'succeeded', 'PRV-2', 'REF-2', 'SUCCESS', '', '', '2024-05-01T10:00:01.000Z', '2024-05-01T10:01:00.000Z', '1500.00', '2.50',
    ]);
    expect(records[2]!.slice(6)).toEqual(['failed', 'PRV-3', 'REF-3', 'SUCCESS', 'E1', 'closed', '2024-05-01T10:00:01.000Z', '2024-05-01T10:01:00.000Z', '', '']);
    // UTF-8 BOM, CRLF line ends
    expect(raw.charCodeAt(0)).toBe(0xfeff);
    expect(raw.split('\r\n')).toHaveLength(5);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/\n/);
  });

  it('quotes fields with a lone LF or CR, commas and quotes', async () => {
    const rows = [row(2, { original: ['R', '1.00', 'ARS', '12345678', 'a,b "c"', 'line1\nline2'], errorMessage: 'x\ry', amountMinor: 100n })];
    const { paths } = await writeBatchReports(dir, batch(), rows);
    const { records } = await readCsv(paths.results_csv);
    expect(records[1]![4]).toBe('a,b "c"');
    expect(records[1]![5]).toBe('line1\nline2');
    expect(records[1]![11]).toBe('x\ry');
  });

  it('neutralises formula cells in text columns, the header included', async () => {
    const b = batch({ header: [...HEADER.slice(0, 5), '=cmd|x'] });
    const { paths } = await writeBatchReports(dir, b, injectionRows());
    const { records } = await readCsv(paths.results_csv);
    expect(records[0]![5]).toBe("'=cmd|x");
    INJECTIONS.forEach((payload, i) => {
      const r = records[i + 1]!;
      expect(r[4]).toBe(`'${payload}`);
      expect(r[5]).toBe(`'${payload}`);
      expect(r[7]).toBe(`'${payload}`); // provider_reference
      expect(r[11]).toBe(`'${payload}`); // error_message
      expect(r[1]).toBe('10.00'); // the amount stays plain decimal text
    });
  });

  it('keeps negative and number-like amounts as text and neutralises a formula in the amount column', async () => {
    const rows = [
      row(2, { original: ['R1', '-5.00', 'USD', '12345678', 'n', ''], currency: 'USD', amountMinor: -500n, status: 'invalid', paidAmountMinor: null, feeMinor: null }),
      row(3, { original: ['R2', '=1+2', 'USD', '12345678', 'n', ''], currency: 'USD', amountMinor: null, status: 'invalid', paidAmountMinor: null, feeMinor: null }),
      row(4, { original: ['R3', '1,500.00', 'USD', '12345678', 'n', ''], currency: 'USD', amountMinor: 150000n, paidAmountMinor: 149900n, feeMinor: -5n }),
    ];
    const { paths } = await writeBatchReports(dir, batch(), rows);
    const { records } = await readCsv(paths.results_csv);
    expect(records[1]![1]).toBe('-5.00');
    expect(records[2]![1]).toBe("'=1+2");
    expect(records[3]![1]).toBe('1,500.00');
    expect(records[3]![14]).toBe('1499.00');
    expect(records[3]![15]).toBe('-0.05');
  });

  it("masks account columns ('last4'), or not ('none')", async () => {
    const r = [row(2, { original: ['R', '1.00', 'ARS', '4111 1111 1111 1234', 'n', ''], amountMinor: 100n })];
    const masked = await writeBatchReports(join(dir, 'a'), batch(), r);
    expect((await readCsv(masked.paths.results_csv)).records[1]![3]).toBe('****1234');
    const ws = await readSheet(masked.paths.results_xlsx, 'Results');
    expect(ws.getRow(2).getCell(4).value).toBe('****1234');
    const plain = await writeBatchReports(join(dir, 'b'), batch({ maskMode: 'none' }), r);
    expect((await readCsv(plain.paths.results_csv)).records[1]![3]).toBe('4111 1111 1111 1234');
  });

  it('writes every report file with mode 0600 and leaves no temp files', async () => {
    const { paths } = await writeBatchReports(dir, batch(), [row(2)]);
    for (const p of [paths.results_csv, paths.results_xlsx, paths.reconciliation_csv, paths.reconciliation_xlsx]) {
      expect((await stat(p)).mode & 0o777).toBe(0o600);
    }
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).sort()).toEqual(['reconciliation.csv', 'reconciliation.xlsx', 'results.csv', 'results.xlsx']);
    expect(paths.review_csv).toBeNull();
    expect(paths.errors_csv).toBeNull();
  });
});

describe('results.xlsx', () => {
  it('has a bold, frozen, filtered header and a Summary sheet', async () => {
    const { paths } = await writeBatchReports(dir, batch(), [row(2)]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(paths.results_xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Results', 'Summary']);
    const ws = wb.getWorksheet('Results')!;
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.autoFilter).toBe('A1:P1');
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.getRow(1).values).toEqual([undefined, ...HEADER, ...RESULT_COLUMNS]);
    // Widths fit the content: every header (bold, with its filter button) shows whole.
    [...HEADER, ...RESULT_COLUMNS].forEach((h, i) => expect(ws.getColumn(i + 1).width, h).toBeGreaterThanOrEqual(h.length + 2));
  });

  it('types the amount, paid_amount and fee as numbers with the currency format', async () => {
    const rows = [
      row(2),
      row(3, { original: ['R', '1500', 'JPY', '12345678', 'n', ''], currency: 'JPY', amountMinor: 1500n, paidAmountMinor: 1500n, feeMinor: 10n }),
      row(4, { original: ['R', '12.345', 'KWD', '12345678', 'n', ''], currency: 'KWD', amountMinor: 12345n, paidAmountMinor: null, feeMinor: null, status: 'pending' }),
      row(5, { original: ['R', '12.3x', 'ARS', '12345678', 'n', ''], amountMinor: null, paidAmountMinor: null, feeMinor: null, status: 'invalid' }),
      row(6, { original: ['R', '7.00', 'ARS', '12345678', 'n', ''], amountMinor: 700n, paidAmountMinor: null, feeMinor: null, status: 'invalid' }),
    ];
    const { paths } = await writeBatchReports(dir, batch(), rows);
    const ws = await readSheet(paths.results_xlsx, 'Results');
    const ars = ws.getRow(2);
    expect(ars.getCell(2).value).toBe(1500);
    expect(ars.getCell(2).numFmt).toBe('#,##0.00');
    expect(ars.getCell(15).value).toBe(1500);
    expect(ars.getCell(15).numFmt).toBe('#,##0.00');
    expect(ars.getCell(16).value).toBe(2.5);
    const jpy = ws.getRow(3);
    expect(jpy.getCell(2).value).toBe(1500);
    expect(jpy.getCell(2).numFmt).toBe('#,##0');
    expect(jpy.getCell(16).value).toBe(10);
    const kwd = ws.getRow(4);
    expect(kwd.getCell(2).value).toBe(12.345);
    expect(kwd.getCell(2).numFmt).toBe('#,##0.000');
    expect(kwd.getCell(15).value).toBeNull();
    // invalid rows: the amount stays text
    expect(ws.getRow(5).getCell(2).value).toBe('12.3x');
    expect(ws.getRow(6).getCell(2).value).toBe('7.00');
    // text columns are text
    expect(ars.getCell(1).value).toBe('REF-2');
    expect(ars.getCell(5).value).toBe('José Núñez');
  });

  it('neutralises formula cells and never writes a formula', async () => {
    const { paths } = await writeBatchReports(dir, batch(), injectionRows());
    const ws = await readSheet(paths.results_xlsx, 'Results');
    INJECTIONS.forEach((payload, i) => {
      const r = ws.getRow(i + 2);
      for (const c of [5, 6, 8, 12]) {
        expect(r.getCell(c).type).toBe(ExcelJS.ValueType.String);
        // XML parsing normalises a CR to LF; the leading quote is what matters
        expect(String(r.getCell(c).value)).toBe(`'${payload}`.replace(/\r/g, '\n'));
      }
      expect(r.getCell(2).value).toBe(10);
    });
    const xml = await readFile(paths.results_xlsx);
    expect(xml.includes(Buffer.from('<f>'))).toBe(false);
  });

  it('writes an amount beyond 15 significant digits as exact text', async () => {
    const huge = 12_345_678_901_234_567n;
    const { paths } = await writeBatchReports(dir, batch(), [row(2, { amountMinor: huge, paidAmountMinor: huge, feeMinor: null, original: ['R', '123456789012345.67', 'ARS', '1', 'n', ''] })]);
    const ws = await readSheet(paths.results_xlsx, 'Results');
    expect(ws.getRow(2).getCell(2).value).toBe('123456789012345.67');
    expect(ws.getRow(2).getCell(15).value).toBe('123456789012345.67');
  });
});
