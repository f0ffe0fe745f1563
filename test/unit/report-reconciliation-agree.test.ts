// Issue 11: the reconciliation is one model and two renderers, so reconciliation.csv and
// reconciliation.xlsx say the same thing. These tests read both files back (csv-parse, exceljs) and
// match them line by line, amount by amount.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import {
  approvalDetail,
  buildReconciliation,
  csvRecord,
  ExceptionSpool,
  ReconciliationAccumulator,
  writeCsvLines,
  writeReconciliationCsv,
  writeReconciliationXlsx,
  writeXlsxLines,
  type ReconLine,
  type ReconSection,
} from '../../src/report/reconciliation.ts';
import { RESULT_STATUSES, type ReportBatch, type ReportRow, type ResultStatus } from '../../src/report/types.ts';

function batch(): ReportBatch {
  return {
    id: 'B-77',
    fileName: 'four-currencies.xlsx',
    provider: 'starpago',
    state: 'completed',
    createdAt: '2024-06-03T08:00:00.000Z',
    fileSha256: 'a'.repeat(64),
    header: ['reference', 'amount', 'currency'],
    amountColumn: 1,
    maskColumns: [],
    maskMode: 'last4',
    holdReason: 'over maxFileTotal USD',
    usdRates: { ARS: '0.0011', JPY: '0.0067', KWD: '3.25' },
    balances: [
      { currency: 'USD', beforeMinor: 100000n, afterMinor: 89950n },
      { currency: 'JPY', beforeMinor: null, afterMinor: 50000n },
      { currency: 'KWD', beforeMinor: 10000n, afterMinor: null },
    ],
  };
}

let n = 1;
function row(status: ResultStatus, currency: string, amountMinor: bigint | null, over: Partial<ReportRow> = {}): ReportRow {
  n += 1;
  return {
    rowNumber: n,
    original: [`R${n}`, String(amountMinor ?? 'x'), currency],
    status,
    merchantReference: status === 'invalid' ? '' : `R${n}`,
    providerReference: status === 'invalid' ? '' : `P${n}`,
    rawStatus: status.toUpperCase(),
    errorCode: '',
    errorMessage: '',
    submittedAt: '',
    completedAt: '',
    currency,
    amountMinor,
    paidAmountMinor: status === 'succeeded' ? amountMinor : null,
    feeMinor: null,
    ...over,
  };
}

/** Four currencies (2, 2, 0 and 3 decimals), every status, fees, an amount difference, unparsed rows. */
function rows(): ReportRow[] {
  n = 1;
  return [
    row('succeeded', 'ARS', 90000n, { feeMinor: 100n }),
    row('failed', 'ARS', 30000n, { feeMinor: 50n, errorCode: 'E_CLOSED', errorMessage: '=1+2 account closed' }),
    row('invalid', 'ARS', 30000n, { errorCode: 'max_amount', errorMessage: 'over the limit' }),
    row('pending', 'ARS', 15000n),
    row('succeeded', 'USD', 10000n, { paidAmountMinor: 9950n, feeMinor: 50n }),
    row('succeeded', 'USD', 5000n, { paidAmountMinor: null }),
    row('reversed', 'USD', 2500n, { errorMessage: 'returned by bank' }),
    row('duplicate', 'USD', 1000n, { errorCode: 'DUPLICATE', errorMessage: 'reference already paid' }),
    row('pending', 'USD', 700n),
    row('needs_review', 'USD', 300n, { errorMessage: 'deadline passed' }),
    row('succeeded', 'JPY', 1500n, { feeMinor: 30n }),
    row('failed', 'JPY', 2000n, { rawStatus: 'REJECTED' }),
    row('needs_review', 'JPY', 700n),
    row('succeeded', 'KWD', 1001n, { paidAmountMinor: 1000n }),
    row('reversed', 'KWD', 250n),
    row('duplicate', 'KWD', 2500n),
    row('invalid', '', null, { errorCode: 'amount', errorMessage: 'not a number' }),
    row('invalid', 'XYZ', 500n, { errorCode: 'currency', errorMessage: 'unknown currency' }),
  ];
}

let dir: string;
let csvPath: string;
let xlsxPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-recon-agree-'));
  csvPath = join(dir, 'reconciliation.csv');
  xlsxPath = join(dir, 'reconciliation.xlsx');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Both files the way the report writer makes them: one pass, exceptions spooled, two renderers. */
