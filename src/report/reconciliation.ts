// reconciliation.csv / reconciliation.xlsx (DESIGN §7): control totals per currency, counts and sums
// per status, fees, balances, the invariant, and the exceptions list.
//
// The invariant, per currency:
//   Σ file = Σ succeeded + Σ failed + Σ reversed + Σ invalid + Σ duplicate + Σ pending + Σ needs_review
// DESIGN §7 leaves Σ duplicate out; without it the equation is false whenever a batch has duplicates
// (a duplicate row is in the file but in none of the other statuses), so it is included here.
// Invalid rows whose amount or currency could not be parsed have no known amount: they are counted on a
// separate 'unparsed' line (rows only) and enter no currency's sums.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Decimal } from 'decimal.js';
import { currencyExponent, formatMinorWithExponent, type ExponentOverrides } from '../validate/currencies.ts';
import { neutraliseFormula } from './safe-cells.ts';
import { CsvStreamWriter } from './results.ts';
import {
  RESULT_STATUSES,
  type CurrencyTotals,
  type ReconciliationSummary,
  type ReportBatch,
  type ReportRow,
  type ResultStatus,
} from './types.ts';
import { addHeaderRow, addTitleRow, moneyCellValue, numFmtForExponent, shareStyles, xlsxText, XlsxFile, type Worksheet } from './xlsx.ts';

export const RECONCILIATION_COLUMNS = ['section', 'currency', 'item', 'rows', 'amount', 'usd_amount', 'detail'] as const;

const EXCEPTION_STATUSES: ReadonlySet<ResultStatus> = new Set(['failed', 'reversed', 'needs_review', 'duplicate']);

/** One exceptions-list entry, spooled to disk as a JSON line while the rows stream past. */
export interface ExceptionRecord {
  row: number;
  /** A status (failed, reversed, needs_review, duplicate), 'amount_difference' or 'unparsed_amount'. */
  item: string;
  currency: string;
  /** Minor units as decimal integer text (bigint is not JSON); null when unknown. */
  amountMinor: string | null;
  /** amount_difference: the requested and the paid amount. */
  requestedMinor?: string;
  paidMinor?: string;
  merchantReference: string;
  providerReference: string;
  rawStatus: string;
  errorCode: string;
  errorMessage: string;
}

interface CurrencyWork extends CurrencyTotals {
  exponent: number;
  feeRows: number;
  paidRows: number;
}

function emptyByStatus(): Record<ResultStatus, { rows: number; amountMinor: bigint }> {
  const out = {} as Record<ResultStatus, { rows: number; amountMinor: bigint }>;
  for (const s of RESULT_STATUSES) out[s] = { rows: 0, amountMinor: 0n };
  return out;
}

function emptyCounts(): Record<ResultStatus, number> {
  const out = {} as Record<ResultStatus, number>;
  for (const s of RESULT_STATUSES) out[s] = 0;
  return out;
}

/** Everything the reconciliation needs, gathered in O(currencies) memory during the single pass. */
export interface ReconciliationData {
  summary: ReconciliationSummary;
  /** Per currency, sorted by code, with the working fields (exponent, row counts of fees and paid). */
  work: CurrencyWork[];
}

/** Adds rows up per currency and status; returns each row's exception lines for the caller to spool. */
export class ReconciliationAccumulator {
  private readonly byCurrency = new Map<string, CurrencyWork>();
  private rows = 0;
  private unparsed = 0;
  private exceptions = 0;
  private readonly counts = emptyCounts();

  constructor(private readonly overrides?: ExponentOverrides) {}

  private currency(code: string, exponent: number): CurrencyWork {
    let c = this.byCurrency.get(code);
    if (!c) {
      c = {
        currency: code,
        fileRows: 0,
        fileAmountMinor: 0n,
        byStatus: emptyByStatus(),
        feesMinor: 0n,
        paidMinor: 0n,
        invariantHolds: true,
        exponent,
        feeRows: 0,
        paidRows: 0,
      };
      this.byCurrency.set(code, c);
    }
    return c;
  }

