import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { openSheet } from '../../src/sheet/open.ts';
import { escapeAmpersands } from '../../src/sheet/xlsx/index.ts';
import { SheetError, type OpenedSheet, type RawRow } from '../../src/sheet/types.ts';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-sheet-xlsx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nextPath = (ext = '.xlsx') => join(dir, `w${++n}${ext}`);

async function all(sheet: OpenedSheet): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const r of sheet.rows) out.push(r);
  return out;
}

async function sheetError(p: Promise<unknown>): Promise<SheetError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SheetError);
  return err as SheetError;
}

// ---- a minimal ZIP writer, for archives exceljs would never write --------------------------------------

interface ZipPart {
  name: string;
  data: string | Buffer;
  deflate?: boolean;
  /** lie about the uncompressed size in both headers */
  declaredSize?: number;
}

function zip(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const data = Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data);
    const body = p.deflate === false ? data : deflateRawSync(data);
    const name = Buffer.from(p.name);
    const size = p.declaredSize ?? data.length;
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(p.deflate === false ? 0 : 8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(p.deflate === false ? 0 : 8, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += lh.length + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(parts.length, 8);
  eocd.writeUInt16LE(parts.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** A hand-made workbook: one sheet (at a non-standard path), shared strings without count attributes. */
function handMadeWorkbook(opts: { strings: string[]; rowsXml: string; sstDeclaredSize?: number }): Buffer {
  const sst = `<sst ${NS}>${opts.strings.map((s) => `<si><t>${s}</t></si>`).join('')}</sst>`;
  return zip([
    { name: '_rels/.rels', data: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>` },
    { name: 'xl/worksheets/data.xml', data: `<worksheet ${NS}><sheetData>${opts.rowsXml}</sheetData></worksheet>` },
    { name: 'xl/sharedStrings.xml', data: sst, ...(opts.sstDeclaredSize !== undefined ? { declaredSize: opts.sstDeclaredSize } : {}) },
    { name: 'xl/workbook.xml', data: `<workbook ${NS}><sheets><sheet name="Data &amp; more" sheetId="1" r:id="rId1"/></sheets></workbook>` },
    { name: 'xl/_rels/workbook.xml.rels', data: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="/xl/worksheets/data.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>` },
  ]);
}

// ---- workbooks written by exceljs ------------------------------------------------------------------------

async function payoutWorkbook(): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const first = wb.addWorksheet('Instructions');
  first.addRow(['Fill in the Payouts sheet']);
  const ws = wb.addWorksheet('Payouts');
  ws.addRow(['Reference', 'Amount', 'Account Number', 'Date of Birth', 'Total', 'Lookup', 'Approved', 'Note', 'Email']);
  ws.addRow([
    'R1',
    12.5,
    '0012345',
    new Date(Date.UTC(1990, 4, 17)),
    { formula: 'B2*2', result: 25 },
    { error: '#N/A' },
    true,
    { richText: [{ text: 'rich ' }, { font: { bold: true }, text: 'text' }] },
    { text: 'mail me', hyperlink: 'mailto:a@example.com' },
  ]);
  // row 3 left empty
  ws.getRow(4).values = ['R2', 0.1, 8.8e17, null, { formula: 'B4*0', result: 0 }, { formula: 'A4&VLOOKUP(A4,X:Y,2,0)' }, false, '  spaced  '];
  ws.getCell('C4').numFmt = '0.00E+00';
  ws.getRow(5).values = ['R3', 7, 880123456789012345, null, { sharedFormula: 'E2', result: 14 }, { formula: 'A5&"-x"', result: 'R3-x &amp; <y>' }];
  const p = nextPath();
  await wb.xlsx.writeFile(p);
  return p;
}

describe('XLSX cell values', () => {
  let rows: RawRow[];
  let sheet: OpenedSheet;

  beforeAll(async () => {
    sheet = await openSheet(await payoutWorkbook());
    rows = await all(sheet);
  });

  it('reads the sheet named Payouts, not the first one', () => {
    expect(sheet.format).toBe('xlsx');
    expect(sheet.sheetName).toBe('Payouts');
    expect(sheet.header).toEqual(['Reference', 'Amount', 'Account Number', 'Date of Birth', 'Total', 'Lookup', 'Approved', 'Note', 'Email']);
  });

  it("numbers rows as Excel does, skipping the empty one", () => {
    expect(rows.map((r) => r.rowNumber)).toEqual([2, 4, 5]);
    for (const r of rows) expect(r.values).toHaveLength(9);
  });

  it('converts each kind of cell to text', () => {
    expect(rows[0]!.values).toEqual(['R1', '12.5', '0012345', '1990-05-17', '25', '', 'TRUE', 'rich text', 'mail me']);
    expect(rows[1]!.values).toEqual(['R2', '0.1', '880000000000000000', '', '0', '', 'FALSE', '  spaced  ', '']);
    // 880123456789012345 as Excel holds it: 15 significant digits (issue 9)
    expect(rows[2]!.values.slice(0, 6)).toEqual(['R3', '7', '880123456789012000', '', '14', 'R3-x &amp; <y>']);
  });

  it('keeps a text account number with its leading zero and no note', () => {
    expect(rows[0]!.values[2]).toBe('0012345');
    expect(rows[0]!.notes![2]).toBeUndefined();
  });

  it('notes numbers, flagging scientific notation from the number format', () => {
    expect(rows[0]!.notes![1]).toEqual({ kind: 'number', text: '12.5', scientific: false });
    expect(rows[1]!.notes![2]).toEqual({ kind: 'number', text: '880000000000000000', scientific: true });
    expect(rows[2]!.notes![2]).toMatchObject({ kind: 'number', scientific: false });
  });

  it('notes dates', () => {
    expect(rows[0]!.notes![3]).toEqual({ kind: 'date', text: '1990-05-17' });
  });

  it('uses cached formula results, including 0 and shared formulas', () => {
    expect(rows[0]!.notes![4]).toEqual({ kind: 'number', text: '25', scientific: false });
    expect(rows[1]!.values[4]).toBe('0');
    expect(rows[2]!.values[4]).toBe('14');
    expect(rows[2]!.values[5]).toBe('R3-x &amp; <y>'); // a string result, kept exactly
    expect(rows[2]!.notes![5]).toBeUndefined();
  });

  it('notes error values and formulas without a cached result', () => {
    expect(rows[0]!.notes![5]).toEqual({ kind: 'formula-error', text: '#N/A' });
    expect(rows[1]!.notes![5]).toEqual({ kind: 'formula-error', text: '=A4&VLOOKUP(A4,X:Y,2,0)' });
  });
});

describe('XLSX sheets and rows', () => {
  it('reads the first visible sheet when none is named Payouts', async () => {
    const wb = new ExcelJS.Workbook();
    const hidden = wb.addWorksheet('Lists', { state: 'hidden' });
    hidden.addRow(['code']);
    wb.addWorksheet('Batch 7').addRows([['reference', 'amount'], ['A', 1]]);
    wb.addWorksheet('Other').addRows([['x'], ['y']]);
    const p = nextPath();
    await wb.xlsx.writeFile(p);
    const sheet = await openSheet(p);
    expect(sheet.sheetName).toBe('Batch 7');
    expect(await all(sheet)).toEqual([{ rowNumber: 2, values: ['A', '1'], notes: [undefined, { kind: 'number', text: '1', scientific: false }] }]);
  });

  it('finds a header below empty rows and keeps Excel row numbers', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    ws.getRow(3).values = ['reference', 'amount', null];
    ws.getRow(4).values = ['A', '5'];
    ws.getRow(7).values = [null, '6'];
    const p = nextPath();
    await wb.xlsx.writeFile(p);
    const sheet = await openSheet(p);
    expect(sheet.header).toEqual(['reference', 'amount']);
    expect(await all(sheet)).toEqual([
      { rowNumber: 4, values: ['A', '5'] },
      { rowNumber: 7, values: ['', '6'] },
    ]);
  });

  it('reads what the streaming writer produces (inline strings, data descriptors)', async () => {
    const p = nextPath();
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: p, useSharedStrings: false, useStyles: true });
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(['reference', 'amount', 'date_of_birth']).commit();
    // Texts that exceljs's reader would decode twice (R&amp;1 → R&1) if they were passed through as is.
    ws.addRow(['R&amp;1', 'a&b <x> &lt;y&gt; &amp', '']).commit();
    for (let i = 0; i < 2000; i++) {
      const r = ws.addRow([`R${i}`, `${i}.00`, new Date(Date.UTC(2000, 0, 1 + (i % 28)))]);
      r.getCell(3).numFmt = 'yyyy-mm-dd';
      r.commit();
    }
    ws.commit();
    await wb.commit();
    const sheet = await openSheet(p);
    const rows = await all(sheet);
    expect(rows).toHaveLength(2001);
    expect(rows[0]).toEqual({ rowNumber: 2, values: ['R&amp;1', 'a&b <x> &lt;y&gt; &amp', ''] });
    expect(rows[1]).toEqual({ rowNumber: 3, values: ['R0', '0.00', '2000-01-01'], notes: [undefined, undefined, { kind: 'date', text: '2000-01-01' }] });
    expect(rows[2000]!.rowNumber).toBe(2002);
  });

  it('reads a hand-made workbook: sheet at an odd path, absolute rel target, escaped name', async () => {
    const p = nextPath();
    await writeFile(p, handMadeWorkbook({
      strings: ['reference', 'amount', 'R1'],
      rowsXml: '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1.5E+3</v></c></row>',
    }));
    const sheet = await openSheet(p);
    expect(sheet.sheetName).toBe('Data & more');
    expect(await all(sheet)).toEqual([{ rowNumber: 2, values: ['R1', '1500'], notes: [undefined, { kind: 'number', text: '1500', scientific: false }] }]);
  });

  it('rejects a value beyond the header, naming row and column', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(['reference', 'amount']);
    ws.addRow(['A', 1]);
    ws.getRow(3).values = ['B', 2, null, 'stray'];
    const p = nextPath();
    await wb.xlsx.writeFile(p);
    const sheet = await openSheet(p);
    const err = await sheetError(all(sheet));
    expect(err.row).toBe(3);
    expect(err.column).toBe('D');
    expect(err.message).toMatch(/row 3 has a value in column D, beyond the header \(2 columns\)/);
  });

  it('can be closed early', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(['reference', 'amount']);
    for (let i = 0; i < 5000; i++) ws.addRow([`R${i}`, i]);
    const p = nextPath();
    await wb.xlsx.writeFile(p);
    const sheet = await openSheet(p);
    let seen = 0;
    for await (const r of sheet.rows) {
      expect(r.rowNumber).toBe(seen + 2);
      if (++seen === 2) break;
    }
    await sheet.close();
    await sheet.close();
    expect(seen).toBe(2);
  });

  it('stops at maxRows', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Payouts').addRows([['reference'], ['A'], ['B'], ['C']]);
    const p = nextPath();
    await wb.xlsx.writeFile(p);
    const err = await sheetError(openSheet(p, { maxRows: 2 }).then(all));
    expect(err.message).toBe('more than 2 rows');
  });
});

