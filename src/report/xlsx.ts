// XLSX helpers for the report writers: a streaming workbook on a file, typed money cells and shared styles,
// and a bound on how far the writer may run ahead of the zip compressor. Sheets that fit their columns to
// their content are in fitted-sheet.ts.
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
export function wrappedStyle(style: CellStyle): CellStyle {
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
