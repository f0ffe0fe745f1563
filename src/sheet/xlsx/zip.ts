/**
 * The ZIP side of the XLSX reader: the central directory read from the end of the file, each entry inflated
 * with its declared size enforced (a lying header is how zip bombs get past size checks), and the minimal
 * archive rebuilt for exceljs from the few parts it needs, in the order it needs them.
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SheetError } from '../types.ts';

// ---------------------------------------------------------------------------------------------------------
// ZIP central directory

export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const MAX_CENTRAL_DIRECTORY_BYTES = 16 * 1024 * 1024;

/** The file is not a ZIP archive the reader can trust: the reader says "not a readable XLSX file". */
export class NotXlsx extends Error {}

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
export async function dataOffset(fh: FileHandle, entry: ZipEntry, size: number): Promise<number> {
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
export async function* inflateEntry(
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

export async function readWholeEntry(path: string, fh: FileHandle, entry: ZipEntry, size: number): Promise<Buffer> {
  if (entry.uncompressedSize > MAX_METADATA_BYTES) throw new NotXlsx(`${entry.name} is implausibly large`);
  const chunks: Buffer[] = [];
  for await (const c of inflateEntry(path, entry, await dataOffset(fh, entry, size))) chunks.push(c);
  return Buffer.concat(chunks);
}

/** First `max` uncompressed bytes of an entry (for the `<sst count=…>` attribute). */
export async function readEntryHead(path: string, fh: FileHandle, entry: ZipEntry, size: number, max: number): Promise<Buffer> {
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
// The minimal ZIP stream handed to exceljs

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

/** The largest part the minimal archive stores: its headers have 32-bit sizes (0xFFFFFFFF means ZIP64). */
const MAX_STORED_BYTES = 0xfffffffe;

/** An entry of the original file, stored in the minimal archive under the name exceljs expects. */
export interface StoredPart {
  as: string;
  entry: ZipEntry;
  start: number;
  /** Sees every inflated chunk (the shared-string count). */
  inspect?: (chunk: Buffer) => void;
  /** Changes the inflated bytes; the part's size is then announced after it, in a data descriptor. */
  rewrite?: (src: AsyncIterable<Buffer>) => AsyncIterable<Buffer>;
}

/** A part of the minimal archive: an entry of the original, or bytes made up here (an empty part). */
export type RebuiltPart = StoredPart | { as: string; bytes: Buffer };

/** `entry` as a part of the minimal archive; undefined when the file has no such part or it is empty. */
export async function storedPart(
  fh: FileHandle,
  size: number,
  entry: ZipEntry | undefined,
  as: string,
  hooks: Pick<StoredPart, 'inspect' | 'rewrite'> = {},
): Promise<StoredPart | undefined> {
  if (!entry || entry.uncompressedSize === 0) return undefined;
  if (entry.uncompressedSize > MAX_STORED_BYTES) throw new NotXlsx(`${entry.name} is too large`);
  return { as, entry, start: await dataOffset(fh, entry, size), ...hooks };
}

/** The minimal archive: every part stored (not compressed), in the order given, and an end record. */
export async function* minimalZip(path: string, parts: readonly RebuiltPart[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if ('bytes' in part) {
      yield localHeader(part.as, part.bytes.length, 0);
      yield part.bytes;
      continue;
    }
    if (part.rewrite) {
      yield localHeaderSizesLater(part.as);
      let written = 0;
      for await (const chunk of part.rewrite(inflateEntry(path, part.entry, part.start, part.inspect))) {
        written += chunk.length;
        if (written > MAX_STORED_BYTES) throw new NotXlsx(`${part.entry.name} is too large`);
        yield chunk;
      }
      yield dataDescriptor(written);
      continue;
    }
    yield localHeader(part.as, part.entry.uncompressedSize, part.entry.crc);
    yield* inflateEntry(path, part.entry, part.start, part.inspect);
  }
  yield endOfCentralDirectory();
}
