/**
 * Cell to text: what exceljs's streaming reader hands over, as the text Excel shows (numbers to 15
 * significant digits, dates as ISO dates, `_xHHHH_` decoded), with a note where a rule needs to know more
 * (a number that may have been an identifier, a formula without a value).
 */
import ExcelJS from 'exceljs';
import type { CellNote } from '../types.ts';

export type ExcelRow = { number: number; eachCell(opt: { includeEmpty: boolean }, f: (cell: ExcelCell, col: number) => void): void };
export type ExcelCell = { type: number | undefined; value: unknown; numFmt?: string; result?: unknown; formula?: string };

const T = ExcelJS.ValueType;

function stripFormatLiterals(fmt: string): string {
  return fmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '').replace(/\\./g, '');
}

export function isScientificFormat(fmt: string | undefined): boolean {
  return !!fmt && /E[+-]/i.test(stripFormatLiterals(fmt));
}

function isDateFormat(fmt: string | undefined): boolean {
  return !!fmt && /[ymdhMsb]/.test(stripFormatLiterals(fmt));
}

/** ISO date ('YYYY-MM-DD'), with the time when there is one. Excel dates have no zone: read as UTC. */
function isoDate(d: Date): string | undefined {
  if (Number.isNaN(d.getTime())) return undefined;
  const iso = d.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}

function excelSerialToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86400000));
}

export interface CellText {
  text: string;
  note?: CellNote;
}

/**
 * The number as Excel holds it: 15 significant digits. A formula's double carries binary noise that Excel
 * never shows (=5.5*2.5 is stored as 13.750000000000002); the cell's number format is ignored on purpose,
 * so 13.755 shown as "13.76" stays 13.755 and is refused for USD rather than rounded by a display setting.
 */
export function excelNumberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return String(Number(n.toPrecision(15)));
}

/**
 * Excel writes a character XML cannot hold (control characters) as `_xHHHH_`, and a literal `_x` as
 * `_x005F_x` (ECMA-376 Part 1, ST_Xstring); exceljs leaves them as they are. Decoded here, so text reads
 * as Excel shows it and a control character is seen (and refused) rather than passed on as `_x0000_`.
 */
export function decodeXstring(text: string): string {
  if (text.indexOf('_x') < 0) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function numberCell(n: number, numFmt: string | undefined): CellText {
  if (!Number.isFinite(n)) return { text: '', note: { kind: 'formula-error', text: String(n) } };
  const text = excelNumberText(n);
  return { text, note: { kind: 'number', text, scientific: /e/i.test(text) || isScientificFormat(numFmt) } };
}

function dateCell(d: Date): CellText {
  const iso = isoDate(d);
  if (iso === undefined) return { text: '', note: { kind: 'formula-error', text: 'invalid date' } };
  return { text: iso, note: { kind: 'date', text: iso } };
}

function richText(v: { richText: { text?: string | null }[] }): string {
  return decodeXstring(v.richText.map((r) => r.text ?? '').join(''));
}

function formulaCell(result: unknown, rawFormula: string | undefined, numFmt: string | undefined, date1904: boolean): CellText {
  const formula = rawFormula?.replace(/&amp;/g, '&'); // undo escapeAmpersands (workbook.ts)
  if (result === undefined || result === null) {
    // No cached value: the file was written by a program that does not calculate.
    return { text: '', note: { kind: 'formula-error', text: formula ? `=${formula}` : 'formula without a cached value' } };
  }
  if (typeof result === 'number') {
    // exceljs turns an error result (t="e") into NaN and does not apply date formats to formula results.
    if (Number.isNaN(result)) return { text: '', note: { kind: 'formula-error', text: formula ? `=${formula}` : '#ERROR' } };
    if (isDateFormat(numFmt)) return dateCell(excelSerialToDate(result, date1904));
    return numberCell(result, numFmt);
  }
  if (typeof result === 'string') return { text: decodeXstring(result) };
  if (typeof result === 'boolean') return { text: result ? 'TRUE' : 'FALSE' };
  if (result instanceof Date) return dateCell(result);
  if (typeof result === 'object' && 'error' in result) {
    return { text: '', note: { kind: 'formula-error', text: String((result as { error: unknown }).error) } };
  }
  return { text: String(result) };
}

export function cellText(cell: ExcelCell, date1904: boolean): CellText {
  const v = cell.value;
  switch (cell.type) {
    case T.Null:
    case T.Merge:
      return { text: '' };
    case T.String:
      if (typeof v === 'string') return { text: decodeXstring(v) };
      break; // exceljs's "JSON" values claim to be strings: see below
    case T.Number:
      return numberCell(v as number, cell.numFmt);
    case T.Date:
      return dateCell(v as Date);
    case T.Boolean:
      return { text: v ? 'TRUE' : 'FALSE' };
    case T.RichText:
      return { text: richText(v as { richText: { text?: string }[] }) };
    case T.Hyperlink: {
      const t = (v as { text?: unknown }).text;
      return { text: typeof t === 'string' ? decodeXstring(t) : t && typeof t === 'object' && 'richText' in t ? richText(t as { richText: { text?: string }[] }) : '' };
    }
    case T.Error:
      return { text: '', note: { kind: 'formula-error', text: String((v as { error?: unknown }).error ?? '#ERROR') } };
    case T.Formula:
      return formulaCell(cell.result, cell.formula, cell.numFmt, date1904);
    default:
      break;
  }
  // exceljs files values it cannot classify as "JSON" and reports them as type String with an object value.
  // In streaming mode that is every cell of a shared formula but the first ({ formula: '', result }, the
  // formula text is empty when it is falsy): still a formula with a cached value.
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('formula' in o || 'sharedFormula' in o) return formulaCell(o.result, (o.formula as string) || undefined, cell.numFmt, date1904);
    if ('richText' in o && Array.isArray(o.richText)) return { text: richText(o as { richText: { text?: string }[] }) };
    if ('error' in o) return { text: '', note: { kind: 'formula-error', text: String(o.error) } };
  }
  return { text: v === undefined || v === null ? '' : String(v) };
}

// ---------------------------------------------------------------------------------------------------------
// Rows

export interface ConvertedRow {
  rowNumber: number;
  /** column index (0-based) -> text / note; sparse */
  cells: { index: number; text: string; note?: CellNote }[];
  blank: boolean;
}

export function convertRow(row: ExcelRow, date1904: boolean): ConvertedRow {
  const cells: ConvertedRow['cells'] = [];
  let blank = true;
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    const { text, note } = cellText(cell, date1904);
    if (text === '' && !note) return;
    if (note?.kind === 'formula-error' || text.trim() !== '') blank = false;
    cells.push(note ? { index: col - 1, text, note } : { index: col - 1, text });
  });
  return { rowNumber: row.number, cells, blank };
}
