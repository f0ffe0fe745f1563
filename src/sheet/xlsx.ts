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
 * So before exceljs sees a byte, this module reads the central directory at the end of the file, checks
 * the caps (sum of declared uncompressed sizes, shared-string count), resolves the sheet to read from
 * workbook.xml and its rels, and then hands exceljs a small synthetic ZIP stream holding only
 * workbook.xml, its rels, styles.xml, sharedStrings.xml and the chosen sheet, in that order, each inflated
 * here with its real size enforced against the declared one.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import ExcelJS from 'exceljs';
import { columnLetter } from './headers.ts';
import { SheetError, type CellNote, type OpenedSheet, type RawRow, type SheetLimits } from './types.ts';

// ---------------------------------------------------------------------------------------------------------
// ZIP central directory

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const MAX_CENTRAL_DIRECTORY_BYTES = 16 * 1024 * 1024;

class NotXlsx extends Error {}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NotXlsx('ZIP64 field out of range');
  return Number(v);
}

/** Reads the end-of-central-directory record (and its ZIP64 variant) and every central directory entry. */
export async function readZipDirectory(fh: FileHandle, size: number): Promise<Map<string, ZipEntry>> {
  if (size < 22) throw new NotXlsx('too short for a ZIP archive');
  const tailLength = Math.min(size, 22 + 0xffff);
  const tailStart = size - tailLength;
  const tail = await readAt(fh, tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50 && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new NotXlsx('no ZIP end-of-central-directory record');

  let entryCount = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const eocdPosition = tailStart + eocd;

  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the locator sits right before the classic record.
    if (eocd < 20 || tail.readUInt32LE(eocd - 20) !== 0x07064b50) throw new NotXlsx('missing ZIP64 locator');
    const z64Offset = u64(tail, eocd - 20 + 8);
    const z64 = await readAt(fh, z64Offset, 56);
    if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) throw new NotXlsx('bad ZIP64 end record');
    entryCount = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new NotXlsx('central directory too large');
  if (cdOffset + cdSize > eocdPosition) throw new NotXlsx('central directory out of bounds');

  const cd = await readAt(fh, cdOffset, cdSize);
  if (cd.length !== cdSize) throw new NotXlsx('central directory truncated');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < entryCount; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new NotXlsx('bad central directory entry');
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let uncompressedSize = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new NotXlsx('bad central directory entry');
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // ZIP64 extended information: only the fields whose classic value is 0xFFFFFFFF are present, in order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const qEnd = q + len;
        if (uncompressedSize === 0xffffffff && q + 8 <= qEnd) { uncompressedSize = u64(cd, q); q += 8; }
        if (compressedSize === 0xffffffff && q + 8 <= qEnd) { compressedSize = u64(cd, q); q += 8; }
        if (localHeaderOffset === 0xffffffff && q + 8 <= qEnd) { localHeaderOffset = u64(cd, q); q += 8; }
      }
      e += 4 + len;
    }
    if (entries.has(name)) throw new NotXlsx(`duplicate ZIP entry ${name}`);
    entries.set(name, { name, flags, method, crc, compressedSize, uncompressedSize, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** Offset of an entry's data: its local header is re-read because its name/extra lengths may differ. */
async function dataOffset(fh: FileHandle, entry: ZipEntry, size: number): Promise<number> {
  const h = await readAt(fh, entry.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) throw new NotXlsx(`bad local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  if (start + entry.compressedSize > size) throw new NotXlsx(`${entry.name} runs past the end of the file`);
  return start;
}

/**
 * The entry's uncompressed bytes as a stream of chunks. The output may not exceed the declared size (a
 * lying header is how zip bombs get past size checks), and must reach it (else the archive is corrupt).
 * `inspect` sees every chunk (used to count shared strings as they pass).
 */
async function* inflateEntry(
  path: string,
  entry: ZipEntry,
  start: number,
  inspect?: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  if (entry.flags & 0x1) throw new NotXlsx(`${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) throw new NotXlsx(`${entry.name} uses unsupported compression ${entry.method}`);
  if (entry.compressedSize === 0) {
    if (entry.uncompressedSize !== 0) throw new NotXlsx(`${entry.name} is truncated`);
    return;
  }
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1 });
  const source: Readable = entry.method === 8 ? pipeline(raw, createInflateRaw(), () => undefined) : raw;
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > entry.uncompressedSize) {
        throw new NotXlsx(`${entry.name} inflates to more than its declared ${entry.uncompressedSize} bytes`);
      }
      inspect?.(chunk);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof NotXlsx || err instanceof SheetError) throw err;
    throw new NotXlsx(`${entry.name}: ${(err as Error).message}`);
  } finally {
    raw.destroy();
    source.destroy();
  }
  if (total !== entry.uncompressedSize) throw new NotXlsx(`${entry.name} is truncated`);
}

