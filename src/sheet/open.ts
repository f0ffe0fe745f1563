/**
 * Entry point of the sheet readers: chooses CSV or XLSX by the file's first bytes and its extension.
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { openCsv } from './csv.ts';
import { MAX_DATA_ROWS, SheetError, type OpenedSheet, type SheetLimits } from './types.ts';

export const DEFAULT_SHEET_LIMITS: SheetLimits = Object.freeze({
  maxFileBytes: 512 * 1024 * 1024,
  maxXlsxUnpackedBytes: 1024 * 1024 * 1024,
  maxSharedStrings: 2_000_000,
  // Excel's row limit: results.xlsx of a longer sheet could never be written (issue 10).
  maxRows: MAX_DATA_ROWS,
});

const CSV_EXTENSIONS = new Set(['.csv', '.txt', '.tsv']);
const XLSX_EXTENSIONS = new Set(['.xlsx', '.xlsm']);

/** Opens a payout sheet for streaming. Throws SheetError (unreadable, too big, empty, no header, unknown format). */
export async function openSheet(path: string, limits?: Partial<SheetLimits>): Promise<OpenedSheet> {
  const lim: SheetLimits = { ...DEFAULT_SHEET_LIMITS, ...dropUndefined(limits) };
  const file = basename(path);

  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new SheetError(`${file} is not a file`, path);
    size = st.size;
  } catch (err) {
    if (err instanceof SheetError) throw err;
    throw new SheetError(`${file} cannot be read: ${(err as Error).message}`, path);
  }
  if (size > lim.maxFileBytes) {
    throw new SheetError(`${file} is too big: ${size} bytes, the limit is ${lim.maxFileBytes}`, path);
  }
  if (size === 0) throw new SheetError(`${file} is empty`, path);

  const magic = Buffer.alloc(8);
  let magicLength = 0;
  try {
    const fh = await open(path, 'r');
    try {
      magicLength = (await fh.read(magic, 0, magic.length, 0)).bytesRead;
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new SheetError(`${file} cannot be read: ${(err as Error).message}`, path);
  }
  const head = magic.subarray(0, magicLength);
  const ext = extname(path).toLowerCase();

  const isZip = head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06);
  const isOle = head.length >= 8 && head.readUInt32BE(0) === 0xd0cf11e0 && head.readUInt32BE(4) === 0xa1b11ae1;

  if (isZip) {
    if (CSV_EXTENSIONS.has(ext)) {
      throw new SheetError(`${file} is a ZIP archive (an Excel workbook?), not a CSV file`, path);
    }
    // Loaded for a workbook only: exceljs is a large package that reading a CSV never needs.
    const { openXlsx } = await import('./xlsx/index.ts');
    return openXlsx(path, size, lim);
  }
  if (XLSX_EXTENSIONS.has(ext)) {
    if (isOle) {
      // Excel saves a password-protected workbook as an OLE container, whatever the extension.
      throw new SheetError(`${file} is not a readable XLSX file (password-protected, or an old .xls renamed)`, path);
    }
    throw new SheetError(`${file} is not a readable XLSX file (not a ZIP archive)`, path);
  }
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') {
    throw new SheetError(`${file} is a PDF document, not a sheet (send the .csv or .xlsx)`, path);
  }
  if (isOle || ext === '.xls') {
    throw new SheetError(`${file} is an old Excel (.xls) workbook: save it as .xlsx or .csv`, path);
  }
  if (CSV_EXTENSIONS.has(ext) || ext === '') {
    return openCsv(path, size, lim);
  }
  throw new SheetError(`${file} has an unknown format (expected .csv or .xlsx)`, path);
}

function dropUndefined(limits?: Partial<SheetLimits>): Partial<SheetLimits> {
  const out: Partial<SheetLimits> = {};
  if (!limits) return out;
  for (const [k, v] of Object.entries(limits)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