async function writeBoth(b: ReportBatch, input: ReportRow[]): Promise<void> {
  const totals = new ReconciliationAccumulator(b.currencyExponents);
  const spoolPath = join(dir, 'exceptions.jsonl');
  const spool = new ExceptionSpool(spoolPath);
  for (const r of input) await spool.write(totals.add(r));
  await spool.end();
  const data = totals.finish();
  await writeReconciliationCsv(csvPath, b, data, spoolPath);
  await writeReconciliationXlsx(xlsxPath, b, data, spoolPath);
}

/** A line as a file shows it: section, currency, item, rows, amount, usd_amount, detail (all text). */
type FileLine = [string, string, string, string, string, string, string];

async function csvLines(): Promise<FileLine[]> {
  const records = parse(await readFile(csvPath, 'utf8'), { bom: true }) as string[][];
  expect(records[0]).toEqual(['section', 'currency', 'item', 'rows', 'amount', 'usd_amount', 'detail']);
  return records.slice(1) as FileLine[];
}

function text(v: ExcelJS.CellValue): string {
  return v === null || v === undefined ? '' : String(v);
}

/** An amount cell as the decimal text it shows: the number with its format's decimals. */
function shown(cell: ExcelJS.Cell, what: string): string {
  const v = cell.value;
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'string') return v; // more digits than a double keeps: written as text
  const fmt = /^#,##0(?:\.(0+))?$/.exec(cell.numFmt ?? '');
  if (typeof v !== 'number' || !fmt) return `${what} ${JSON.stringify(v)} is not a formatted number (${cell.numFmt})`;
  return v.toFixed(fmt[1]?.length ?? 0);
}

/** Which section a Summary 'Totals per currency' line belongs to (the sheet merges three). */
function totalsSection(item: string): ReconSection {
  if ((RESULT_STATUSES as readonly string[]).includes(item)) return 'status';
  return item === 'fees' || item === 'paid' ? 'fees' : 'control';
}