  add(row: ReportRow): ExceptionRecord[] {
    this.rows += 1;
    // A status outside the seven (a caller bug) is still counted in the file total: the invariant then
    // shows BROKEN instead of the row vanishing.
    if (Object.prototype.hasOwnProperty.call(this.counts, row.status)) this.counts[row.status] += 1;
    const out: ExceptionRecord[] = [];
    const exponent = row.currency === '' ? undefined : currencyExponent(row.currency, this.overrides);
    const base = {
      row: row.rowNumber,
      currency: row.currency,
      merchantReference: row.merchantReference,
      providerReference: row.providerReference,
      rawStatus: row.rawStatus,
      errorCode: row.errorCode,
      errorMessage: row.errorMessage,
    };
    if (row.amountMinor === null || exponent === undefined) {
      // No known amount: counted on the unparsed line only.
      this.unparsed += 1;
      if (row.status !== 'invalid') {
        // Should not happen (only invalid rows lack an amount): make it visible rather than silent.
        out.push({ ...base, item: 'unparsed_amount', amountMinor: null });
      }
      if (EXCEPTION_STATUSES.has(row.status)) out.push({ ...base, item: row.status, amountMinor: null });
      this.exceptions += out.length;
      return out;
    }
    const c = this.currency(row.currency, exponent);
    c.fileRows += 1;
    c.fileAmountMinor += row.amountMinor;
    const bucket = c.byStatus[row.status];
    if (bucket) {
      bucket.rows += 1;
      bucket.amountMinor += row.amountMinor;
    }
    if (row.feeMinor !== null) {
      c.feesMinor += row.feeMinor;
      c.feeRows += 1;
    }
    if (row.status === 'succeeded') {
      c.paidMinor += row.paidAmountMinor ?? row.amountMinor;
      c.paidRows += 1;
    }
    if (EXCEPTION_STATUSES.has(row.status)) {
      out.push({ ...base, item: row.status, amountMinor: row.amountMinor.toString() });
    }
    if (row.status === 'succeeded' && row.paidAmountMinor !== null && row.paidAmountMinor !== row.amountMinor) {
      out.push({
        ...base,
        item: 'amount_difference',
        amountMinor: (row.paidAmountMinor - row.amountMinor).toString(),
        requestedMinor: row.amountMinor.toString(),
        paidMinor: row.paidAmountMinor.toString(),
      });
    }
    this.exceptions += out.length;
    return out;
  }

  finish(): ReconciliationData {
    const work = [...this.byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
    const invariantLines: string[] = [];
    for (const c of work) {
      let sumAmount = 0n;
      let sumRows = 0;
      for (const s of RESULT_STATUSES) {
        sumAmount += c.byStatus[s].amountMinor;
        sumRows += c.byStatus[s].rows;
      }
      c.invariantHolds = sumAmount === c.fileAmountMinor && sumRows === c.fileRows;
      invariantLines.push(invariantLine(c, sumAmount, sumRows));
    }
    const summary: ReconciliationSummary = {
      currencies: work.map((c) => ({
        currency: c.currency,
        fileRows: c.fileRows,
        fileAmountMinor: c.fileAmountMinor,
        byStatus: c.byStatus,
        feesMinor: c.feesMinor,
        paidMinor: c.paidMinor,
        invariantHolds: c.invariantHolds,
      })),
      unparsedInvalidRows: this.unparsed,
      exceptions: this.exceptions,
      invariantLines,
      rows: this.rows,
      counts: { ...this.counts },
    };
    return { summary, work };
  }
}

function invariantLine(c: CurrencyWork, sumAmount: bigint, sumRows: number): string {
  const f = (m: bigint) => formatMinorWithExponent(m, c.exponent);
  const terms = RESULT_STATUSES.map((s) => `${s} ${f(c.byStatus[s].amountMinor)}`).join(' + ');
  let line = `${c.currency}: file ${f(c.fileAmountMinor)} = ${terms}`;
  if (c.invariantHolds) return `${line} ✓`;
  line += ` ✗ BROKEN: statuses sum to ${f(sumAmount)}`;
  if (sumAmount !== c.fileAmountMinor) line += ` (difference ${f(sumAmount - c.fileAmountMinor)})`;
  if (sumRows !== c.fileRows) line += `; rows: file ${c.fileRows}, statuses ${sumRows}`;
  return line;
}

/** USD equivalents from batch.usdRates (decimal text); USD itself counts at 1 when rates are given. */
export class UsdConverter {
  private readonly rates = new Map<string, Decimal>();