/** workbook.xml and the rels parts are read whole; real ones are a few KB (a few MB with many names). */
const MAX_METADATA_BYTES = 32 * 1024 * 1024;

async function readWholeEntry(path: string, fh: FileHandle, entry: ZipEntry, size: number): Promise<Buffer> {
  if (entry.uncompressedSize > MAX_METADATA_BYTES) throw new NotXlsx(`${entry.name} is implausibly large`);
  const chunks: Buffer[] = [];
  for await (const c of inflateEntry(path, entry, await dataOffset(fh, entry, size))) chunks.push(c);
  return Buffer.concat(chunks);
}

/** First `max` uncompressed bytes of an entry (for the `<sst count=…>` attribute). */
async function readEntryHead(path: string, fh: FileHandle, entry: ZipEntry, size: number, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const it = inflateEntry(path, entry, await dataOffset(fh, entry, size));
  try {
    for await (const c of it) {
      chunks.push(c);
      total += c.length;
      if (total >= max) break;
    }
  } finally {
    await it.return(undefined);
  }
  return Buffer.concat(chunks).subarray(0, max);
}

// ---------------------------------------------------------------------------------------------------------
// The few bits of workbook XML needed to pick the sheet

function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(tag))) out.set(m[1]!, decodeXml(m[2] ?? m[3] ?? ''));
  return out;
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

interface Relationship {
  type: string;
  target: string;
}

/** rId -> relationship, with targets resolved to archive paths relative to `baseDir`. */
function parseRels(xml: string, baseDir: string): Map<string, Relationship> {
  const rels = new Map<string, Relationship>();
  for (const m of xml.matchAll(/<(?:[\w.-]+:)?Relationship\b[^>]*>/g)) {
    const a = attributes(m[0]);
    const id = a.get('Id');
    const target = a.get('Target');
    if (!id || !target || a.get('TargetMode') === 'External') continue;
    const resolved = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(baseDir, target));
    rels.set(id, { type: a.get('Type') ?? '', target: resolved });
  }
  return rels;
}

interface SheetInfo {
  name: string;
  state: string;
  path: string;
}

interface WorkbookInfo {
  workbookPath: string;
  relsPath: string;
  sheets: SheetInfo[];
  sharedStringsPath?: string;
  stylesPath?: string;
  date1904: boolean;
}

