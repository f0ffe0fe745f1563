/**
 * CSV reader (DESIGN §5): encoding and delimiter detection, then a csv-parse stream.
 *
 * Fast path: UTF-8 files (the common case) are fed to csv-parse as raw bytes, exactly as a bare
 * `createReadStream(file).pipe(parse())` would; only the other encodings go through iconv-lite.
 * Records are pulled with `parser.read()` and handed over in groups (`chunks`, one promise per group of
 * rows csv-parse already has), so reading a million rows costs csv-parse's time and little more.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { basename } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { parse, type Parser } from 'csv-parse';
import iconv from 'iconv-lite';
import { columnLetter } from './headers.ts';
import { EXCEL_MAX_CELL_CHARS, SheetError, cellTooLong, escapeControlCharacters, rowsOf, tooManyRows, type OpenedSheet, type RawRow, type SheetLimits } from './types.ts';

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

const HEAD_BYTES = 64 * 1024;
const SCAN_CHUNK = 1024 * 1024;
/** Longest record accepted (a payout row is a few hundred bytes). */
const MAX_RECORD_BYTES = 1024 * 1024;
/** Rows handed over at a time (see nextChunk). */
const CHUNK_ROWS = 1000;

interface Detected {
  encoding: CsvEncoding;
  /** bytes of BOM at the start of the file */
  bomLength: number;
}

/** BOM first; then UTF-16 without BOM (NUL bytes in every other position); then strict UTF-8 of the whole file; else Windows-1252. */
export async function detectEncoding(fh: FileHandle, head: Buffer, size: number): Promise<Detected> {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  const utf16 = sniffUtf16(head);
  if (utf16) return { encoding: utf16, bomLength: 0 };
  if (await isWholeFileUtf8(fh, head, size)) return { encoding: 'utf-8', bomLength: 0 };
  return { encoding: 'windows-1252', bomLength: 0 };
}

/** Text in UTF-16 without a BOM: mostly-ASCII text has a zero byte in every second position. */
function sniffUtf16(head: Buffer): CsvEncoding | undefined {
  const n = Math.min(head.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZero++;
    if (head[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > pairs * 0.3 && evenZero < pairs * 0.05) return 'utf-16le';
  if (evenZero > pairs * 0.3 && oddZero < pairs * 0.05) return 'utf-16be';
  return undefined;
}

/**
 * Length of the prefix of `b` that ends on a character boundary: a multi-byte sequence cut by the chunk
 * end is carried over to the next chunk.
 */
function completePrefix(b: Buffer): number {
  const len = b.length;
  for (let i = len - 1; i >= 0 && i >= len - 4; i--) {
    const c = b[i]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return i + need > len ? i : len;
  }
  return len;
}

/** Strict UTF-8 check of the whole file (simdutf via buffer.isUtf8: a few ms per 100 MB from the page cache). */
async function isWholeFileUtf8(fh: FileHandle, head: Buffer, size: number): Promise<boolean> {
  if (size <= head.length) {
    return isUtf8(head);
  }
  const buf = Buffer.allocUnsafe(SCAN_CHUNK + 4);
  let carry = 0; // bytes of an incomplete sequence kept at the start of buf
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, carry, SCAN_CHUNK, pos);
    if (bytesRead === 0) return carry === 0;
    pos += bytesRead;
    const filled = carry + bytesRead;
    const chunk = buf.subarray(0, filled);
    const cut = completePrefix(chunk);
    if (!isUtf8(chunk.subarray(0, cut))) return false;
    carry = filled - cut;
    if (carry > 0) buf.copy(buf, 0, cut, filled);
  }
}

/** Delimiter of the header line: the most frequent of `,` `;` tab outside quotes; `,` if none. */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  let comma = 0;
  let semi = 0;
  let tab = 0;
  let quoted = false;
  let seenContent = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      quoted = !quoted;
      seenContent = true;
      continue;
    }
    if (quoted) continue;
    if (ch === 0x0a || ch === 0x0d) {
      // Leading blank lines are skipped (the header is the first non-blank record).
      if (seenContent) break;
      continue;
    }
    if (ch === 0x2c) comma++;
    else if (ch === 0x3b) semi++;
    else if (ch === 0x09) tab++;
    else if (ch !== 0x20 && ch !== 0xfeff) seenContent = true;
  }
  if (semi > comma && semi >= tab) return ';';
  if (tab > comma && tab > semi) return '\t';
  return ',';
}

