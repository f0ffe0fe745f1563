// A sheet whose columns fit their content (the report writers' sheets): rows are measured before the
// streaming writer fixes the widths, long text wraps, and rows grow to their lines.
import { BOLD_STYLE, PLAIN_STYLE, wrappedStyle, xlsxText, type CellStyle, type Worksheet, type XlsxFile } from './xlsx.ts';

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
