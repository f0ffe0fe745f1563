/**
 * XLSX reader (DESIGN §5): exceljs's streaming WorkbookReader, fed through a guarded ZIP front end.
 *
 * Why the front end: exceljs reads the ZIP sequentially with unzipper and trusts it completely. It inflates
 * whatever is there (declared sizes are not checked), caches every shared string in memory, and a
 * worksheet that comes before sharedStrings.xml in the archive — which is how Excel itself orders the
 * parts — is spooled to a temp file that is only removed at process exit if iteration stops early. Sheet
 * names are only known if workbook.xml and its rels came first, and a sheet read before styles.xml loses
 * its number formats (dates become plain numbers).
 *
 * So before exceljs sees a byte, the reader reads the central directory at the end of the file (zip.ts),
 * checks the caps (sum of declared uncompressed sizes, shared-string count), resolves the sheet to read
 * from workbook.xml and its rels (workbook.ts), and then hands exceljs a small synthetic ZIP stream holding
 * only workbook.xml, its rels, styles.xml, sharedStrings.xml and the chosen sheet, in that order, each
 * inflated here with its real size enforced against the declared one. What exceljs makes of each cell is
 * turned into text in cells.ts.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { columnLetter } from '../headers.ts';
import { EXCEL_MAX_CELL_CHARS, SheetError, cellTooLong, escapeControlCharacters, rowsOf, tooManyRows, type CellNote, type OpenedSheet, type RawRow, type SheetLimits } from '../types.ts';
import { convertRow, type ConvertedRow, type ExcelRow } from './cells.ts';
import { EMPTY_SST, chooseSheet, declaredSharedStrings, escapeAmpersands, readWorkbookInfo, sharedStringCounter, type SheetInfo, type WorkbookInfo } from './workbook.ts';
import { NotXlsx, minimalZip, readZipDirectory, storedPart, type RebuiltPart, type StoredPart } from './zip.ts';

/** Rows handed over at a time (see `chunks`). */
const CHUNK_ROWS = 500;

