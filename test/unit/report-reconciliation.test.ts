import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { writeBatchReports } from '../../src/report/index.ts';
import { ReconciliationAccumulator } from '../../src/report/reconciliation.ts';
import { RESULT_STATUSES, type ReportBatch, type ReportRow, type ResultStatus } from '../../src/report/types.ts';

const HEADER = ['reference', 'amount', 'currency', 'account_number'];

function batch(over: Partial<ReportBatch> = {}): ReportBatch {
  return {
    id: 'B-42',
    fileName: 'mix.csv',
    provider: 'vexora',
    state: 'completed',
    createdAt: '2024-05-01T10:00:00.000Z',
    fileSha256: 'f'.repeat(64),
    header: HEADER,
    amountColumn: 1,
    maskColumns: [3],
    maskMode: 'last4',
    ...over,
  };
}

let n = 1;
function row(status: ResultStatus, currency: string, amountMinor: bigint | null, over: Partial<ReportRow> = {}): ReportRow {
  n += 1;
  return {
    rowNumber: n,
    original: [`R${n}`, amountMinor === null ? 'x' : String(amountMinor), currency, '1234567890'],
    status,
    merchantReference: status === 'invalid' ? '' : `R${n}`,
    providerReference: status === 'invalid' ? '' : `P${n}`,
    rawStatus: status.toUpperCase(),
    errorCode: status === 'failed' ? 'E_CLOSED' : '',
    errorMessage: status === 'failed' ? 'account closed' : '',
    submittedAt: '',
    completedAt: '',
    currency,
    amountMinor,
    paidAmountMinor: status === 'succeeded' ? amountMinor : null,
    feeMinor: status === 'succeeded' ? 100n : null,
    ...over,
  };
}