async function readWorkbookInfo(path: string, fh: FileHandle, size: number, entries: Map<string, ZipEntry>): Promise<WorkbookInfo> {
  const text = async (name: string) => {
    const e = entries.get(name);
    return e ? (await readWholeEntry(path, fh, e, size)).toString('utf8') : undefined;
  };
  let workbookPath = 'xl/workbook.xml';
  const rootRels = await text('_rels/.rels');
  if (rootRels) {
    for (const rel of parseRels(rootRels, '').values()) {
      if (rel.type.endsWith('/officeDocument') && entries.has(rel.target)) workbookPath = rel.target;
    }
  }
  const workbookXml = await text(workbookPath);
  if (workbookXml === undefined) throw new NotXlsx('no workbook part (is this an Excel workbook?)');
  const dir = posix.dirname(workbookPath);
  const relsPath = posix.join(dir, '_rels', `${posix.basename(workbookPath)}.rels`);
  const relsXml = await text(relsPath);
  if (relsXml === undefined) throw new NotXlsx('no workbook relationships part');
  const rels = parseRels(relsXml, dir);

  const sheets: SheetInfo[] = [];
  for (const m of workbookXml.matchAll(/<(?:[\w.-]+:)?sheet\s[^>]*>/g)) {
    const a = attributes(m[0]);
    let rid: string | undefined;
    for (const [k, v] of a) if (k.includes(':') && localName(k) === 'id') rid = v;
    const rel = rid ? rels.get(rid) : undefined;
    if (!rel || !rel.type.endsWith('/worksheet') || !entries.has(rel.target)) continue; // chart sheets etc.
    sheets.push({ name: a.get('name') ?? '', state: a.get('state') ?? 'visible', path: rel.target });
  }
  let sharedStringsPath: string | undefined;
  let stylesPath: string | undefined;
  for (const rel of rels.values()) {
    if (rel.type.endsWith('/sharedStrings') && entries.has(rel.target)) sharedStringsPath = rel.target;
    if (rel.type.endsWith('/styles') && entries.has(rel.target)) stylesPath = rel.target;
  }
  const pr = /<(?:[\w.-]+:)?workbookPr\b[^>]*>/.exec(workbookXml);
  const d1904 = pr ? attributes(pr[0]).get('date1904') : undefined;
  return {
    workbookPath,
    relsPath,
    sheets,
    sharedStringsPath,
    stylesPath,
    date1904: d1904 === '1' || d1904 === 'true',
  };
}

/** The worksheet named `Payouts` (any case) if there is one, else the first visible worksheet. */
export function chooseSheet(sheets: SheetInfo[]): SheetInfo | undefined {
  return (
    sheets.find((s) => s.name.trim().toLowerCase() === 'payouts') ??
    sheets.find((s) => s.state === 'visible') ??
    sheets[0]
  );
}

// ---------------------------------------------------------------------------------------------------------
// The synthetic ZIP stream handed to exceljs

function localHeader(name: string, size: number, crc: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4); // version needed
  h.writeUInt16LE(0x0800, 6); // UTF-8 names; sizes known up front (no data descriptor)
  h.writeUInt16LE(0, 8); // stored
  h.writeUInt16LE(0, 10);
  h.writeUInt16LE(0x21, 12); // 1980-01-01
  h.writeUInt32LE(crc >>> 0, 14);
  h.writeUInt32LE(size, 18);
  h.writeUInt32LE(size, 22);
  h.writeUInt16LE(nameBytes.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, nameBytes]);
}

function endOfCentralDirectory(): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  return b;
}

/** Local header of an entry whose sizes follow its data in a data descriptor (flag bit 3). */
function localHeaderSizesLater(name: string): Buffer {
  const h = localHeader(name, 0, 0);
  h.writeUInt16LE(0x0808, 6);
  return h;
}

function dataDescriptor(size: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(0, 4); // crc: unzipper does not check it
  b.writeUInt32LE(size, 8);
  b.writeUInt32LE(size, 12);
  return b;
}

const AMP = Buffer.from('&amp;');
const AMP_ESCAPED = Buffer.from('&amp;amp;');

function escapeAmpIn(b: Buffer): Buffer {
  let i = b.indexOf(AMP);
  if (i < 0) return b;
  const parts: Buffer[] = [];
  let from = 0;
  while (i >= 0) {
    parts.push(b.subarray(from, i), AMP_ESCAPED);
    from = i + AMP.length;
    i = b.indexOf(AMP, from);
  }
  parts.push(b.subarray(from));
  return Buffer.concat(parts);
}

/**
 * exceljs's streaming worksheet reader runs `xmlDecode` over `t="str"` / `t="inlineStr"` cell text (and
 * string formula results) that the XML parser has already decoded, so a cell holding the text `R&amp;1`
 * comes out as `R&1`, `&lt;` as `<`. Those cells are what exceljs's own streaming writer produces with
 * `useSharedStrings: false`. Escaping every `&amp;` once more in the worksheet XML makes the second
 * decoding undo exactly the extra escaping. (Formula texts, which exceljs does not decode twice, are
 * decoded once in formulaCell.)
 */
