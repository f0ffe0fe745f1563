// results.csv / results.xlsx (DESIGN §7): every input row in input order, its original columns, then
// the outcome columns. Rows are streamed: the writer never holds more than one row.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stringify, type Stringifier } from 'csv-stringify';
import { currencyExponent, formatMinorWithExponent, type ExponentOverrides } from '../validate/currencies.ts';
import { maskAccount, neutraliseFormula, safeAmountText } from './safe-cells.ts';
import type { ReportBatch, ReportRow } from './types.ts';
import {
  addHeaderRow,
  MAX_SHEET_ROWS,
  moneyCellValue,
  moneyStyle,
  numFmtForExponent,
  PLAIN_STYLE,
  widthFor,
  xlsxText,
  XlsxFile,
  type Worksheet,
} from './xlsx.ts';

/** The columns appended after the original ones, in this order (DESIGN §7). */
export const RESULT_COLUMNS = [
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
] as const;

const RESULT_WIDTHS: Record<(typeof RESULT_COLUMNS)[number], number> = {
  payout_status: 14,
  provider_reference: 24,
  merchant_reference: 24,
  raw_status: 14,
  error_code: 14,
  error_message: 40,
  submitted_at: 22,
  completed_at: 22,
  paid_amount: 14,
  fee: 12,
};

/**
 * A CSV file written as a stream: UTF-8 with BOM (Excel then reads accented names right), CRLF line
 * ends, fields quoted where needed. csv-stringify only quotes a field containing the record delimiter
 * itself, so a lone \n or \r would break the row: quoted_match forces quotes on both.
 */
export class CsvStreamWriter {
  private readonly stringifier: Stringifier;
  private readonly done: Promise<void>;
  private failure: unknown = null;

  private constructor(path: string) {
    this.stringifier = stringify({ bom: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
    // 'w' keeps the mode of the 0600 temp file created by atomic.ts.
    const out = createWriteStream(path, { flags: 'w' });
    this.done = pipeline(this.stringifier, out);
    this.done.catch((err: unknown) => {
      this.failure = err ?? new Error('CSV write failed');
    });
  }

  static open(path: string): CsvStreamWriter {
    return new CsvStreamWriter(path);
  }

  /** Writes one record; waits when the file falls behind (bounded memory). */
  async write(record: string[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stringifier.write(record)) {
      await Promise.race([once(this.stringifier, 'drain'), this.done]);
      if (this.failure) throw this.failure;
    }
  }

  /** Ends the file and waits until it is flushed to the OS. */
  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    this.stringifier.end();
    await this.done;
  }

  /** Stops writing after an error; never throws. */
  async destroy(): Promise<void> {
    this.stringifier.destroy();
    await this.done.catch(() => undefined);
  }
}

/** Formats money of a row's currency; throws when a row that has money has no known currency. */
export class MoneyFormat {
  constructor(private readonly overrides?: ExponentOverrides) {}

  exponent(currency: string): number | undefined {
    return currency === '' ? undefined : currencyExponent(currency, this.overrides);
  }

  requireExponent(currency: string, rowNumber: number): number {
    const e = this.exponent(currency);
    if (e === undefined) {
      throw new Error(
        `row ${rowNumber}: amount in unknown currency ${JSON.stringify(currency)}; ` +
          'its exponent is needed to write it (configure it in currencyExponents)',
      );
    }
    return e;
  }

  /** Decimal text, '' for null. */
  text(minor: bigint | null, currency: string, rowNumber: number): string {
    if (minor === null) return '';
    return formatMinorWithExponent(minor, this.requireExponent(currency, rowNumber));
  }
}

/** The result columns' header: the original header cells as written, then RESULT_COLUMNS. */
export function resultsHeader(batch: ReportBatch): string[] {
  return [...batch.header, ...RESULT_COLUMNS];
}

/**
 * Writes results.csv and results.xlsx side by side from one pass over the rows. Each row is written
 * with exactly as many original cells as the header has (a short row is padded with empty cells; cells
 * beyond the header, which a reader should already have refused, are not written). A sheet that
 * reaches Excel's row limit continues in 'Results 2', … (the CSV has no limit).
 *
 * The XLSX never stops the CSV: when the workbook fails (a cell exceljs refuses, a write error), it is
 * abandoned, `xlsxError` says why, and the CSV is written to its end.
 */
export class ResultsWriter {
  private readonly csv: CsvStreamWriter;
  private readonly xlsx: XlsxFile;
  private sheet: Worksheet;
  private sheetRows = 0;
  private sheetCount = 1;
  private readonly header: string[];
  private readonly widths: number[];
  private readonly masked: Set<number>;
  private readonly money: MoneyFormat;
  private readonly width: number;
  private sinceThrottle = 0;
  private xlsxFailure: Error | null = null;

  constructor(
    csvPath: string,
    xlsxPath: string,
    private readonly batch: ReportBatch,
  ) {
    this.header = resultsHeader(batch);
    this.width = batch.header.length;
    this.masked = new Set(batch.maskColumns);
    this.money = new MoneyFormat(batch.currencyExponents);
    this.widths = [
      ...batch.header.map((h, i) => (i === batch.amountColumn ? Math.max(14, widthFor(h)) : widthFor(h))),
      ...RESULT_COLUMNS.map((c) => RESULT_WIDTHS[c]),
    ];
    this.csv = CsvStreamWriter.open(csvPath);
    this.xlsx = new XlsxFile(xlsxPath);
    this.sheet = this.guardXlsx(() => this.openSheet('Results')) as Worksheet;
  }

  get workbook(): XlsxFile {
    return this.xlsx;
  }

