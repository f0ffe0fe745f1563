/**
 * The workbook XML the reader needs before exceljs sees a byte: which worksheet to read (workbook.xml and
 * its rels), the shared-strings cap (declared count, then every `<si>` counted as it passes), and the
 * worksheet bytes fixed for exceljs's double decoding of `&amp;`.
 */
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { NotXlsx, readEntryHead, readWholeEntry, type ZipEntry } from './zip.ts';

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

export interface SheetInfo {
  name: string;
  state: string;
  path: string;
}

export interface WorkbookInfo {
  workbookPath: string;
  relsPath: string;
  sheets: SheetInfo[];
  sharedStringsPath?: string;
  stylesPath?: string;
  date1904: boolean;
}

export async function readWorkbookInfo(path: string, fh: FileHandle, size: number, entries: Map<string, ZipEntry>): Promise<WorkbookInfo> {
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
// Shared strings: exceljs caches every one in memory, so their number is capped

/** The count `<sst uniqueCount=… count=…>` declares (read from the part's first 64 KB), if it declares one. */
export async function declaredSharedStrings(path: string, fh: FileHandle, entry: ZipEntry, size: number): Promise<number | undefined> {
  if (entry.uncompressedSize === 0) return undefined;
  const head = (await readEntryHead(path, fh, entry, size, 64 * 1024)).toString('utf8');
  const tag = /<(?:[\w.-]+:)?sst\b[^>]*>/.exec(head);
  if (!tag) return undefined;
  const a = attributes(tag[0]);
  return Number(a.get('uniqueCount') ?? a.get('count') ?? '0');
}

/** Counts `<si>` elements in a byte stream split into arbitrary chunks. */
export function sharedStringCounter(max: number, onTooMany: () => never): (chunk: Buffer) => void {
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

/** What exceljs gets when the workbook has no sharedStrings part (without one it spools the sheet to a temp file). */
export const EMPTY_SST = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

// ---------------------------------------------------------------------------------------------------------
// Worksheet XML as exceljs needs it

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