/** Two currencies, every status, an amount difference and two unparsed invalid rows. */
function mixedRows(): ReportRow[] {
  n = 1;
  return [
    row('succeeded', 'ARS', 90000n), // row 2
    row('failed', 'ARS', 30000n), // row 3
    row('invalid', 'ARS', 30000n, { errorCode: 'max_amount', errorMessage: 'over the limit' }), // row 4: parsed amount
    row('invalid', '', null, { errorCode: 'amount', errorMessage: 'not a number' }), // row 5: unparsed
    row('succeeded', 'USD', 10000n, { paidAmountMinor: 9950n, feeMinor: 50n }), // row 6: amount difference
    row('reversed', 'USD', 2500n, { errorMessage: 'returned by bank' }), // row 7
    row('duplicate', 'USD', 1000n, { errorCode: 'DUPLICATE', errorMessage: 'reference already paid' }), // row 8
    row('pending', 'USD', 700n), // row 9
    row('needs_review', 'USD', 300n, { errorMessage: 'deadline passed', submittedAt: '2024-05-01T10:00:05.000Z' }), // row 10
    row('invalid', 'XYZ', 500n, { errorCode: 'currency', errorMessage: 'unknown currency' }), // row 11: unknown currency → unparsed
  ];
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-recon-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csvRecords(path: string): Promise<string[][]> {
  return parse(await readFile(path, 'utf8'), { bom: true }) as string[][];
}

describe('reconciliation', () => {
  it('sums per currency and status; the invariant holds, duplicates included', async () => {
    const { summary } = await writeBatchReports(dir, batch(), mixedRows());
    expect(summary.rows).toBe(10);
    expect(summary.unparsedInvalidRows).toBe(2);
    expect(summary.counts).toEqual({ succeeded: 2, failed: 1, reversed: 1, invalid: 3, duplicate: 1, cancelled: 0, pending: 1, needs_review: 1 });
    expect(summary.currencies.map((c) => c.currency)).toEqual(['ARS', 'USD']);
    const [ars, usd] = summary.currencies;
    expect(ars).toMatchObject({ fileRows: 3, fileAmountMinor: 150000n, feesMinor: 100n, paidMinor: 90000n, invariantHolds: true });
    expect(ars!.byStatus.invalid).toEqual({ rows: 1, amountMinor: 30000n });
    expect(usd).toMatchObject({ fileRows: 5, fileAmountMinor: 14500n, feesMinor: 50n, paidMinor: 9950n, invariantHolds: true });
    expect(usd!.byStatus.duplicate).toEqual({ rows: 1, amountMinor: 1000n });
    expect(Object.keys(usd!).sort()).toEqual(['byStatus', 'currency', 'feesMinor', 'fileAmountMinor', 'fileRows', 'invariantHolds', 'paidMinor']);
    expect(summary.invariantLines).toEqual([
      'ARS: file 1500.00 = succeeded 900.00 + failed 300.00 + reversed 0.00 + invalid 300.00 + duplicate 0.00 + cancelled 0.00 + pending 0.00 + needs_review 0.00 ✓',
      'USD: file 145.00 = succeeded 100.00 + failed 0.00 + reversed 25.00 + invalid 0.00 + duplicate 10.00 + cancelled 0.00 + pending 7.00 + needs_review 3.00 ✓',
    ]);
    // failed, reversed, duplicate, needs_review rows + 1 amount difference
    expect(summary.exceptions).toBe(5);
  });

  it('writes the long-format CSV with every section', async () => {
    const b = batch({
      state: 'held',
      holdReason: 'over maxFileTotal USD',
      usdRates: { ARS: '0.0011' },
      balances: [{ currency: 'USD', beforeMinor: 100000n, afterMinor: 89950n }, { currency: 'ARS', beforeMinor: null, afterMinor: null }],
    });
    const { paths } = await writeBatchReports(dir, b, mixedRows());
    const rec = await csvRecords(paths.reconciliation_csv);
    expect(rec[0]).toEqual(['section', 'currency', 'item', 'rows', 'amount', 'usd_amount', 'detail']);
    const section = (s: string) => rec.filter((r) => r[0] === s);
    expect(section('batch').map((r) => [r[2], r[6]])).toEqual([
      ['id', 'B-42'],
      ['file', 'mix.csv'],
      ['provider', 'vexora'],
      ['state', 'held'],
      ['sha256', 'f'.repeat(64)],
      // Times for people: in the batch's zone (UTC by default), with the offset.
      ['created_at', '2024-05-01 10:00:00 +00:00'],
      ['completed_at', ''],
      ['timezone', 'UTC'],
      ['hold_reason', 'over maxFileTotal USD'],
      ['rows', '10'],
    ]);
    expect(section('control')).toEqual([
      ['control', 'ARS', 'file_total', '3', '1500.00', '1.65', ''],
      ['control', 'USD', 'file_total', '5', '145.00', '145.00', ''],
      ['control', '', 'unparsed', '2', '', '', expect.stringContaining('not in any currency')],
    ]);
    const status = section('status');
    expect(status).toHaveLength(16);
    expect(status.filter((r) => r[1] === 'USD').map((r) => r[2])).toEqual([...RESULT_STATUSES]);
    expect(status).toContainEqual(['status', 'ARS', 'invalid', '1', '300.00', '0.33', '']);
    expect(status).toContainEqual(['status', 'ARS', 'reversed', '0', '0.00', '0.00', '']);
    expect(status).toContainEqual(['status', 'USD', 'duplicate', '1', '10.00', '10.00', '']);
    expect(section('fees').map((r) => r.slice(0, 6))).toEqual([
      ['fees', 'ARS', 'fees', '1', '1.00', '0.00'],
      ['fees', 'ARS', 'paid', '1', '900.00', '0.99'],
      ['fees', 'USD', 'fees', '1', '0.50', '0.50'],
      ['fees', 'USD', 'paid', '1', '99.50', '99.50'],
    ]);
    expect(section('balance')).toEqual([
      ['balance', 'USD', 'balance_before', '', '1000.00', '1000.00', ''],
      ['balance', 'USD', 'balance_after', '', '899.50', '899.50', 'change -100.50; succeeded paid + fees 100.00'],
      ['balance', 'ARS', 'balance_before', '', '', '', 'not reported'],
      ['balance', 'ARS', 'balance_after', '', '', '', 'not reported'],
    ]);
    expect(section('invariant').map((r) => r.slice(0, 5))).toEqual([
      ['invariant', 'ARS', 'holds', '3', '1500.00'],
      ['invariant', 'USD', 'holds', '5', '145.00'],
    ]);
    expect(section('invariant')[1]![6]).toContain('+ duplicate 10.00 +');
    expect(section('exception')).toEqual([
      ['exception', 'ARS', 'failed', '1', '300.00', '0.33', 'row 3 ref R3: E_CLOSED account closed'],
      ['exception', 'USD', 'amount_difference', '1', '-0.50', '-0.50', 'row 6 ref R6: paid 99.50 for amount 100.00'],
      ['exception', 'USD', 'reversed', '1', '25.00', '25.00', 'row 7 ref R7: returned by bank'],
      ['exception', 'USD', 'duplicate', '1', '10.00', '10.00', 'row 8 ref R8: DUPLICATE reference already paid'],
      ['exception', 'USD', 'needs_review', '1', '3.00', '3.00', 'row 10 ref R10: deadline passed'],
    ]);
    // sections appear in this order
    const order = [...new Set(rec.slice(1).map((r) => r[0]))];
    expect(order).toEqual(['batch', 'control', 'status', 'fees', 'balance', 'invariant', 'approvals', 'exception']);
    // Nobody released, approved or resolved anything: the section says so.
    expect(section('approvals')).toEqual([['approvals', '', 'none', '', '', '', expect.stringContaining('no release, approval')]]);
  });

  it('marks a broken invariant', () => {
    const acc = new ReconciliationAccumulator();
    n = 1;
    acc.add(row('succeeded', 'USD', 100n));
    acc.add(row('bogus' as ResultStatus, 'USD', 50n));
    const { summary } = acc.finish();
    expect(summary.currencies[0]!.invariantHolds).toBe(false);
    expect(summary.invariantLines[0]).toMatch(/^USD: file 1\.50 = succeeded 1\.00 \+ .* ✗ BROKEN: statuses sum to 1\.00 \(difference -0\.50\); rows: file 2, statuses 1$/);
  });

  it('writes review.csv only with needs_review rows, and removes a stale one', async () => {
    const { paths } = await writeBatchReports(dir, batch(), mixedRows());
    expect(paths.review_csv).toBe(join(dir, 'review.csv'));
    expect(await csvRecords(paths.review_csv!)).toEqual([
      ['row', 'merchant_reference', 'amount', 'currency', 'raw_status', 'error_message', 'submitted_at'],
      ['10', 'R10', '3.00', 'USD', 'NEEDS_REVIEW', 'deadline passed', '2024-05-01T10:00:05.000Z'],
    ]);
    n = 1;
    const again = await writeBatchReports(dir, batch(), [row('succeeded', 'USD', 100n)]);
    expect(again.paths.review_csv).toBeNull();
    expect(existsSync(join(dir, 'review.csv'))).toBe(false);
  });

  it('writes reconciliation.xlsx with typed numbers and an Exceptions sheet', async () => {
    const { paths } = await writeBatchReports(dir, batch({ usdRates: { ARS: '0.0011' } }), mixedRows());
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(paths.reconciliation_xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Exceptions']);
    const summary = wb.getWorksheet('Summary')!;
    const lines: unknown[][] = [];
    summary.eachRow((r) => lines.push((r.values as unknown[]).slice(1)));
    const find = (cur: string, item: string) => lines.find((l) => l[0] === cur && l[1] === item);
    expect(find('ARS', 'file_total')).toEqual([ 'ARS', 'file_total', 3, 1500, 1.65 ]);
    expect(find('USD', 'needs_review')!.slice(0, 4)).toEqual(['USD', 'needs_review', 1, 3]);
    expect(find('USD', 'holds')![5]).toContain('USD: file 145.00 = succeeded 100.00');
    let numFmt = '';
    summary.eachRow((r) => {
      if (r.getCell(1).value === 'ARS' && r.getCell(2).value === 'file_total') numFmt = r.getCell(4).numFmt;
    });
    expect(numFmt).toBe('#,##0.00');

    const ex = wb.getWorksheet('Exceptions')!;
    expect(ex.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ex.getRow(1).getCell(2).font?.bold).toBe(true);
    expect(ex.rowCount).toBe(6);
    expect(ex.getRow(2).getCell(1).value).toBe(3);
    expect(ex.getRow(2).getCell(2).value).toBe('failed');
    expect(ex.getRow(2).getCell(4).value).toBe(300);
    expect(ex.getRow(2).getCell(4).numFmt).toBe('#,##0.00');
    expect(ex.getRow(2).getCell(5).value).toBe(0.33);
  });

  it('rounds USD equivalents half-even to 2 decimals', async () => {
    n = 1;
    // 0.25 ARS * 0.1 = 0.025 → 0.02 (half-even); 0.35 * 0.1 = 0.035 → 0.04
    const { paths } = await writeBatchReports(dir, batch({ usdRates: { ARS: '0.1', KWD: '3.25' } }), [
      row('pending', 'ARS', 25n),
      row('failed', 'ARS', 10n),
      row('pending', 'KWD', 1001n),
    ]);
    const rec = await csvRecords(paths.reconciliation_csv);
    expect(rec.find((r) => r[0] === 'status' && r[1] === 'ARS' && r[2] === 'pending')![5]).toBe('0.02');
    expect(rec.find((r) => r[0] === 'control' && r[1] === 'ARS')![5]).toBe('0.04');
    expect(rec.find((r) => r[0] === 'control' && r[1] === 'KWD')!.slice(4, 6)).toEqual(['1.001', '3.25']);
  });

  it('rejects a malformed USD rate and writes nothing', async () => {
    await writeFile(join(dir, 'results.csv'), 'previous');
    await expect(writeBatchReports(dir, batch({ usdRates: { ARS: '1e-3' } }), mixedRows())).rejects.toThrow(/usdRates\.ARS/);
    expect(await readFile(join(dir, 'results.csv'), 'utf8')).toBe('previous');
  });
});