export async function openXlsx(path: string, size: number, limits: SheetLimits): Promise<OpenedSheet> {
  const file = basename(path);
  const notReadable = (why: string) => new SheetError(`${file} is not a readable XLSX file (${why})`, path);

  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new SheetError(`${file} cannot be read: ${(err as Error).message}`, path);
  }

  let info: WorkbookInfo;
  let sheet: SheetInfo;
  const parts: RebuiltPart[] = [];
  try {
    const entries = await readZipDirectory(fh, size);
    let unpacked = 0;
    for (const e of entries.values()) unpacked += e.uncompressedSize;
    if (unpacked > limits.maxXlsxUnpackedBytes) {
      throw new SheetError(
        `${file} is too big: it unpacks to ${unpacked} bytes, the limit is ${limits.maxXlsxUnpackedBytes}`,
        path,
      );
    }
    info = await readWorkbookInfo(path, fh, size, entries);
    const chosen = chooseSheet(info.sheets);
    if (!chosen) throw new SheetError(`${file} has no worksheet`, path);
    sheet = chosen;

    if (info.sharedStringsPath) {
      const declared = await declaredSharedStrings(path, fh, entries.get(info.sharedStringsPath)!, size);
      if (declared !== undefined && declared > limits.maxSharedStrings) {
        throw new SheetError(
          `${file} has too many distinct texts: ${declared} shared strings, the limit is ${limits.maxSharedStrings}`,
          path,
        );
      }
    }

    const add = async (p: string | undefined, as: string, hooks?: Pick<StoredPart, 'inspect' | 'rewrite'>) => {
      const part = await storedPart(fh, size, p ? entries.get(p) : undefined, as, hooks);
      if (part) parts.push(part);
      return part !== undefined;
    };
    await add(info.workbookPath, 'xl/workbook.xml');
    await add(info.relsPath, 'xl/_rels/workbook.xml.rels');
    await add(info.stylesPath, 'xl/styles.xml');
    const tooManyStrings = (): never => {
      throw new SheetError(`${file} has too many distinct texts: more than ${limits.maxSharedStrings} shared strings`, path);
    };
    const strings = { inspect: sharedStringCounter(limits.maxSharedStrings, tooManyStrings) };
    // Without a sharedStrings part exceljs would spool the sheet to a temp file: give it an empty one.
    if (!(await add(info.sharedStringsPath, 'xl/sharedStrings.xml', strings))) parts.push({ as: 'xl/sharedStrings.xml', bytes: EMPTY_SST });
    // The sheet's size changes (see escapeAmpersands), so it is announced after it.
    if (!(await add(sheet.path, 'xl/worksheets/sheet1.xml', { rewrite: escapeAmpersands }))) throw new NotXlsx(`worksheet ${sheet.name} is empty`);
  } catch (err) {
    if (err instanceof SheetError) throw err;
    throw notReadable(err instanceof NotXlsx ? err.message : `${(err as Error).message}`);
  } finally {
    await fh.close().catch(() => undefined);
  }

  // Everything below fails through `abort`: exceljs never hears about an error on its input stream
  // (it pipes it into unzipper without forwarding errors) and would wait forever. Reads are sequential,
  // so one pending reject is enough (a Promise.race against a long-lived promise would pile up one
  // reaction per row until the end of the file).
  let failure: SheetError | undefined;
  let rejectPending: ((e: SheetError) => void) | undefined;
  const abort = (e: SheetError) => {
    if (failure) return;
    failure = e;
    rejectPending?.(e);
  };
  const guarded = <V>(p: Promise<V>): Promise<V> => {
    if (failure) return Promise.reject(failure);
    return new Promise<V>((resolve, reject) => {
      rejectPending = reject;
      p.then(
        (v) => {
          rejectPending = undefined;
          resolve(v);
        },
        (err: unknown) => {
          rejectPending = undefined;
          reject(err);
        },
      );
    });
  };

  const source = Readable.from(minimalZip(path, parts), { objectMode: false });
  source.on('error', (err) => {
    abort(err instanceof SheetError ? err : notReadable(err instanceof NotXlsx ? err.message : err.message));
  });

  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'emit',
  });
  // Hold a handle on the generator, so that a failure inside exceljs surfaces here rather than never.
  const books = reader[Symbol.asyncIterator]();

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    abort(new SheetError(`${file} was closed`, path));
    source.destroy();
  };

  const wrap = (err: unknown): SheetError => {
    if (failure) return failure;
    if (err instanceof SheetError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return notReadable(msg.split('\n')[0]!.slice(0, 300));
  };

  let excelRows: AsyncIterator<ExcelRow>;
  try {
    const first = await guarded(books.next());
    if (first.done) throw notReadable('the worksheet could not be read');
    excelRows = (first.value as unknown as AsyncIterable<ExcelRow>)[Symbol.asyncIterator]();
  } catch (err) {
    const e = wrap(err);
    await close();
    throw e;
  }

  let lastRowNumber = 0;
  const nextRow = async (): Promise<ConvertedRow | undefined> => {
    const r = await guarded(excelRows.next());
    if (r.done) return undefined;
    const row = convertRow(r.value, info.date1904);
    // Rows without an `r` attribute (some generators) are numbered by position.
    if (!Number.isFinite(row.rowNumber) || row.rowNumber <= lastRowNumber) row.rowNumber = lastRowNumber + 1;
    lastRowNumber = row.rowNumber;
    return row;
  };

  // Header: the first non-empty row (normally row 1).
  let header: string[];
  try {
    let h: ConvertedRow | undefined;
    do h = await nextRow();
    while (h && h.blank);
    if (!h) throw new SheetError(`${file} is empty (worksheet ${sheet.name} has no header row)`, path);
    header = [];
    for (const c of h.cells) header[c.index] = escapeControlCharacters(c.text.trim());
    for (let i = 0; i < header.length; i++) header[i] ??= '';
    while (header.length > 0 && header[header.length - 1] === '') header.pop();
    if (header.length === 0) throw new SheetError(`${file} is empty (worksheet ${sheet.name} has no header row)`, path);
    for (let i = 0; i < header.length; i++) {
      if (header[i]!.length > EXCEL_MAX_CELL_CHARS) throw cellTooLong(path, file, h.rowNumber, columnLetter(i), '', header[i]!.length);
    }
  } catch (err) {
    const e = wrap(err);
    await close();
    throw e;
  }

  const k = header.length;
  let dataRows = 0;
  /** The next data row, undefined at the end. */
  const nextDataRow = async (): Promise<RawRow | undefined> => {
    for (;;) {
      const r = await nextRow();
      if (!r) return undefined;
      if (r.blank) continue;
      const values = new Array<string>(k).fill('');
      let notes: (CellNote | undefined)[] | undefined;
      for (const c of r.cells) {
        if (c.index >= k) {
          if (c.text.trim() === '' && !c.note) continue;
          throw new SheetError(
            `row ${r.rowNumber} has a value in column ${columnLetter(c.index)}, beyond the header (${k} columns)`,
            path,
            r.rowNumber,
            columnLetter(c.index),
          );
        }
        // Excel holds at most 32,767 characters in a cell: results.xlsx could not be written (issue 10).
        if (c.text.length > EXCEL_MAX_CELL_CHARS)
          throw cellTooLong(path, file, r.rowNumber, columnLetter(c.index), header[c.index] ?? '', c.text.length);
        values[c.index] = c.text;
        if (c.note) {
          notes ??= new Array<CellNote | undefined>(k).fill(undefined);
          notes[c.index] = c.note;
        }
      }
      if (limits.maxRows !== undefined && ++dataRows > limits.maxRows) throw tooManyRows(path, r.rowNumber, limits.maxRows);
      return notes ? { rowNumber: r.rowNumber, values, notes } : { rowNumber: r.rowNumber, values };
    }
  };

  // Groups of CHUNK_ROWS: exceljs hands over one row per await anyway, but the engine then waits once a group.
  async function* chunks(): AsyncGenerator<RawRow[]> {
    let chunk: RawRow[] = [];
    try {
      for (let row = await nextDataRow(); row; row = await nextDataRow()) {
        chunk.push(row);
        if (chunk.length >= CHUNK_ROWS) {
          yield chunk;
          chunk = [];
        }
      }
      // Let exceljs finish the (tiny) rest of the synthetic archive.
      await guarded(books.next()).catch(() => undefined);
    } catch (err) {
      // The rows read before a failure are handed over first.
      if (chunk.length > 0) yield chunk;
      throw wrap(err);
    } finally {
      await close();
    }
    if (chunk.length > 0) yield chunk;
  }

  return {
    format: 'xlsx',
    sheetName: sheet.name,
    header,
    rows: rowsOf(chunks()),
    chunks: chunks(),
    close,
  };
}
