/**
 * Shared types of the sheet readers (CSV and XLSX). See DESIGN.md §5.
 */

export interface RawRow {
  /**
   * Row number as the spreadsheet numbers it: header is row 1, first data row 2. Blank rows are skipped but
   * still counted, so the numbers match what Excel shows. For CSV, a record with quoted newlines is ONE row.
   */
  rowNumber: number;
  /** Cell texts in header order (length = header length; missing trailing cells are ''). Untrimmed raw text. */
  values: string[];
  /**
   * XLSX only: per cell, a note when Excel stored the cell as something other than text (so identifier
   * columns can be checked), e.g. { kind: 'number', text: '880000000000000000', scientific: true };
   * undefined for text cells. The array itself is undefined when no cell of the row has a note.
   */
  notes?: (CellNote | undefined)[];
}

export interface CellNote {
  /** 'number': stored as a number; 'date': a number with a date format; 'formula-error': an error value or a formula without a usable cached result. */
  kind: 'number' | 'date' | 'formula-error';
  /** number: String(n); date: the ISO text; formula-error: the error code (e.g. '#N/A') or '=<formula>'. */
  text: string;
  /** number only: the number is (or is shown) in scientific notation, so digits are probably lost. */
  scientific?: boolean;
}

export interface OpenedSheet {
  format: 'csv' | 'xlsx';
  /** csv: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252' */
  encoding?: string;
  /** csv: ',' ';' '\t' */
  delimiter?: string;
  /** xlsx: the worksheet that was read */
  sheetName?: string;
  /**
   * Header cells as written (trimmed; a control character escaped as `\u0000`, since the header is copied
   * to the results). Trailing empty header cells are dropped.
   */
  header: string[];
  /** Streaming; iterate once (this or `chunks`, not both). Errors during iteration are SheetError. */
  rows: AsyncIterable<RawRow>;
  /**
   * The same rows in groups of the rows the reader has ready: what the engine iterates, since an await per
   * row costs as much as validating it at a million rows. A failure comes after the rows read before it.
   */
  chunks: AsyncIterable<RawRow[]>;
  /** Releases file handles if iteration stopped early. Safe to call more than once. */
  close(): Promise<void>;
}

/** The rows of a reader's `chunks`, one by one (what `rows` is for both readers). */
export async function* rowsOf(chunks: AsyncIterable<RawRow[]>): AsyncGenerator<RawRow> {
  for await (const chunk of chunks) yield* chunk;
}

/**
 * Excel's own limits (Microsoft: "Excel specifications and limits"). A sheet beyond them can be read, but
 * its results.xlsx could never be written, so it is refused before anything is sent.
 */
export const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_COLUMNS = 16_384;
export const EXCEL_MAX_CELL_CHARS = 32_767;
/** Payout rows a sheet may hold: results.xlsx needs one more row for its header. */
export const MAX_DATA_ROWS = EXCEL_MAX_ROWS - 1;

export interface SheetLimits {
  maxFileBytes: number;
  maxXlsxUnpackedBytes: number;
  maxSharedStrings: number;
  /** Data rows (blank rows not counted); more → SheetError during iteration. Default MAX_DATA_ROWS. */
  maxRows?: number;
}

export class SheetError extends Error {
  readonly file: string;
  readonly row?: number;
  readonly column?: string;
  /** The rule named in errors.csv: 'unreadable' unless the sheet is readable but cannot be a batch ('empty', 'excel-limit'). */
  readonly rule: string;
  constructor(message: string, file: string, row?: number, column?: string, rule = 'unreadable') {
    super(message);
    this.name = 'SheetError';
    this.file = file;
    if (row !== undefined) this.row = row;
    if (column !== undefined) this.column = column;
    this.rule = rule;
  }
}

/**
 * Control characters no cell may hold (C0 and DEL; TAB, and LF/CR, which a quoted CSV field or an Excel
 * cell may hold, are fine). A NUL sent to a provider or written to results.xlsx breaks both.
 */
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** The text with each control character written as `\u0000`: safe to show in errors.csv and results. */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The control characters of a text as code points: "U+0000, U+0007". */
export function controlCodePoints(text: string): string {
  const found = new Set<string>();
  for (const m of text.matchAll(CONTROL_CHARACTERS)) found.add(`U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  return [...found].join(', ');
}

/** A count as people write it: 1048575 → "1,048,575". */
export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A too-long cell (Excel holds at most EXCEL_MAX_CELL_CHARS characters in one). `title` is the header cell
 * of the column, `letter` its spreadsheet letter.
 */
export function cellTooLong(path: string, file: string, row: number, letter: string, title: string, length: number): SheetError {
  const where = title ? `column ${letter} ("${title.length > 40 ? `${title.slice(0, 40)}…` : title}")` : `column ${letter}`;
  return new SheetError(
    `${file}: row ${row}, ${where} has ${grouped(length)} characters; Excel holds at most ${grouped(EXCEL_MAX_CELL_CHARS)} in a cell, so results.xlsx could not be written`,
    path,
    row,
    title || letter,
    'excel-limit',
  );
}

/** More payout rows than allowed; with the default limit, the reason is Excel's row limit. */
export function tooManyRows(path: string, row: number, max: number): SheetError {
  if (max !== MAX_DATA_ROWS) return new SheetError(`more than ${max} rows`, path, row);
  return new SheetError(
    `more than ${grouped(max)} payout rows: results.xlsx could not hold them (Excel's limit is ${grouped(EXCEL_MAX_ROWS)} rows, the header included); split the sheet`,
    path,
    row,
    undefined,
    'excel-limit',
  );
}