function decodeHead(head: Buffer, d: Detected): string {
  const bytes = head.subarray(d.bomLength);
  if (d.encoding === 'utf-8') return bytes.toString('utf8');
  return iconv.decode(bytes, d.encoding, { stripBOM: true });
}

function isBlankRecord(rec: string[]): boolean {
  for (let i = 0; i < rec.length; i++) {
    const v = rec[i]!;
    if (v.length !== 0 && v.trim().length !== 0) return false;
  }
  return true;
}

/** 1-based index of the last non-blank cell. */
function usedLength(rec: string[]): number {
  for (let i = rec.length - 1; i >= 0; i--) {
    const v = rec[i]!;
    if (v.length !== 0 && v.trim().length !== 0) return i + 1;
  }
  return 0;
}

function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = (e.message ?? String(err)).replace(/\s+/g, ' ');
  return e.code ? `CSV syntax error (${e.code}): ${msg}` : `cannot read: ${msg}`;
}

/**
 * Pulls records from csv-parse one by one. A record is a row; every record advances the row number
 * (so a blank line is counted, and a quoted newline is not), blank records are skipped.
 * Listeners are attached once, before anything is read, so no error or end can slip by unheard.
 */
class CsvRowReader {
  private readonly parser: Parser;
  private readonly file: string;
  private readonly maxRows: number | undefined;
  private readonly onDone: () => void;
  private recordNo = 0;
  private dataRows = 0;
  private headerLength = 0;
  private header: string[] = [];
  private ended = false;
  private finished = false;
  private failure: SheetError | undefined;
  private wake: (() => void) | undefined;
  /** A row's failure held back until the rows read before it are handed over. */
  private pending: unknown;

  constructor(parser: Parser, file: string, maxRows: number | undefined, onDone: () => void) {
    this.parser = parser;
    this.file = file;
    this.maxRows = maxRows;
    this.onDone = onDone;
    parser.on('readable', this.signal);
    parser.on('end', () => {
      this.ended = true;
      this.signal();
    });
    parser.on('error', (err) => {
      const row = this.recordNo + 1;
      this.fail(new SheetError(`row ${row}: ${describeParseError(err)}`, this.file, row));
    });
  }

  private readonly signal = (): void => {
    const w = this.wake;
    if (w) {
      this.wake = undefined;
      w();
    }
  };

