// XLSX helpers for the report writers: a streaming workbook on a file, typed money cells, styled
// header rows, and a bound on how far the writer may run ahead of the zip compressor.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import ExcelJS from 'exceljs';
import { formatMinorWithExponent } from '../validate/currencies.ts';
import { neutraliseFormula } from './safe-cells.ts';

export type Worksheet = ExcelJS.Worksheet;

/** Excel's limit on the characters of one cell. */
export const MAX_CELL_CHARS = 32767;
/** Excel's limit on the rows of one sheet. */
export const MAX_SHEET_ROWS = 1_048_576;
/** Excel keeps 15 significant digits of a number; an amount with more is written as text instead. */
const MAX_EXACT_DIGITS = 15;

/** '#,##0.00' for exponent 2, '#,##0' for 0, '#,##0.000' for 3. */
export function numFmtForExponent(exponent: number): string {
  return exponent > 0 ? `#,##0.${'0'.repeat(exponent)}` : '#,##0';
}

/** The style of unstyled cells, shared (see moneyStyle). */
export const PLAIN_STYLE: Partial<ExcelJS.Style> = Object.freeze({}) as Partial<ExcelJS.Style>;
const MONEY_STYLES = new Map<string, Partial<ExcelJS.Style>>();

/**
 * One style object per number format, shared by every cell that uses it: exceljs caches a style's id
 * by object identity, and otherwise serialises each cell's own style object again.
 */
export function moneyStyle(numFmt: string): Partial<ExcelJS.Style> {
  let style = MONEY_STYLES.get(numFmt);
  if (!style) {
    style = Object.freeze({ numFmt }) as Partial<ExcelJS.Style>;
    MONEY_STYLES.set(numFmt, style);
  }
  return style;
}

/**
 * Gives a committed-to-be row's cells 1..count shared style objects: PLAIN_STYLE, and moneyStyle(fmt)
 * for the columns (1-based) in `money`.
 */
export function shareStyles(row: ExcelJS.Row, count: number, money?: ReadonlyArray<readonly [number, string | null]>): void {
  for (let c = 1; c <= count; c++) row.getCell(c).style = PLAIN_STYLE;
  if (money) for (const [col, fmt] of money) if (fmt !== null) row.getCell(col).style = moneyStyle(fmt);
}

/** A text cell: formula-neutralised and cut to Excel's cell limit (Excel refuses longer cells). */
export function xlsxText(text: string): string {
  const safe = neutraliseFormula(text);
  return safe.length > MAX_CELL_CHARS ? safe.slice(0, MAX_CELL_CHARS) : safe;
}

/**
 * The value of a money cell: a JS number made from the exact decimal text at the last moment (Excel
 * stores doubles: that is the output format), or the decimal text when it has more significant digits
 * than a double keeps exactly, so a huge amount is never silently changed.
 */
export function moneyCellValue(minor: bigint, exponent: number): number | string {
  const text = formatMinorWithExponent(minor, exponent);
  const significant = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return significant.length > MAX_EXACT_DIGITS ? text : Number(text);
}

/** A streaming workbook writing to `path` (no shared strings: bounded memory; styles on). */
export class XlsxFile {
  readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly out: WriteStream;
  private readonly sheets: Worksheet[] = [];
  private outError: Error | null = null;
  private committed = false;
  private finished = false;