export async function* escapeAmpersands(src: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  for await (const chunk of src) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    let keep = 0; // a possible `&amp;` cut at the chunk end waits for the next chunk
    for (let k = Math.min(AMP.length - 1, buf.length); k >= 1; k--) {
      if (buf.subarray(buf.length - k).equals(AMP.subarray(0, k))) {
        keep = k;
        break;
      }
    }
    carry = keep ? Buffer.from(buf.subarray(buf.length - keep)) : undefined;
    const body = keep ? buf.subarray(0, buf.length - keep) : buf;
    if (body.length) yield escapeAmpIn(body);
  }
  if (carry) yield carry;
}

/** Counts `<si>` elements in a byte stream split into arbitrary chunks. */
function sharedStringCounter(max: number, onTooMany: () => never): (chunk: Buffer) => void {
  let count = 0;
  let tail = Buffer.alloc(0);
  return (chunk) => {
    const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    let i = buf.indexOf('<si', 0, 'latin1');
    while (i >= 0 && i + 3 < buf.length) {
      const next = buf[i + 3];
      if (next === 0x3e || next === 0x2f || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d) {
        if (++count > max) onTooMany();
      }
      i = buf.indexOf('<si', i + 3, 'latin1');
    }
    // keep a possible `<si` cut at the chunk end
    const keep = i >= 0 ? buf.length - i : Math.min(3, buf.length);
    tail = Buffer.from(buf.subarray(buf.length - keep));
  };
}

const EMPTY_SST = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

// ---------------------------------------------------------------------------------------------------------
// Cell values

type ExcelRow = { number: number; eachCell(opt: { includeEmpty: boolean }, f: (cell: ExcelCell, col: number) => void): void };
type ExcelCell = { type: number | undefined; value: unknown; numFmt?: string; result?: unknown; formula?: string };

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

interface CellText {
  text: string;
  note?: CellNote;
}

function numberCell(n: number, numFmt: string | undefined): CellText {
  if (!Number.isFinite(n)) return { text: '', note: { kind: 'formula-error', text: String(n) } };
  const text = String(n);
  return { text, note: { kind: 'number', text, scientific: /e/i.test(text) || isScientificFormat(numFmt) } };
}

function dateCell(d: Date): CellText {
  const iso = isoDate(d);
  if (iso === undefined) return { text: '', note: { kind: 'formula-error', text: 'invalid date' } };
  return { text: iso, note: { kind: 'date', text: iso } };
}

function richText(v: { richText: { text?: string | null }[] }): string {
  return v.richText.map((r) => r.text ?? '').join('');
}