  private waitForData(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  fail(err: SheetError): void {
    if (!this.failure && !this.finished) this.failure = err;
    this.signal();
  }

  /** Reads up to the first non-blank record: the header. Returns its trimmed cells and row number. */
  async readHeader(): Promise<{ header: string[]; rowNumber: number } | undefined> {
    for (;;) {
      const rec = this.parser.read() as string[] | null;
      if (rec !== null) {
        this.recordNo++;
        if (isBlankRecord(rec)) continue;
        const header = rec.map((h) => escapeControlCharacters(h.trim()));
        while (header.length > 0 && header[header.length - 1] === '') header.pop();
        this.headerLength = header.length;
        this.header = header;
        return { header, rowNumber: this.recordNo };
      }
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await this.waitForData();
    }
  }

  /**
   * Rows in groups: every row csv-parse has ready (at most CHUNK_ROWS), one promise per group. A row that
   * fails ends its group; the failure comes with the next call, so no row read before it is lost.
   */
  async nextChunk(): Promise<RawRow[] | undefined> {
    for (;;) {
      if (this.pending) {
        const failure = this.pending;
        this.pending = undefined;
        this.finish();
        throw failure;
      }
      const chunk: RawRow[] = [];
      try {
        while (chunk.length < CHUNK_ROWS) {
          const row = this.pull();
          if (!row) break;
          chunk.push(row);
        }
      } catch (err) {
        if (chunk.length === 0) {
          this.finish();
          throw err;
        }
        this.pending = err;
      }
      if (chunk.length > 0) return chunk;
      if (this.failure) {
        this.finish();
        throw this.failure;
      }
      if (this.ended || this.finished) {
        this.finish();
        return undefined;
      }
      await this.waitForData();
    }
  }

  async *chunks(): AsyncGenerator<RawRow[]> {
    try {
      for (let c = await this.nextChunk(); c; c = await this.nextChunk()) yield c;
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onDone();
  }

  /** Next non-blank record already parsed, or undefined when csv-parse has none buffered. */
  private pull(): RawRow | undefined {
    if (this.failure || this.finished) return undefined;
    const k = this.headerLength;
    for (;;) {
      const rec = this.parser.read() as string[] | null;
      if (rec === null) return undefined;
      const rowNumber = ++this.recordNo;
      if (isBlankRecord(rec)) continue;
      if (rec.length !== k) {
        if (rec.length > k) {
          const used = usedLength(rec);
          if (used > k) {
            throw new SheetError(`row ${rowNumber} has ${used} cells, header has ${k}`, this.file, rowNumber);
          }
          rec.length = k;
        } else {
          while (rec.length < k) rec.push('');
        }
      }
      if (this.maxRows !== undefined && ++this.dataRows > this.maxRows) throw tooManyRows(this.file, rowNumber, this.maxRows);
      this.checkCellLengths(rec, rowNumber);
      return { rowNumber, values: rec };
    }
  }

  /** A cell longer than Excel holds would make results.xlsx impossible to write (issue 10). A plain loop: this runs per cell. */
  private checkCellLengths(rec: string[], rowNumber: number): void {
    for (let i = 0; i < rec.length; i++) {
      if (rec[i]!.length > EXCEL_MAX_CELL_CHARS)
        throw cellTooLong(this.file, basename(this.file), rowNumber, columnLetter(i), this.header[i] ?? '', rec[i]!.length);
    }
  }
}

export async function openCsv(path: string, size: number, limits: SheetLimits): Promise<OpenedSheet> {
  const file = basename(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new SheetError(`${file} cannot be read: ${(err as Error).message}`, path);
  }
  let detected: Detected;
  let head: Buffer;
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, Math.max(size, 1)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
    if (head.length === 0) throw new SheetError(`${file} is empty`, path);
    detected = await detectEncoding(fh, head, size);
  } catch (err) {
    if (err instanceof SheetError) throw err;
    throw new SheetError(`${file} cannot be read: ${(err as Error).message}`, path);
  } finally {
    await fh.close().catch(() => undefined);
  }

  const headText = decodeHead(head, detected);
  if (headText.trim() === '' && size <= head.length) throw new SheetError(`${file} is empty`, path);
  // Text never holds NUL or most other control characters once decoded: this is a binary file (an image,
  // a compressed file…) named like a sheet, not a CSV with odd columns.
  if (/[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/.test(headText))
    throw new SheetError(`${file} is a binary file, not a CSV text sheet`, path);
  const delimiter = detectDelimiter(headText);

  // 256 KB reads (not 64 KB): a quarter of the reads and of the parser's stream hand-offs for a large sheet.
  const input: ReadStream = createReadStream(path, { start: detected.bomLength, highWaterMark: 256 * 1024 });
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: false,
    // An unclosed quote would otherwise swallow the rest of the file into one field, in memory.
    max_record_size: MAX_RECORD_BYTES,
  });
  let decoder: Readable | undefined;

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    input.unpipe();
    input.destroy();
    decoder?.destroy();
    parser.destroy();
  };
  const rows = new CsvRowReader(parser, path, limits.maxRows, () => {
    void close();
  });

  // pipe() does not forward errors: a read or decode error is handed to the parser, which reports it.
  input.on('error', (err) => parser.destroy(err));
  if (detected.encoding === 'utf-8') {
    input.pipe(parser);
  } else {
    const d = iconv.decodeStream(detected.encoding, { stripBOM: true }) as unknown as Transform;
    decoder = d;
    d.on('error', (err: Error) => parser.destroy(err));
    input.pipe(d);
    d.pipe(parser);
  }

  let first: { header: string[]; rowNumber: number } | undefined;
  try {
    first = await rows.readHeader();
  } catch (err) {
    await close();
    throw err instanceof SheetError ? new SheetError(`${file}: ${err.message}`, path, err.row) : err;
  }
  if (!first) {
    await close();
    throw new SheetError(`${file} is empty`, path);
  }
  for (let i = 0; i < first.header.length; i++) {
    const title = first.header[i]!;
    if (title.length > EXCEL_MAX_CELL_CHARS) {
      await close();
      throw cellTooLong(path, file, first.rowNumber, columnLetter(i), '', title.length);
    }
  }

  return {
    format: 'csv',
    encoding: detected.encoding,
    delimiter,
    header: first.header,
    rows: rowsOf(rows.chunks()),
    chunks: rows.chunks(),
    close,
  };
}
