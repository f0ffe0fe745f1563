// XLSX helpers for the report writers: a streaming workbook on a file, typed money cells, styled
// header rows, and a bound on how far the writer may run ahead of the zip compressor.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type ExcelJS from 'exceljs';
import { formatMinorWithExponent } from '../validate/currencies.ts';
import { neutraliseFormula } from './safe-cells.ts';
import type { ResultStatus } from './types.ts';

export type Worksheet = ExcelJS.Worksheet;
export type CellStyle = Partial<ExcelJS.Style>;

type WorkbookWriter = ExcelJS.stream.xlsx.WorkbookWriter;

let excel: Promise<typeof ExcelJS> | undefined;

/** exceljs, loaded when the first workbook is written: validate and the console never pay for it (~17 MB). */
function loadExcel(): Promise<typeof ExcelJS> {
  excel ??= import('exceljs').then(
    (m) => m.default,
    (err: unknown) => {
      excel = undefined;
      throw err;
    },
  );
  return excel;
}

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
export const PLAIN_STYLE: CellStyle = Object.freeze({}) as CellStyle;
/** The workbook's default font, spelt out: a font element without size and name leaves them to the reader. */
const FONT = { name: 'Calibri', family: 2, size: 11 } as const;
/** Header and title rows. */
export const BOLD_STYLE: CellStyle = Object.freeze({ font: { ...FONT, bold: true } }) as CellStyle;
const MONEY_STYLES = new Map<string, CellStyle>();

/**
 * One style object per number format, shared by every cell that uses it: exceljs caches a style's id
 * by object identity, and otherwise serialises each cell's own style object again.
 */
export function moneyStyle(numFmt: string): CellStyle {
  let style = MONEY_STYLES.get(numFmt);
  if (!style) {
    style = Object.freeze({ numFmt }) as CellStyle;
    MONEY_STYLES.set(numFmt, style);
  }
  return style;
}

/** A solid fill with a darker text colour of the same hue (Excel's Good/Bad/Neutral cell styles). */
function fillStyle(fill: string, text: string): CellStyle {
  return Object.freeze({
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: `FF${fill}` } },
    font: { ...FONT, color: { argb: `FF${text}` } },
  }) as CellStyle;
}

const GOOD = fillStyle('C6EFCE', '006100');
const BAD = fillStyle('FFC7CE', '9C0006');
const WAITING = fillStyle('FFEB9C', '9C5700');
const NOT_SENT = fillStyle('D9D9D9', '3F3F3F');

/**
 * The payout_status cell's style by outcome, so a printed page shows at a glance what needs a look:
 * paid green; not paid red; waiting for the provider or a person amber; never sent grey (cancelled, and a
 * duplicate, which another row already pays); invalid, which the file's owner must correct, orange.
 */
export const STATUS_STYLES: Readonly<Record<ResultStatus, CellStyle>> = Object.freeze({
  succeeded: GOOD,
  failed: BAD,
  reversed: BAD,
  needs_review: WAITING,
  pending: WAITING,
  cancelled: NOT_SENT,
  duplicate: NOT_SENT,
  invalid: fillStyle('F8CBAD', '833C0B'),
});

const WRAPPED = new WeakMap<CellStyle, CellStyle>();

