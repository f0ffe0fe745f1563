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
  /** Header cells as written (trimmed). Trailing empty header cells are dropped. */
  header: string[];
  /** Streaming; iterate once. Errors during iteration are SheetError. */
  rows: AsyncIterable<RawRow>;
  /** Releases file handles if iteration stopped early. Safe to call more than once. */
  close(): Promise<void>;
}

export interface SheetLimits {
  maxFileBytes: number;
  maxXlsxUnpackedBytes: number;
  maxSharedStrings: number;
  /** Data rows (blank rows not counted); more → SheetError during iteration. */
  maxRows?: number;
}

export class SheetError extends Error {
  readonly file: string;
  readonly row?: number;
  readonly column?: string;
  constructor(message: string, file: string, row?: number, column?: string) {
    super(message);
    this.name = 'SheetError';
    this.file = file;
    if (row !== undefined) this.row = row;
    if (column !== undefined) this.column = column;
  }
}