  /** Why results.xlsx could not be written, or null. */
  get xlsxError(): Error | null {
    return this.xlsxFailure;
  }

  /** Gives up the workbook (results.csv goes on). */
  async abandonXlsx(err: unknown): Promise<void> {
    this.xlsxFailure ??= err instanceof Error ? err : new Error(String(err));
    await this.xlsx.destroy();
  }

  private guardXlsx<T>(step: () => T): T | undefined {
    if (this.xlsxFailure) return undefined;
    try {
      return step();
    } catch (err) {
      void this.abandonXlsx(err);
      return undefined;
    }
  }

  async begin(): Promise<void> {
    await this.csv.write(this.header.map((h) => neutraliseFormula(h)));
  }

  private openSheet(name: string): Worksheet {
    const ws = this.xlsx.addSheet(name, this.widths);
    addHeaderRow(ws, this.header);
    this.sheetRows = 1;
    return ws;
  }

  /** An original cell as text for both files: masked, then neutralised (amount cells: see safeAmountText). */
  private originalText(row: ReportRow, i: number): string {
    const value = row.original[i] ?? '';
    if (this.masked.has(i)) return neutraliseFormula(maskAccount(value, this.batch.maskMode));
    if (i === this.batch.amountColumn) return safeAmountText(value);
    return neutraliseFormula(value);
  }

  async write(row: ReportRow): Promise<void> {
    const money = this.money;
    const exponent = row.paidAmountMinor !== null || row.feeMinor !== null ? money.requireExponent(row.currency, row.rowNumber) : undefined;
    const originals: string[] = new Array<string>(this.width);
    for (let i = 0; i < this.width; i++) originals[i] = this.originalText(row, i);
    const outcome = [
      row.status,
      neutraliseFormula(row.providerReference),
      neutraliseFormula(row.merchantReference),
      neutraliseFormula(row.rawStatus),
      neutraliseFormula(row.errorCode),
      neutraliseFormula(row.errorMessage),
      neutraliseFormula(row.submittedAt),
      neutraliseFormula(row.completedAt),
    ];
    const paidText = row.paidAmountMinor === null ? '' : formatMinorWithExponent(row.paidAmountMinor, exponent!);
    const feeText = row.feeMinor === null ? '' : formatMinorWithExponent(row.feeMinor, exponent!);
    await this.csv.write([...originals, ...outcome, paidText, feeText]);

    if (this.xlsxFailure) return;
    try {
      await this.writeXlsxRow(row, originals, outcome, exponent);
    } catch (err) {
      await this.abandonXlsx(err);
    }
  }

  /** XLSX: the same cells, with the amount, paid_amount and fee as typed numbers. */
  private async writeXlsxRow(row: ReportRow, originals: string[], outcome: string[], exponent: number | undefined): Promise<void> {
    const money = this.money;
    if (this.sheetRows >= MAX_SHEET_ROWS) {
      this.sheet.commit();
      this.sheetCount += 1;
      this.sheet = this.openSheet(`Results ${this.sheetCount}`);
    }
    const values: (string | number | null)[] = new Array(this.width + RESULT_COLUMNS.length);
    for (let i = 0; i < this.width; i++) {
      const text = originals[i]!;
      values[i] = text.length > 32767 ? xlsxText(text) : text;
    }
    let amountFmt: string | null = null;
    const ac = this.batch.amountColumn;
    if (ac !== null && ac < this.width && !this.masked.has(ac) && row.status !== 'invalid' && row.amountMinor !== null) {
      const e = money.exponent(row.currency);
      if (e !== undefined) {
        values[ac] = moneyCellValue(row.amountMinor, e);
        amountFmt = numFmtForExponent(e);
      }
    }
    for (let j = 0; j < outcome.length; j++) values[this.width + j] = xlsxText(outcome[j]!);
    const paidCol = this.width + 8;
    const feeCol = this.width + 9;
    values[paidCol] = row.paidAmountMinor === null ? null : moneyCellValue(row.paidAmountMinor, exponent!);
    values[feeCol] = row.feeMinor === null ? null : moneyCellValue(row.feeMinor, exponent!);
    const xrow = this.sheet.addRow(values);
    // Shared style objects: exceljs caches a style's id by object identity, so this skips re-serialising
    // a style for every cell (a fifth of the writer's time otherwise).
    const n = values.length;
    for (let c = 1; c <= n; c++) xrow.getCell(c).style = PLAIN_STYLE;
    if (amountFmt !== null) xrow.getCell(ac! + 1).style = moneyStyle(amountFmt);
    if (exponent !== undefined) {
      const style = moneyStyle(numFmtForExponent(exponent));
      if (row.paidAmountMinor !== null) xrow.getCell(paidCol + 1).style = style;
      if (row.feeMinor !== null) xrow.getCell(feeCol + 1).style = style;
    }
    xrow.commit();
    this.sheetRows += 1;
    if (++this.sinceThrottle >= 256) {
      this.sinceThrottle = 0;
      await this.xlsx.throttle(this.sheet);
    }
  }

  /** Ends results.csv and commits the Results sheet(s); the caller adds the Summary sheet, then commitXlsx(). */
  async endRows(): Promise<void> {
    await this.csv.end();
    this.guardXlsx(() => this.sheet.commit());
  }

  /** Commits the workbook; a failure abandons it (see xlsxError) instead of failing the reports. */
  async commitXlsx(): Promise<void> {
    if (this.xlsxFailure) return;
    try {
      await this.xlsx.commit();
    } catch (err) {
      await this.abandonXlsx(err);
    }
  }

  async destroy(): Promise<void> {
    await this.csv.destroy();
    await this.xlsx.destroy();
  }
}