  constructor(usdRates: Record<string, string> | undefined) {
    if (!usdRates) return;
    for (const [code, text] of Object.entries(usdRates)) {
      if (typeof text !== 'string' || !/^\d+(?:\.\d+)?$/.test(text.trim())) {
        throw new Error(`usdRates.${code}: ${JSON.stringify(text)} is not a decimal rate`);
      }
      this.rates.set(code, new Decimal(text.trim()));
    }
    if (!this.rates.has('USD')) this.rates.set('USD', new Decimal(1));
  }

  /** Decimal text with 2 decimals (ROUND_HALF_EVEN), or '' when there is no rate for the currency. */
  text(minor: bigint | null, currency: string, exponent: number): string {
    if (minor === null) return '';
    const rate = this.rates.get(currency);
    if (!rate) return '';
    const usd = new Decimal(formatMinorWithExponent(minor, exponent)).times(rate).toFixed(2, Decimal.ROUND_HALF_EVEN);
    return usd === '-0.00' ? '0.00' : usd;
  }
}

/** JSON-lines spool of exception records on disk (their count is unbounded: 1M failed rows is possible). */
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

/** "row 7 ref X: <code> <message>" (status/raw status when the provider gave neither). */
export function exceptionDetail(r: ExceptionRecord, exponent: number | undefined): string {
  const head = `row ${r.row} ref ${r.merchantReference || '-'}:`;
  if (r.item === 'amount_difference' && exponent !== undefined && r.requestedMinor && r.paidMinor) {
    return `${head} paid ${formatMinorWithExponent(BigInt(r.paidMinor), exponent)} for amount ${formatMinorWithExponent(BigInt(r.requestedMinor), exponent)}`;
  }
  if (r.item === 'unparsed_amount') {
    return `${head} status without a parsed amount or currency; not in any currency's sums`;
  }
  const what = [r.errorCode, r.errorMessage].filter((s) => s !== '').join(' ');
  return `${head} ${what || r.rawStatus || r.item}`;
}

function batchItems(batch: ReportBatch, summary: ReconciliationSummary): [string, string][] {
  return [
    ['id', batch.id],
    ['file', batch.fileName],
    ['provider', batch.provider],
    ['state', batch.state],
    ['sha256', batch.fileSha256],
    ['created_at', batch.createdAt],
    ['hold_reason', batch.holdReason ?? ''],
    ['rows', String(summary.rows)],
  ];
}

const UNPARSED_DETAIL =
  "invalid rows whose amount or currency could not be parsed: amount unknown, counted here only, not in any currency's sums";

/** Writes reconciliation.csv (long format) to `path`; exception lines come from the spool. */
export async function writeReconciliationCsv(path: string, batch: ReportBatch, data: ReconciliationData, spoolPath: string): Promise<void> {
  const csv = CsvStreamWriter.open(path);
  try {
    const usd = new UsdConverter(batch.usdRates);
    const { summary, work } = data;
    const line = (section: string, currency: string, item: string, rows: string, amount: string, usdAmount: string, detail: string) =>
      csv.write([section, neutraliseFormula(currency), neutraliseFormula(item), rows, amount, usdAmount, neutraliseFormula(detail)]);
    await csv.write([...RECONCILIATION_COLUMNS]);
    for (const [item, value] of batchItems(batch, summary)) await line('batch', '', item, '', '', '', value);
    for (const c of work) {
      const f = (m: bigint) => formatMinorWithExponent(m, c.exponent);
      await line('control', c.currency, 'file_total', String(c.fileRows), f(c.fileAmountMinor), usd.text(c.fileAmountMinor, c.currency, c.exponent), '');
    }
    await line('control', '', 'unparsed', String(summary.unparsedInvalidRows), '', '', UNPARSED_DETAIL);
    for (const c of work) {
      for (const s of RESULT_STATUSES) {
        const b = c.byStatus[s];
        await line('status', c.currency, s, String(b.rows), formatMinorWithExponent(b.amountMinor, c.exponent), usd.text(b.amountMinor, c.currency, c.exponent), '');
      }
    }
    for (const c of work) {
      const f = (m: bigint) => formatMinorWithExponent(m, c.exponent);
      await line('fees', c.currency, 'fees', String(c.feeRows), f(c.feesMinor), usd.text(c.feesMinor, c.currency, c.exponent), 'fees reported by the provider, all statuses');
      await line('fees', c.currency, 'paid', String(c.paidRows), f(c.paidMinor), usd.text(c.paidMinor, c.currency, c.exponent), 'succeeded rows: paid_amount, or the amount where the provider reported none');
    }
    for (const b of batch.balances ?? []) {
      const e = currencyExponent(b.currency, batch.currencyExponents);
      const f = (m: bigint | null) => (m === null || e === undefined ? '' : formatMinorWithExponent(m, e));
      const u = (m: bigint | null) => (e === undefined ? '' : usd.text(m, b.currency, e));
      await line('balance', b.currency, 'balance_before', '', f(b.beforeMinor), u(b.beforeMinor), b.beforeMinor === null ? 'not reported' : '');
      await line('balance', b.currency, 'balance_after', '', f(b.afterMinor), u(b.afterMinor), balanceDetail(b.beforeMinor, b.afterMinor, work.find((c) => c.currency === b.currency), e));
    }
    for (let i = 0; i < work.length; i++) {
      const c = work[i]!;
      await line('invariant', c.currency, c.invariantHolds ? 'holds' : 'BROKEN', String(c.fileRows), formatMinorWithExponent(c.fileAmountMinor, c.exponent), '', summary.invariantLines[i]!);
    }
    for await (const r of readSpool(spoolPath)) {
      const e = r.currency === '' ? undefined : currencyExponent(r.currency, batch.currencyExponents);
      const amount = r.amountMinor === null || e === undefined ? null : BigInt(r.amountMinor);
      await line(
        'exception',
        r.currency,
        r.item,
        '1',
        amount === null ? '' : formatMinorWithExponent(amount, e!),
        amount === null ? '' : usd.text(amount, r.currency, e!),
        exceptionDetail(r, e),
      );
    }
    await csv.end();
  } catch (err) {
    await csv.destroy();
    throw err;
  }
}

function balanceDetail(before: bigint | null, after: bigint | null, c: CurrencyWork | undefined, e: number | undefined): string {
  if (after === null) return 'not reported';
  if (before === null || e === undefined) return '';
  const change = after - before;
  let text = `change ${formatMinorWithExponent(change, e)}`;
  if (c) text += `; succeeded paid + fees ${formatMinorWithExponent(c.paidMinor + c.feesMinor, e)}`;
  return text;
}

const SUMMARY_WIDTHS = [16, 18, 10, 18, 16, 90];

/**
 * A 'Summary' sheet: batch information, per currency the control total, every status, fees, paid and
 * balances as typed numbers, then the invariant lines. Used in results.xlsx and reconciliation.xlsx.
 */
export function writeSummarySheet(xlsx: XlsxFile, batch: ReportBatch, data: ReconciliationData): void {
  const { summary, work } = data;
  const usd = new UsdConverter(batch.usdRates);
  const ws = xlsx.addSheet('Summary', SUMMARY_WIDTHS);
  addHeaderRow(ws, ['batch', 'value'], false);
  for (const [item, value] of batchItems(batch, summary)) {
    if (item === 'rows') ws.addRow([item, summary.rows]).commit();
    else addTextRow(ws, [item, value]);
  }
  ws.addRow(['unparsed invalid rows', summary.unparsedInvalidRows]).commit();
  ws.addRow(['exceptions', summary.exceptions]).commit();
  blank(ws);

  addTitleRow(ws, 'Totals per currency');
  boldRow(ws, ['currency', 'item', 'rows', 'amount', 'usd_amount', 'detail']);
  for (const c of work) {
    const add = (item: string, rows: number | null, minor: bigint | null, detail = '') =>
      addMoneyRow(ws, c.currency, item, rows, minor, c.exponent, usd.text(minor, c.currency, c.exponent), detail);
    add('file_total', c.fileRows, c.fileAmountMinor);
    for (const s of RESULT_STATUSES) add(s, c.byStatus[s].rows, c.byStatus[s].amountMinor);
    add('fees', c.feeRows, c.feesMinor);
    add('paid', c.paidRows, c.paidMinor);
  }
  ws.addRow([null, 'unparsed', summary.unparsedInvalidRows, null, null, UNPARSED_DETAIL]).commit();
  const balances = batch.balances ?? [];
  if (balances.length > 0) {
    blank(ws);
    addTitleRow(ws, 'Balances');
    boldRow(ws, ['currency', 'item', 'rows', 'amount', 'usd_amount', 'detail']);
    for (const b of balances) {
      const e = currencyExponent(b.currency, batch.currencyExponents);
      if (e === undefined) {
        addTextRow(ws, [b.currency, 'balance', '', '', '', 'unknown currency exponent']);
        continue;
      }
      addMoneyRow(ws, b.currency, 'balance_before', null, b.beforeMinor, e, usd.text(b.beforeMinor, b.currency, e), b.beforeMinor === null ? 'not reported' : '');
      addMoneyRow(ws, b.currency, 'balance_after', null, b.afterMinor, e, usd.text(b.afterMinor, b.currency, e), balanceDetail(b.beforeMinor, b.afterMinor, work.find((c) => c.currency === b.currency), e));
    }
  }
  blank(ws);
  addTitleRow(ws, 'Invariant: file = succeeded + failed + reversed + invalid + duplicate + pending + needs_review');
  for (let i = 0; i < work.length; i++) {
    const c = work[i]!;
    addTextRow(ws, [c.currency, c.invariantHolds ? 'holds' : 'BROKEN', '', '', '', summary.invariantLines[i]!]);
  }
  ws.commit();
}

function addTextRow(ws: Worksheet, cells: string[]): void {
  ws.addRow(cells.map((c) => xlsxText(c))).commit();
}

function boldRow(ws: Worksheet, cells: string[]): void {
  const row = ws.addRow(cells.map((c) => xlsxText(c)));
  row.font = { bold: true };
  row.commit();
}

function blank(ws: Worksheet): void {
  ws.addRow([]).commit();
}

function addMoneyRow(
  ws: Worksheet,
  currency: string,
  item: string,
  rows: number | null,
  minor: bigint | null,
  exponent: number,
  usdText: string,
  detail: string,
): void {
  const row = ws.addRow([
    xlsxText(currency),
    xlsxText(item),
    rows,
    minor === null ? null : moneyCellValue(minor, exponent),
    usdText === '' ? null : Number(usdText),
    xlsxText(detail),
  ]);
  if (minor !== null) row.getCell(4).numFmt = numFmtForExponent(exponent);
  if (usdText !== '') row.getCell(5).numFmt = '#,##0.00';
  row.commit();
}

const EXCEPTION_HEADER = [
  'row',
  'type',
  'currency',
  'amount',
  'usd_amount',
  'merchant_reference',
  'provider_reference',
  'raw_status',
  'error_code',
  'error_message',
  'detail',
];
const EXCEPTION_WIDTHS = [8, 18, 10, 16, 14, 24, 24, 14, 14, 40, 60];

/** Writes reconciliation.xlsx: 'Summary' and 'Exceptions' (from the spool). */
export async function writeReconciliationXlsx(path: string, batch: ReportBatch, data: ReconciliationData, spoolPath: string): Promise<void> {
  const xlsx = new XlsxFile(path);
  try {
    writeSummarySheet(xlsx, batch, data);
    const usd = new UsdConverter(batch.usdRates);
    const ws = xlsx.addSheet('Exceptions', EXCEPTION_WIDTHS);
    addHeaderRow(ws, EXCEPTION_HEADER);
    let n = 0;
    for await (const r of readSpool(spoolPath)) {
      const e = r.currency === '' ? undefined : currencyExponent(r.currency, batch.currencyExponents);
      const amount = r.amountMinor === null || e === undefined ? null : BigInt(r.amountMinor);
      const usdText = amount === null ? '' : usd.text(amount, r.currency, e!);
      const row = ws.addRow([
        r.row,
        xlsxText(r.item),
        xlsxText(r.currency),
        amount === null ? null : moneyCellValue(amount, e!),
        usdText === '' ? null : Number(usdText),
        xlsxText(r.merchantReference),
        xlsxText(r.providerReference),
        xlsxText(r.rawStatus),
        xlsxText(r.errorCode),
        xlsxText(r.errorMessage),
        xlsxText(exceptionDetail(r, e)),
      ]);
      shareStyles(row, EXCEPTION_HEADER.length, [
        [4, amount === null ? null : numFmtForExponent(e!)],
        [5, usdText === '' ? null : '#,##0.00'],
      ]);
      row.commit();
      if (++n % 256 === 0) await xlsx.throttle(ws);
      // Excel's row limit: the CSV keeps every line; the sheet says where it stopped.
      if (n >= 1_048_574) {
        ws.addRow([null, xlsxText('truncated'), '', null, null, '', '', '', '', '', 'more exceptions: see reconciliation.csv']).commit();
        break;
      }
    }
    ws.commit();
    await xlsx.commit();
  } catch (err) {
    await xlsx.destroy();
    throw err;
  }
}