function formulaCell(result: unknown, rawFormula: string | undefined, numFmt: string | undefined, date1904: boolean): CellText {
  const formula = rawFormula?.replace(/&amp;/g, '&'); // undo escapeAmpersands
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
  if (typeof result === 'string') return { text: result };
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
      if (typeof v === 'string') return { text: v };
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
      return { text: typeof t === 'string' ? t : t && typeof t === 'object' && 'richText' in t ? richText(t as { richText: { text?: string }[] }) : '' };
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

interface ConvertedRow {
  rowNumber: number;
  /** column index (0-based) -> text / note; sparse */
  cells: { index: number; text: string; note?: CellNote }[];
  blank: boolean;
}

function convertRow(row: ExcelRow, date1904: boolean): ConvertedRow {
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
  const parts: { entry: ZipEntry; start: number; as: string; countStrings?: boolean }[] = [];
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
      const sst = entries.get(info.sharedStringsPath)!;
      if (sst.uncompressedSize > 0) {
        const head = (await readEntryHead(path, fh, sst, size, 64 * 1024)).toString('utf8');
        const tag = /<(?:[\w.-]+:)?sst\b[^>]*>/.exec(head);
        if (tag) {
          const a = attributes(tag[0]);
          const declared = Number(a.get('uniqueCount') ?? a.get('count') ?? '0');
          if (declared > limits.maxSharedStrings) {
            throw new SheetError(
              `${file} has too many distinct texts: ${declared} shared strings, the limit is ${limits.maxSharedStrings}`,
              path,
            );
          }
        }
      }
    }

    const add = async (p: string | undefined, as: string, countStrings = false) => {
      const entry = p ? entries.get(p) : undefined;
      if (!entry || entry.uncompressedSize === 0) return false;
      if (entry.uncompressedSize > 0xfffffffe) throw new NotXlsx(`${entry.name} is too large`);
      parts.push({ entry, start: await dataOffset(fh, entry, size), as, countStrings });
      return true;
    };
    await add(info.workbookPath, 'xl/workbook.xml');
    await add(info.relsPath, 'xl/_rels/workbook.xml.rels');
    await add(info.stylesPath, 'xl/styles.xml');
    await add(info.sharedStringsPath, 'xl/sharedStrings.xml', true);
    if (!(await add(sheet.path, 'xl/worksheets/sheet1.xml'))) throw new NotXlsx(`worksheet ${sheet.name} is empty`);
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

  const hasSharedStrings = parts.some((p) => p.countStrings);
  async function* synthetic(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      if (part.as === 'xl/worksheets/sheet1.xml' && !hasSharedStrings) {
        // Without a sharedStrings part exceljs would spool the sheet to a temp file: give it an empty one.
        yield localHeader('xl/sharedStrings.xml', EMPTY_SST.length, 0);
        yield EMPTY_SST;
      }
      if (part.as === 'xl/worksheets/sheet1.xml') {
        // Its size changes (see escapeAmpersands), so it is announced afterwards in a data descriptor.
        yield localHeaderSizesLater(part.as);
        let written = 0;
        for await (const chunk of escapeAmpersands(inflateEntry(path, part.entry, part.start))) {
          written += chunk.length;
          if (written > 0xfffffffe) throw new NotXlsx(`${part.entry.name} is too large`);
          yield chunk;
        }
        yield dataDescriptor(written);
        continue;
      }
      yield localHeader(part.as, part.entry.uncompressedSize, part.entry.crc);
      const inspect = part.countStrings
        ? sharedStringCounter(limits.maxSharedStrings, () => {
            throw new SheetError(
              `${file} has too many distinct texts: more than ${limits.maxSharedStrings} shared strings`,
              path,
            );
          })
        : undefined;
      yield* inflateEntry(path, part.entry, part.start, inspect);
    }
    yield endOfCentralDirectory();
  }
  const source = Readable.from(synthetic(), { objectMode: false });
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
    for (const c of h.cells) header[c.index] = c.text.trim();
    for (let i = 0; i < header.length; i++) header[i] ??= '';
    while (header.length > 0 && header[header.length - 1] === '') header.pop();
    if (header.length === 0) throw new SheetError(`${file} is empty (worksheet ${sheet.name} has no header row)`, path);
  } catch (err) {
    const e = wrap(err);
    await close();
    throw e;
  }

  const k = header.length;
  let dataRows = 0;
  async function* rows(): AsyncGenerator<RawRow> {
    try {
      for (;;) {
        const r = await nextRow();
        if (!r) break;
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
          values[c.index] = c.text;
          if (c.note) {
            notes ??= new Array<CellNote | undefined>(k).fill(undefined);
            notes[c.index] = c.note;
          }
        }
        if (limits.maxRows !== undefined && ++dataRows > limits.maxRows) {
          throw new SheetError(`more than ${limits.maxRows} rows`, path, r.rowNumber);
        }
        yield notes ? { rowNumber: r.rowNumber, values, notes } : { rowNumber: r.rowNumber, values };
      }
      // Let exceljs finish the (tiny) rest of the synthetic archive.
      await guarded(books.next()).catch(() => undefined);
    } catch (err) {
      throw wrap(err);
    } finally {
      await close();
    }
  }

  return {
    format: 'xlsx',
    sheetName: sheet.name,
    header,
    rows: rows(),
    close,
  };
}
