// results.csv / results.xlsx (DESIGN §7): every input row in input order, its original columns, then
// the outcome columns. Rows are streamed: the writer never holds more than one row.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stringify, type Stringifier } from 'csv-stringify';
import { currencyExponent, formatMinorWithExponent, type ExponentOverrides } from '../validate/currencies.ts';
import { maskAccount, neutraliseFormula, safeAmountText } from './safe-cells.ts';
import { RESULT_COLUMNS, type ReportBatch, type ReportRow } from './types.ts';
import { ShownTime } from './times.ts';
import { FittedSheet, type CellValue, type ColumnFit } from './fitted-sheet.ts';
import { MAX_SHEET_ROWS, moneyCellValue, moneyStyle, numFmtForExponent, STATUS_STYLES, xlsxText, XlsxFile, type CellStyle } from './xlsx.ts';

export { RESULT_COLUMNS } from './types.ts';

/** How wide each result column may grow to fit its content (longer text wraps). */
const RESULT_FITS: Record<(typeof RESULT_COLUMNS)[number], ColumnFit> = {
  payout_status: { min: 10, max: 20 },
  provider_reference: { min: 10, max: 40 },
  merchant_reference: { min: 10, max: 40 },
  raw_status: { min: 8, max: 30 },
  error_code: { min: 8, max: 30 },
  error_message: { min: 12, max: 60 },
  submitted_at: { min: 10, max: 30 },
  completed_at: { min: 10, max: 30 },
  paid_amount: { min: 10, max: 24 },
  fee: { min: 8, max: 20 },
};
const ORIGINAL_FIT: ColumnFit = { min: 8, max: 40 };
const AMOUNT_FIT: ColumnFit = { min: 10, max: 24 };

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
 * The workbook is for people: payout_status is filled by outcome, and submitted_at/completed_at show the
 * batch's time zone (the CSV keeps the journal's UTC ISO-8601 for the programs that read it).
 *
 * The XLSX never stops the CSV: when the workbook fails (a cell exceljs refuses, a write error), it is
 * abandoned, `xlsxError` says why, and the CSV is written to its end.
 */
export class ResultsWriter {
  private readonly csv: CsvStreamWriter;
  private readonly xlsx: XlsxFile;
  private sheet: FittedSheet;
  private sheetCount = 1;
  private readonly header: string[];
  private readonly fits: ColumnFit[];
  private readonly masked: Set<number>;
  private readonly money: MoneyFormat;
  private readonly times: ShownTime;
  private readonly width: number;
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
    this.times = new ShownTime(batch.timezone);
    this.fits = [...batch.header.map((_, i) => (i === batch.amountColumn ? AMOUNT_FIT : ORIGINAL_FIT)), ...RESULT_COLUMNS.map((c) => RESULT_FITS[c])];
    this.csv = CsvStreamWriter.open(csvPath);
    this.xlsx = new XlsxFile(xlsxPath, batch.id);
    this.sheet = new FittedSheet(this.xlsx, 'Results', this.fits);
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

  /** A step of the workbook; a failure abandons it (see xlsxError), never the CSV. */
  private async xlsxStep(step: () => Promise<void>): Promise<void> {
    if (this.xlsxFailure) return;
    try {
      await step();
    } catch (err) {
      await this.abandonXlsx(err);
    }
  }

  async begin(): Promise<void> {
    await this.csv.write(this.header.map((h) => neutraliseFormula(h)));
    await this.xlsxStep(() => this.sheet.header(this.header, true));
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
    await this.xlsxStep(() => this.writeXlsxRow(row, originals, outcome, exponent));
  }

  /** XLSX: the same cells, with the amount, paid_amount and fee as typed numbers, and the times in the zone. */
  private async writeXlsxRow(row: ReportRow, originals: string[], outcome: string[], exponent: number | undefined): Promise<void> {
    const money = this.money;
    if (this.sheet.rowCount >= MAX_SHEET_ROWS) {
      await this.sheet.end();
      this.sheetCount += 1;
      this.sheet = new FittedSheet(this.xlsx, `Results ${this.sheetCount}`, this.fits, { widths: this.sheet.columnWidths ?? undefined });
      await this.sheet.header(this.header, true);
    }
    const values: CellValue[] = new Array<CellValue>(this.width + RESULT_COLUMNS.length);
    // Sparse: a cell without a style of its own is plain (FittedSheet).
    const styles: CellStyle[] = [];
    for (let i = 0; i < this.width; i++) {
      const text = originals[i]!;
      values[i] = text.length > 32767 ? xlsxText(text) : text;
    }
    const ac = this.batch.amountColumn;
    if (ac !== null && ac < this.width && !this.masked.has(ac) && row.status !== 'invalid' && row.amountMinor !== null) {
      const e = money.exponent(row.currency);
      if (e !== undefined) {
        values[ac] = moneyCellValue(row.amountMinor, e);
        styles[ac] = moneyStyle(numFmtForExponent(e));
      }
    }
    for (let j = 0; j < outcome.length; j++) values[this.width + j] = xlsxText(outcome[j]!);
    styles[this.width] = STATUS_STYLES[row.status];
    values[this.width + 6] = xlsxText(this.times.text(row.submittedAt));
    values[this.width + 7] = xlsxText(this.times.text(row.completedAt));
    const paidCol = this.width + 8;
    const feeCol = this.width + 9;
    values[paidCol] = row.paidAmountMinor === null ? null : moneyCellValue(row.paidAmountMinor, exponent!);
    values[feeCol] = row.feeMinor === null ? null : moneyCellValue(row.feeMinor, exponent!);
    if (exponent !== undefined) {
      const style = moneyStyle(numFmtForExponent(exponent));
      if (row.paidAmountMinor !== null) styles[paidCol] = style;
      if (row.feeMinor !== null) styles[feeCol] = style;
    }
    await this.sheet.add(values, styles);
  }

  /** Ends results.csv and commits the Results sheet(s); the caller adds the Summary sheet, then commitXlsx(). */
  async endRows(): Promise<void> {
    await this.csv.end();
    await this.xlsxStep(() => this.sheet.end());
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