/** The lines of reconciliation.xlsx: the Summary sheet's blocks, then the Exceptions sheet's rows. */
async function xlsxLines(): Promise<FileLine[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(xlsxPath);
  expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Exceptions']);
  const out: FileLine[] = [];
  const summary = wb.getWorksheet('Summary')!;
  let block: string | null = null; // the block's title; null at its start
  for (let i = 1; i <= summary.rowCount; i++) {
    const r = summary.getRow(i);
    const cell = (c: number) => text(r.getCell(c).value);
    if ([1, 2, 3, 4, 5, 6].every((c) => cell(c) === '')) {
      block = null; // a blank row ends a block
      continue;
    }
    if (block === null) {
      block = cell(1); // 'batch' (with 'value'), 'Totals per currency', 'Balances', 'Invariant: …', 'Approvals', or a new section's name
      continue;
    }
    if (block !== 'batch' && cell(1) === 'currency' && cell(2) === 'item') continue; // column names
    if (block === 'Approvals' && cell(1) === 'when' && cell(2) === 'action') continue;
    if (block === 'batch') {
      out.push(['batch', '', cell(1), '', '', '', cell(2)]);
    } else if (block === 'Approvals') {
      // when, action, by, OS user, via, note, payout/reference; the 'none' line has its sentence as the note.
      // A cell the XLSX neutralised (a leading ') says what the CSV says inside its detail, where it is not first.
      const shownAs = (c: number) => cell(c).replace(/^'(?=[=+\-@\t\r])/, '');
      const [when, by, osUser, via, note, payout] = [1, 3, 4, 5, 6, 7].map(shownAs) as [string, string, string, string, string, string];
      const detail = when === '' ? note : approvalDetail({ when, by, osUser, via, note, payout });
      out.push(['approvals', '', cell(2), '', '', '', detail]);
    } else {
      const section =
        block === 'Totals per currency' ? totalsSection(cell(2)) : block === 'Balances' ? 'balance' : block.startsWith('Invariant') ? 'invariant' : block;
      const usd = shown(r.getCell(5), 'usd_amount');
      out.push([section, cell(1), cell(2), cell(3), shown(r.getCell(4), 'amount'), usd, cell(6)]);
    }
  }
  const exceptions = wb.getWorksheet('Exceptions')!;
  expect(exceptions.getRow(1).getCell(2).value).toBe('type');
  for (let i = 2; i <= exceptions.rowCount; i++) {
    const r = exceptions.getRow(i);
    const cell = (c: number) => text(r.getCell(c).value);
    out.push(['exception', cell(3), cell(2), '1', shown(r.getCell(4), 'amount'), shown(r.getCell(5), 'usd_amount'), cell(11)]);
  }
  return out;
}

/**
 * A CSV line as the Summary sheet shows it. The sheet's layout leaves out one thing the CSV has: the
 * explanation of the fees/paid lines (its table has no room for it).
 */
function asSheetShows(l: FileLine): FileLine {
  const [section, currency, item, rows, amount, usd, detail] = l;
  if (section === 'fees') return [section, currency, item, rows, amount, usd, ''];
  return [section, currency, item, rows, amount, usd, detail];
}

/**
 * Every line of one file that the other lacks (as a multiset), and the exceptions' order. The two
 * counts the Summary sheet adds to its head are checked against the CSV lines they count.
 */
function disagreements(csv: FileLine[], xlsx: FileLine[]): string[] {
  const unparsed = csv.find((l) => l[0] === 'control' && l[2] === 'unparsed')?.[3] ?? '';
  const expected: FileLine[] = [
    ...csv.map(asSheetShows),
    ['batch', '', 'unparsed invalid rows', '', '', '', unparsed],
    ['batch', '', 'exceptions', '', '', '', String(csv.filter((l) => l[0] === 'exception').length)],
  ];
  const count = (lines: FileLine[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(JSON.stringify(l), (m.get(JSON.stringify(l)) ?? 0) + 1);
    return m;
  };
  const [want, got] = [count(expected), count(xlsx)];
  const problems: string[] = [];
  for (const [k, v] of want) if ((got.get(k) ?? 0) < v) problems.push(`only in reconciliation.csv: ${k}`);
  for (const [k, v] of got) if ((want.get(k) ?? 0) < v) problems.push(`only in reconciliation.xlsx: ${k}`);
  const order = (lines: FileLine[]) => lines.filter((l) => l[0] === 'exception').map((l) => JSON.stringify(l));
  if (problems.length === 0 && JSON.stringify(order(expected)) !== JSON.stringify(order(xlsx))) problems.push('exceptions in another order');
  return problems;
}

describe('reconciliation: one model, two files that agree', () => {
  it('the model alone, without files, gives every line of the CSV, in order, with bigint amounts', async () => {
    const { lines } = buildReconciliation(batch(), rows());
    for (const l of lines) if (l.amount) expect(typeof l.amount.minor).toBe('bigint');
    await writeBoth(batch(), rows());
    expect(await csvLines()).toEqual(lines.filter((l) => l.only !== 'xlsx').map(csvRecord));
  });

  it('reconciliation.csv and reconciliation.xlsx agree line by line and amount by amount', async () => {
    await writeBoth(batch(), rows());
    const csv = await csvLines();
    // Not vacuous: the batch has what a reconciliation must show.
    expect(new Set(csv.filter((l) => l[0] === 'control' && l[2] === 'file_total').map((l) => l[1]))).toEqual(new Set(['ARS', 'JPY', 'KWD', 'USD']));
    expect(csv.filter((l) => l[0] === 'status' && l[3] !== '0').map((l) => l[2]).sort()).toEqual(
      ['duplicate', 'duplicate', 'failed', 'failed', 'invalid', 'needs_review', 'needs_review', 'pending', 'pending', 'reversed', 'reversed', 'succeeded', 'succeeded', 'succeeded', 'succeeded'].sort(),
    );
    expect(csv.filter((l) => l[0] === 'exception').map((l) => l[2])).toEqual(
      ['failed', 'amount_difference', 'reversed', 'duplicate', 'needs_review', 'failed', 'needs_review', 'amount_difference', 'reversed', 'duplicate'],
    );
    expect(csv).toContainEqual(['fees', 'ARS', 'fees', '2', '1.50', '0.00', 'fees reported by the provider, all statuses']);
    expect(csv).toContainEqual(['control', 'KWD', 'file_total', '3', '3.751', '12.19', '']);
    expect(csv).toContainEqual(['control', 'JPY', 'file_total', '3', '4200', '28.14', '']);
    expect(csv).toContainEqual(['balance', 'USD', 'balance_after', '', '899.50', '899.50', 'change -100.50; succeeded paid + fees 150.00']);
    expect(csv.filter((l) => l[0] === 'invariant').map((l) => l[2])).toEqual(['holds', 'holds', 'holds', 'holds']);

    const xlsx = await xlsxLines();
    expect(disagreements(csv, xlsx)).toEqual([]);
  });

  describe('the check fails when one renderer drops or changes a line', () => {
    const victims: [string, (l: ReconLine) => boolean][] = [
      ['a status line', (l) => l.section === 'status' && l.currency === 'JPY' && l.item === 'needs_review'],
      ['a control total', (l) => l.section === 'control' && l.currency === 'KWD'],
      ['a paid line', (l) => l.section === 'fees' && l.currency === 'USD' && l.item === 'paid'],
      ['a balance line', (l) => l.section === 'balance' && l.item === 'balance_after' && l.currency === 'JPY'],
      ['an invariant line', (l) => l.section === 'invariant' && l.currency === 'ARS'],
      ['a batch fact', (l) => l.section === 'batch' && l.item === 'hold_reason'],
      ['an exception line', (l) => l.section === 'exception' && l.item === 'amount_difference' && l.currency === 'KWD'],
    ];
    const split = (lines: ReconLine[]) => [lines.filter((l) => l.section !== 'exception'), lines.filter((l) => l.section === 'exception')] as const;

    it.each(victims)('%s missing from the XLSX, then from the CSV', async (_, isVictim) => {
      const { lines } = buildReconciliation(batch(), rows());
      const victim = lines.filter(isVictim);
      expect(victim).toHaveLength(1);
      const victimCsv = JSON.stringify(asSheetShows(csvRecord(victim[0]!) as FileLine));

      await writeCsvLines(csvPath, lines);
      await writeXlsxLines(xlsxPath, ...split(lines.filter((l) => !isVictim(l))));
      expect(disagreements(await csvLines(), await xlsxLines())).toContain(`only in reconciliation.csv: ${victimCsv}`);

      await writeCsvLines(csvPath, lines.filter((l) => !isVictim(l)));
      await writeXlsxLines(xlsxPath, ...split(lines));
      expect(disagreements(await csvLines(), await xlsxLines())).toContain(`only in reconciliation.xlsx: ${victimCsv}`);
    });

    it('an amount off by one minor unit in one file', async () => {
      const { lines } = buildReconciliation(batch(), rows());
      const changed = lines.map((l) => (l.section === 'status' && l.currency === 'KWD' && l.item === 'succeeded' ? { ...l, amount: { ...l.amount!, minor: l.amount!.minor + 1n } } : l));
      await writeCsvLines(csvPath, lines);
      await writeXlsxLines(xlsxPath, ...split(changed));
      expect(disagreements(await csvLines(), await xlsxLines())).toEqual([
        'only in reconciliation.csv: ["status","KWD","succeeded","1","1.001","3.25",""]',
        'only in reconciliation.xlsx: ["status","KWD","succeeded","1","1.002","3.25",""]',
      ]);
    });
  });

  it('the approvals section (issue 14) says the same in both files', async () => {
    const b: ReportBatch = {
      ...batch(),
      timezone: 'America/Sao_Paulo',
      approvals: [
        { at: '2024-06-03T12:00:00.000Z', action: 'approved', by: 'maria', osUser: 'mgarcia', via: 'cli', note: 'within limits', payout: '' },
        { at: '2024-06-03T15:30:00.000Z', action: 'resolved as failed', by: 'joão', osUser: '', via: '', note: '=1+2 bank confirmed', payout: 'R13 (B-77-13)' },
      ],
    };
    await writeBoth(b, rows());
    const csv = await csvLines();
    expect(csv.filter((l) => l[0] === 'approvals')).toEqual([
      ['approvals', '', 'approved', '', '', '', '2024-06-03 09:00:00 -03:00; by maria; OS user mgarcia; via cli; note: within limits'],
      ['approvals', '', 'resolved as failed', '', '', '', '2024-06-03 12:30:00 -03:00; by joão; note: =1+2 bank confirmed; payout R13 (B-77-13)'],
    ]);
    expect(disagreements(csv, await xlsxLines())).toEqual([]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsxPath);
    const notes: unknown[] = [];
    wb.getWorksheet('Summary')!.eachRow((r) => notes.push(r.getCell(6).value));
    expect(notes).toContain("'=1+2 bank confirmed");
  });

  it('a new section reaches both files with no renderer edit', async () => {
    const { lines } = buildReconciliation(batch(), rows());
    const limit: ReconLine = {
      section: 'daily_limits' as ReconSection,
      currency: 'USD',
      item: 'released_today',
      rows: 3,
      amount: { minor: 12500n, exponent: 2 },
      usdAmount: '125.00',
      detail: 'of 1000.00 a day',
    };
    const withLimit = [...lines.filter((l) => l.section !== 'exception'), limit, ...lines.filter((l) => l.section === 'exception')];
    await writeCsvLines(csvPath, withLimit);
    await writeXlsxLines(xlsxPath, withLimit.filter((l) => l.section !== 'exception'), withLimit.filter((l) => l.section === 'exception'));
    const csv = await csvLines();
    expect(csv).toContainEqual(['daily_limits', 'USD', 'released_today', '3', '125.00', '125.00', 'of 1000.00 a day']);
    expect(disagreements(csv, await xlsxLines())).toEqual([]);
  });
});
