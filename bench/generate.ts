// Generates valid Vexora Argentina payout sheets for the benchmarks (bench/ingest.ts, bench/pacing.ts).
//
// Columns: amount,currency,account_number,mobile,email,first_name,last_name,note (no reference column, so
// the engine derives every merchant reference from the batch and row number). Every row is distinct
// (account number, mobile and email carry the row index); about 5% of rows vary in name, amount and note.
// Account numbers always end in 1, so none hits the sandbox's outcome rules (…0002 fail, …0003 stuck, …).
//
// Big files are cached in os.tmpdir() (never in the repository): a sidecar `<file>.meta.json` records the
// generator version, row count, byte size and SHA-256, and the file is reused when its size still matches.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../src/sandbox/faults.ts';

export const GENERATOR_VERSION = 1;
export const HEADER = 'amount,currency,account_number,mobile,email,first_name,last_name,note';

const FIRST = ['Ana', 'Lucía', 'Martín', 'Sofía', 'Juan Pablo', 'Valentina', 'Mateo', 'Camila', 'Santiago', 'Florencia'];
const LAST = ['Pérez', 'González', 'Rodríguez', 'Fernández', 'López', 'Martínez', 'García', 'Sánchez', 'Romero', 'Díaz'];
const NOTES = ['November payout', 'Bonus, Q4', 'Refund "order 77"', 'Commission', 'Adjustment'];

/** Small deterministic PRNG, so the same rows come out on every run. */
const rng = seededRandom;

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Row i (0-based) of the sheet, as a CSV line without the newline. */
export function makeRow(i: number, rand: () => number): string {
  return makeCells(i, rand).map(csvCell).join(',');
}

/** Row i (0-based) of the sheet as its cell texts (the same random draws as makeRow). */
export function makeCells(i: number, rand: () => number): string[] {
  const varied = rand() < 0.05;
  const amount = varied ? String(100 + Math.floor(rand() * 250_000)) : '1500';
  const first = varied ? FIRST[Math.floor(rand() * FIRST.length)]! : 'Ana';
  const last = varied ? LAST[Math.floor(rand() * LAST.length)]! : 'Perez';
  const note = varied ? NOTES[Math.floor(rand() * NOTES.length)]! : 'November payout';
  // CBU-like 22 digits: bank prefix + row index + a final 1.
  const account = `0000003${String(i).padStart(14, '0')}1`;
  const mobile = `09${String(i % 100_000_000).padStart(8, '0')}`;
  const email = `payee${i}@example.com`;
  return [amount, 'ARS', account, mobile, email, first, last, note];
}

export interface GeneratedSheet {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  /** True when an existing file was reused. */
  cached: boolean;
  /** Seconds spent writing it (0 when cached). */
  seconds: number;
}

interface Meta {
  version: number;
  rows: number;
  bytes: number;
  sha256: string;
}

/** Writes `rows` rows to `file` (through a temp name, then renamed) unless a matching cached copy exists. */
export async function ensureSheet(file: string, rows: number, seed = 20261121): Promise<GeneratedSheet> {
  const metaFile = `${file}.meta.json`;
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as Meta;
    const size = fs.statSync(file).size;
    if (meta.version === GENERATOR_VERSION && meta.rows === rows && meta.bytes === size)
      return { file, rows, bytes: size, sha256: meta.sha256, cached: true, seconds: 0 };
  } catch {
    // no cache (or a broken one): generate
  }
  const started = performance.now();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.part`;
  const out = fs.createWriteStream(tmp);
  const hash = createHash('sha256');
  const rand = rng(seed);
  let bytes = 0;
  const write = async (s: string): Promise<void> => {
    const b = Buffer.from(s, 'utf8');
    hash.update(b);
    bytes += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  await write(HEADER + '\n');
  const BLOCK = 10_000;
  for (let i = 0; i < rows; i += BLOCK) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(rows, i + BLOCK); j++) lines.push(makeRow(j, rand));
    await write(lines.join('\n') + '\n');
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  fs.renameSync(tmp, file);
  const sha256 = hash.digest('hex');
  fs.writeFileSync(metaFile, JSON.stringify({ version: GENERATOR_VERSION, rows, bytes, sha256 } satisfies Meta));
  return { file, rows, bytes, sha256, cached: false, seconds: (performance.now() - started) / 1000 };
}

/**
 * The same rows as ensureSheet, as an XLSX workbook written with exceljs's streaming WorkbookWriter
 * (useSharedStrings: false, so every text is an inline string; no styles). The amount is a number cell (as a
 * spreadsheet holds it), every other column a text cell (account numbers and mobiles keep their leading zeros).
 * Cached like the CSV (sidecar meta, reused while the size matches).
 */
export async function ensureXlsxSheet(file: string, rows: number, seed = 20261121): Promise<GeneratedSheet> {
  const metaFile = `${file}.meta.json`;
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as Meta;
    const size = fs.statSync(file).size;
    if (meta.version === GENERATOR_VERSION && meta.rows === rows && meta.bytes === size)
      return { file, rows, bytes: size, sha256: meta.sha256, cached: true, seconds: 0 };
  } catch {
    // no cache: generate
  }
  const started = performance.now();
  const { default: ExcelJS } = await import('exceljs');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.part.xlsx`;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: tmp, useSharedStrings: false, useStyles: false });
  const ws = wb.addWorksheet('Payouts');
  ws.addRow(HEADER.split(',')).commit();
  const rand = rng(seed);
  for (let i = 0; i < rows; i++) {
    const cells: (string | number)[] = makeCells(i, rand);
    cells[0] = Number(cells[0]);
    ws.addRow(cells).commit();
    // Let the zip stream drain now and then (the writer buffers otherwise).
    if (i % 10_000 === 9_999) await new Promise((r) => setImmediate(r));
  }
  ws.commit();
  await wb.commit();
  fs.renameSync(tmp, file);
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  const bytes = fs.statSync(file).size;
  const sha256 = hash.digest('hex');
  fs.writeFileSync(metaFile, JSON.stringify({ version: GENERATOR_VERSION, rows, bytes, sha256 } satisfies Meta));
  return { file, rows, bytes, sha256, cached: false, seconds: (performance.now() - started) / 1000 };
}

/** Default location of a generated XLSX sheet: os.tmpdir()/paybatch-bench/vexora-ar-<rows>.xlsx */
export function xlsxSheetPath(rows: number): string {
  return path.join(os.tmpdir(), 'paybatch-bench', `vexora-ar-${rows}.xlsx`);
}

/** Default location of a generated sheet: os.tmpdir()/paybatch-bench/vexora-ar-<rows>.csv */
export function sheetPath(rows: number): string {
  return path.join(os.tmpdir(), 'paybatch-bench', `vexora-ar-${rows}.csv`);
}

// `node --import tsx bench/generate.ts [rows] [file]`
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const file = process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : sheetPath(rows);
  const g = file.endsWith('.xlsx') || process.argv.includes('--xlsx')
    ? await ensureXlsxSheet(file.endsWith('.xlsx') ? file : xlsxSheetPath(rows), rows)
    : await ensureSheet(file, rows);
  process.stdout.write(JSON.stringify(g) + '\n');
}