/** `style` with wrapped text, shared like the others. */
function wrappedStyle(style: CellStyle): CellStyle {
  let wrapped = WRAPPED.get(style);
  if (!wrapped) {
    wrapped = Object.freeze({ ...style, alignment: { wrapText: true, vertical: 'top' } }) as CellStyle;
    WRAPPED.set(style, wrapped);
  }
  return wrapped;
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

/** `&` starts a code in a header or footer (&P, &N): a literal one is doubled. */
function footerText(text: string): string {
  return text.replace(/&/g, '&&');
}

/**
 * How every sheet prints (issue 14: finance prints them): landscape, one page wide and as many long as it
 * takes, row 1 (the header) repeated on each page, the batch and the page number in the footer.
 */
function printSetup(batchId: string): Pick<Partial<ExcelJS.AddWorksheetOptions>, 'pageSetup' | 'headerFooter'> {
  return {
    pageSetup: {
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '1:1',
      margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    // Excel caps a footer at 255 characters, codes included.
    headerFooter: { oddFooter: `&L${footerText(`paybatch batch ${batchId.slice(0, 100)}`)}&C&A&RPage &P of &N` },
  };
}

/**
 * A streaming workbook writing to `path` (no shared strings: bounded memory; styles on) for batch
 * `batchId`, which every sheet's footer names.
 */
export class XlsxFile {
  /** Made with the first sheet or the commit (exceljs is loaded then), not by the constructor. */
  private workbook: WorkbookWriter | null = null;
  private opening: Promise<WorkbookWriter> | undefined;
  private readonly out: WriteStream;
  private readonly sheets: Worksheet[] = [];
  private outError: Error | null = null;
  private committed = false;
  private finished = false;

  constructor(
    path: string,
    private readonly batchId: string,
  ) {
    // 'w' keeps the mode of the 0600 temp file created by atomic.ts.
    this.out = createWriteStream(path, { flags: 'w' });
    this.out.on('error', (err) => {
      this.outError = err;
    });
    this.out.on('finish', () => {
      this.finished = true;
    });
  }

  private book(): Promise<WorkbookWriter> {
    this.opening ??= loadExcel().then((excel) => this.createWorkbook(excel));
    return this.opening;
  }

  private createWorkbook(excel: typeof ExcelJS): WorkbookWriter {
    const workbook = new excel.stream.xlsx.WorkbookWriter({
      stream: this.out,
      useSharedStrings: false,
      useStyles: true,
    });
    workbook.creator = 'paybatch';
    // An archiver 'error' without a listener would crash the process.
    (workbook as unknown as { zip?: NodeJS.EventEmitter }).zip?.on('error', (err: Error) => {
      this.outError = err;
    });
    this.workbook = workbook;
    return workbook;
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

  /**
   * A sheet with a frozen first row, set up for printing; `widths` sets the column widths (the streaming
   * writer puts them before the first row, and the page setup in the sheet's head: both are given here).
   */
  async addSheet(name: string, widths: number[]): Promise<Worksheet> {
    const ws = (await this.book()).addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }], ...printSetup(this.batchId) });
    // exceljs leaves out a column of width 9 (its default), which Excel then shows at its own 8.43.
    ws.columns = widths.map((width) => ({ width: width === 9 ? 9.01 : width }));
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
    const workbook = await this.book();
    await Promise.race([workbook.commit(), this.outputFailure()]);
    if (this.outError) throw this.outError;
    this.committed = true;
  }

  /** Stops writing (after an error); the caller removes the file. */
  async destroy(): Promise<void> {
    if (this.committed) return;
    try {
      // archiver's abort stops the zip; the output stream is then closed.
      (this.workbook as unknown as { zip?: { abort?: () => void } } | null)?.zip?.abort?.();
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

/** A cell as the sheet writers hand it over: text (already made safe by xlsxText), a number, or empty. */
export type CellValue = string | number | null;

/** The widths a column may take, in characters of the default font. */
export interface ColumnFit {
  min: number;
  max: number;
}

interface SheetRow {
  values: CellValue[];
  /** Per cell; a missing one is PLAIN_STYLE. */
  styles: (CellStyle | undefined)[];
}

/** Rows held to measure the columns before the sheet starts (the streaming writer puts the widths first). */
const SAMPLE_ROWS = 1000;
/** Excel's default row height (Calibri 11), in points, and its limit. */
const LINE_POINTS = 15;
const MAX_ROW_POINTS = 409;

const isEmpty = (v: CellValue | undefined) => v === null || v === undefined || v === '';

/** Characters a number takes as its format shows it ('#,##0.00': grouping and decimals). */
function numberChars(v: number, numFmt: string | undefined): number {
  const decimals = numFmt === undefined ? null : (/\.(0+)$/.exec(numFmt)?.[1]?.length ?? 0);
  if (decimals === null) return String(v).length;
  const [int, frac] = Math.abs(v).toFixed(decimals).split('.') as [string, string | undefined];
  const grouped = numFmt!.includes(',') ? int.length + Math.floor((int.length - 1) / 3) : int.length;
  return (v < 0 ? 1 : 0) + grouped + (frac === undefined ? 0 : frac.length + 1);
}

function longestLine(text: string): number {
  if (!text.includes('\n')) return text.length;
  return Math.max(...text.split('\n').map((l) => l.length));
}

/**
 * A sheet whose columns fit their content: its first SAMPLE_ROWS rows are held and measured, then the sheet
 * is opened with those widths (each within its ColumnFit) and every row is written, streamed from there on.
 * Row 1 is the header (bold, frozen, repeated on every printed page).
 *
 * A text cell followed by empty cells overflows into them, as in Excel, so it does not widen its column;
 * one that still does not fit (or has line breaks) wraps within its column, and its row is made as tall as
 * its lines, so a printed page never cuts a label, a note or the invariant's equation.
 */
export class FittedSheet {
  private ws: Worksheet | null = null;
  private widths: number[] | null;
  private readonly held: SheetRow[] = [];
  private readonly need: number[];
  private rows = 0;
  /** Columns of the header's filter buttons; 0: none. */
  private filterColumns = 0;

  constructor(
    private readonly xlsx: XlsxFile,
    private readonly name: string,
    private readonly fits: readonly ColumnFit[],
    options: { widths?: number[] } = {},
  ) {
    this.widths = options.widths ?? null;
    this.need = fits.map((f) => f.min);
  }

  /** The widths the sheet was opened with (null before): a continuation sheet takes the same. */
  get columnWidths(): number[] | null {
    return this.widths;
  }

  /** Rows added so far, the header included. */
  get rowCount(): number {
    return this.rows;
  }

  /** The header row: bold, and with `filter` the filter buttons (which take room beside the name). */
  header(cells: string[], filter: boolean): Promise<void> {
    if (filter) this.filterColumns = cells.length;
    return this.push({ values: cells.map((c) => xlsxText(c)), styles: cells.map(() => BOLD_STYLE) }, filter ? 3 : 0);
  }

  /** A row of bold cells (a block's title or its column names). */
  bold(values: CellValue[]): Promise<void> {
    return this.push({ values, styles: values.map(() => BOLD_STYLE) }, 0);
  }

  add(values: CellValue[], styles: (CellStyle | undefined)[] = []): Promise<void> {
    return this.push({ values, styles }, 0);
  }

  /** `extra`: characters a cell needs beyond its text (a filter button). */
  private async push(row: SheetRow, extra: number): Promise<void> {
    this.rows += 1;
    if (this.ws) {
      this.write(row);
      if (this.rows % 256 === 0) await this.xlsx.throttle(this.ws);
      return;
    }
    if (this.widths === null) this.measure(row, extra);
    this.held.push(row);
    if (this.held.length >= SAMPLE_ROWS) await this.open();
  }

  private measure({ values, styles }: SheetRow, extra: number): void {
    const last = this.fits.length - 1;
    values.forEach((v, c) => {
      if (isEmpty(v) || c > last) return;
      let chars: number;
      if (typeof v === 'number') {
        chars = numberChars(v, styles[c]?.numFmt);
      } else {
        // Text may overflow into an empty neighbour (up to the last column: the page ends there): see open().
        if (c < last && isEmpty(values[c + 1])) return;
        chars = longestLine(v!);
      }
      // Bold text is about a tenth wider; 2 for the cell's padding.
      if (styles[c] === BOLD_STYLE) chars = Math.ceil(chars * 1.1);
      this.need[c] = Math.max(this.need[c]!, chars + 2 + extra);
    });
  }

  private fitted(): number[] {
    return this.fits.map((f, c) => Math.min(f.max, Math.max(f.min, this.need[c]!)));
  }

  private async open(): Promise<void> {
    if (this.widths === null) {
      // Text that overflows into its empty neighbours but would not fit even there widens its own column.
      const first = this.fitted();
      for (const { values } of this.held) {
        values.forEach((v, c) => {
          if (typeof v !== 'string' || v === '' || c >= first.length - 1 || !isEmpty(values[c + 1])) return;
          let room = first[c]!;
          for (let k = c + 1; k < first.length && isEmpty(values[k]); k++) room += first[k]!;
          const chars = longestLine(v);
          if (chars + 1 > room) this.need[c] = Math.max(this.need[c]!, chars + 2);
        });
      }
      this.widths = this.fitted();
    }
    this.ws = await this.xlsx.addSheet(this.name, this.widths);
    if (this.filterColumns > 0) this.ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: this.filterColumns } };
    let n = 0;
    for (const row of this.held.splice(0)) {
      this.write(row);
      if (++n % 256 === 0) await this.xlsx.throttle(this.ws);
    }
  }

  private write({ values, styles }: SheetRow): void {
    const widths = this.widths!;
    const n = values.length;
    let lines = 1;
    // An empty text cell is left out, not written as "": Excel lets text overflow only into blank cells.
    const xrow = this.ws!.addRow(values.map((v) => (v === '' ? null : v)));
    for (let c = 0; c < n; c++) {
      let style = styles[c] ?? PLAIN_STYLE;
      const v = values[c];
      if (typeof v === 'string' && v.length > 0 && c < widths.length) {
        let room = widths[c]!;
        for (let k = c + 1; k < widths.length && isEmpty(values[k]); k++) room += widths[k]!;
        const multiline = v.includes('\n');
        if (multiline || v.length + 1 > room) {
          // ~1 character of the width is the cell's padding.
          const perLine = Math.max(1, widths[c]! - 1);
          const cellLines = v.split('\n').reduce((sum, l) => sum + Math.max(1, Math.ceil(l.length / perLine)), 0);
          lines = Math.max(lines, cellLines);
          style = wrappedStyle(style);
        }
      }
      xrow.getCell(c + 1).style = style;
    }
    if (lines > 1) xrow.height = Math.min(MAX_ROW_POINTS, lines * LINE_POINTS);
    xrow.commit();
  }

  /** Writes what is held and commits the sheet. */
  async end(): Promise<void> {
    if (!this.ws) await this.open();
    this.ws!.commit();
  }
}