describe('XLSX hostile and broken files', () => {
  it('rejects a workbook over the shared-strings cap before reading it', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(['reference', 'note']);
    for (let i = 0; i < 20; i++) ws.addRow([`R${i}`, `distinct text ${i}`]);
    const p = nextPath();
    await wb.xlsx.writeFile(p);
    const err = await sheetError(openSheet(p, { maxSharedStrings: 10 }));
    expect(err.message).toMatch(/shared strings, the limit is 10/);
    // and within the cap it is fine
    expect(await all(await openSheet(p, { maxSharedStrings: 100 }))).toHaveLength(20);
  });

  it('counts shared strings as they stream when the count attribute is missing', async () => {
    const strings = ['reference', ...Array.from({ length: 30 }, (_, i) => `s${i}`)];
    const p = nextPath();
    await writeFile(p, handMadeWorkbook({ strings, rowsXml: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' }));
    const err = await sheetError(openSheet(p, { maxSharedStrings: 10 }));
    expect(err.message).toMatch(/more than 10 shared strings/);
  });

  it('rejects a workbook that unpacks to more than the cap', async () => {
    const p = await payoutWorkbook();
    const err = await sheetError(openSheet(p, { maxXlsxUnpackedBytes: 4096 }));
    expect(err.message).toMatch(/unpacks to \d+ bytes, the limit is 4096/);
  });

  it('rejects an entry that inflates to more than its declared size (zip bomb)', async () => {
    const strings = ['reference', 'x'.repeat(100_000)];
    const p = nextPath();
    await writeFile(p, handMadeWorkbook({ strings, rowsXml: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', sstDeclaredSize: 200 }));
    const err = await sheetError(openSheet(p));
    expect(err.message).toMatch(/not a readable XLSX file.*inflates to more than its declared 200 bytes/);
  });

  it('rejects a file over maxFileBytes', async () => {
    const p = await payoutWorkbook();
    const err = await sheetError(openSheet(p, { maxFileBytes: 1000 }));
    expect(err.message).toMatch(/too big/);
  });

  it('rejects a non-ZIP file named .xlsx', async () => {
    const p = nextPath();
    await writeFile(p, 'reference,amount\nR1,1\n');
    const err = await sheetError(openSheet(p));
    expect(err.message).toMatch(/not a readable XLSX file/);
  });

  it('rejects a truncated workbook', async () => {
    const p = await payoutWorkbook();
    const bytes = await readFile(p);
    const cut = nextPath();
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await sheetError(openSheet(cut).then(all));
    expect(err.message).toMatch(/not a readable XLSX file/);
  });

  it('rejects a ZIP that is not a workbook', async () => {
    const p = nextPath();
    await writeFile(p, zip([{ name: 'readme.txt', data: 'hello' }]));
    const err = await sheetError(openSheet(p));
    expect(err.message).toMatch(/not a readable XLSX file \(no workbook part/);
  });

  it('rejects corrupt compressed data', async () => {
    const p = nextPath();
    const good = handMadeWorkbook({ strings: ['reference'], rowsXml: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' });
    // Overwrite the middle of the first entry's compressed data (the worksheet follows _rels/.rels).
    const bad = Buffer.from(good);
    const at = bad.indexOf(Buffer.from('xl/worksheets/data.xml')) + 'xl/worksheets/data.xml'.length + 4;
    bad.fill(0xff, at, at + 8);
    await writeFile(p, bad);
    const err = await sheetError(openSheet(p).then(all));
    expect(err.message).toMatch(/not a readable XLSX file/);
  });

  it('explains a password-protected workbook', async () => {
    const p = nextPath();
    await writeFile(p, Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600)]));
    const err = await sheetError(openSheet(p));
    expect(err.message).toMatch(/password-protected/);
  });
});

describe('escapeAmpersands', () => {
  it('escapes every &amp; once, wherever the chunks are cut', async () => {
    const piece = fc.constantFrom('&amp;', '&', 'amp;', '&am', 'a', '<v>', '&lt;', 'é');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(40), { maxLength: 6 }), async (pieces, cuts) => {
        const input = Buffer.from(pieces.join(''));
        const points = [...new Set(cuts.map((c) => Math.min(c, input.length)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of [...points, input.length]) {
          if (p > from) chunks.push(input.subarray(from, p));
          from = Math.max(from, p);
        }
        const out: Buffer[] = [];
        for await (const c of escapeAmpersands(chunks)) out.push(c);
        expect(Buffer.concat(out).toString()).toBe(input.toString().replaceAll('&amp;', '&amp;amp;'));
      }),
    );
  });
});