  constructor(path: string) {
    // 'w' keeps the mode of the 0600 temp file created by atomic.ts.
    this.out = createWriteStream(path, { flags: 'w' });
    this.out.on('error', (err) => {
      this.outError = err;
    });
    this.out.on('finish', () => {
      this.finished = true;
    });
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: this.out,
      useSharedStrings: false,
      useStyles: true,
    });
    this.workbook.creator = 'paybatch';
    // An archiver 'error' without a listener would crash the process.
    (this.workbook as unknown as { zip?: NodeJS.EventEmitter }).zip?.on('error', (err: Error) => {
      this.outError = err;
    });
  }

  /** Rejects when the output stream closes before the workbook finished (exceljs would wait forever). */
  private outputFailure(): Promise<never> {
    return new Promise<never>((_, reject) => {
      const fail = () => reject(this.outError ?? new Error('XLSX output closed before the workbook was complete'));
      if (this.out.destroyed && !this.finished) {
        fail();
        return;
      }
      this.out.once('close', () => {
        if (!this.finished) fail();
      });
    });
  }

  /** A sheet with a frozen first row; `widths` sets the column widths (must come before any row). */
  addSheet(name: string, widths: number[], frozenHeader = true): Worksheet {
    const ws = this.workbook.addWorksheet(name, frozenHeader ? { views: [{ state: 'frozen', ySplit: 1 }] } : {});
    ws.columns = widths.map((width) => ({ width }));
    this.sheets.push(ws);
    return ws;
  }

  /**
   * Waits while the current sheet's compressed output lags behind: exceljs's sheet stream ignores
   * backpressure and would otherwise buffer the whole sheet in memory when rows come faster than zlib
   * deflates them. Call every few hundred rows.
   */
  async throttle(ws: Worksheet, highWaterBytes = 16 * 1024 * 1024): Promise<void> {
    if (this.outError) throw this.outError;
    const pending = sheetBacklog(ws);
    if (pending === null) {
      // Unknown internals: at least let I/O callbacks (zlib, file writes) run.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    if (pending <= highWaterBytes) return;
    // Wait until the compressor has caught up to a quarter of the mark, so it never runs dry meanwhile.
    const low = highWaterBytes / 4;
    while (sheetBacklog(ws)! > low) {
      if (this.outError) throw this.outError;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async commit(): Promise<void> {
    if (this.outError) throw this.outError;
    await Promise.race([this.workbook.commit(), this.outputFailure()]);
    if (this.outError) throw this.outError;
    this.committed = true;
  }

  /** Stops writing (after an error); the caller removes the file. */
  async destroy(): Promise<void> {
    if (this.committed) return;
    try {
      // archiver's abort stops the zip; the output stream is then closed.
      (this.workbook as unknown as { zip?: { abort?: () => void } }).zip?.abort?.();
    } catch {
      // already finished or failed
    }
    if (!this.out.closed) {
      this.out.destroy();
      await once(this.out, 'close').catch(() => undefined);
    }
  }
}

/**
 * Bytes a streaming worksheet has produced that the zip has not yet consumed, or null when exceljs's
 * internals are not as expected (exceljs 4.4: worksheet.stream is a StreamBuf piped into archiver's
 * PassThrough; StreamBuf ignores write()'s return value).
 */
function sheetBacklog(ws: Worksheet): number | null {
  type StateLike = { length?: number };
  type PipeLike = { _writableState?: StateLike; _readableState?: StateLike };
  const stream = (ws as unknown as { stream?: { pipes?: unknown[] } }).stream;
  // archiver's PassThrough comes from readable-stream 2.x, which has no writableLength getter.
  const pipe = stream?.pipes?.[0] as PipeLike | undefined;
  const w = pipe?._writableState?.length;
  if (typeof w !== 'number') return null;
  return w + (pipe?._readableState?.length ?? 0);
}

/** Adds a bold header row (and commits it); with `autoFilter` it also gets filter buttons. */
export function addHeaderRow(ws: Worksheet, cells: string[], autoFilter = true): void {
  const row = ws.addRow(cells.map((c) => xlsxText(c)));
  row.font = { bold: true };
  row.commit();
  if (autoFilter && cells.length > 0) {
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: cells.length } };
  }
}

/** A bold title row (not a table header). */
export function addTitleRow(ws: Worksheet, title: string): void {
  const row = ws.addRow([xlsxText(title)]);
  row.font = { bold: true };
  row.commit();
}

/** Column width for a header text: between 10 and 40 characters. */
export function widthFor(header: string, min = 10, max = 40): number {
  return Math.max(min, Math.min(max, header.length + 2));
}
