import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { openSheet } from '../../src/sheet/open.ts';
import { SheetError, type OpenedSheet, type RawRow } from '../../src/sheet/types.ts';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-sheet-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(content: string | Buffer, ext = '.csv'): Promise<string> {
  const p = join(dir, `f${++n}${ext}`);
  await writeFile(p, content);
  return p;
}

async function all(sheet: OpenedSheet): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const r of sheet.rows) out.push(r);
  return out;
}

async function read(content: string | Buffer) {
  const sheet = await openSheet(await fileWith(content));
  return { sheet, rows: await all(sheet) };
}

async function sheetError(p: Promise<unknown>): Promise<SheetError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SheetError);
  return err as SheetError;
}

describe('CSV encodings', () => {
  it('reads UTF-8 without a BOM', async () => {
    const { sheet, rows } = await read('reference,amount,first_name\nR1,12.50,Zoë\nR2, 3 ,北京\n');
    expect(sheet.format).toBe('csv');
    expect(sheet.encoding).toBe('utf-8');
    expect(sheet.delimiter).toBe(',');
    expect(sheet.header).toEqual(['reference', 'amount', 'first_name']);
    expect(rows).toEqual([
      { rowNumber: 2, values: ['R1', '12.50', 'Zoë'] },
      { rowNumber: 3, values: ['R2', ' 3 ', '北京'] }, // cells are not trimmed
    ]);
  });

  it('reads UTF-8 with a BOM and keeps the BOM out of the first header', async () => {
    const { sheet, rows } = await read('\uFEFFreference,amount\r\nR1,1.00\r\n');
    expect(sheet.encoding).toBe('utf-8');
    expect(sheet.header).toEqual(['reference', 'amount']);
    expect(rows).toEqual([{ rowNumber: 2, values: ['R1', '1.00'] }]);
  });

  it('reads Windows-1252, including € at 0x80 that TextDecoder gets wrong', async () => {
    const bytes = Buffer.from([
      ...Buffer.from('reference,note\nR1,Caf'), 0xe9, ...Buffer.from(' '), 0x80, ...Buffer.from('5\n'),
    ]);
    const { sheet, rows } = await read(bytes);
    expect(sheet.encoding).toBe('windows-1252');
    expect(rows).toEqual([{ rowNumber: 2, values: ['R1', 'Café €5'] }]);
  });

  it('reads UTF-16LE with a BOM', async () => {
    const text = 'reference;first_name;amount\r\nR1;Zoë;12,50\r\nR2;北京;1\r\n';
    const { sheet, rows } = await read(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]));
    expect(sheet.encoding).toBe('utf-16le');
    expect(sheet.delimiter).toBe(';');
    expect(sheet.header).toEqual(['reference', 'first_name', 'amount']);
    expect(rows).toEqual([
      { rowNumber: 2, values: ['R1', 'Zoë', '12,50'] },
      { rowNumber: 3, values: ['R2', '北京', '1'] },
    ]);
  });

  it('reads UTF-16BE with a BOM', async () => {
    const text = 'reference,first_name\nR1,Zoë\n';
    const { sheet, rows } = await read(Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, 'utf-16be')]));
    expect(sheet.encoding).toBe('utf-16be');
    expect(rows).toEqual([{ rowNumber: 2, values: ['R1', 'Zoë'] }]);
  });

  it('recognises UTF-16LE without a BOM', async () => {
    const { sheet, rows } = await read(iconv.encode('reference,amount\nR1,2\n', 'utf-16le'));
    expect(sheet.encoding).toBe('utf-16le');
    expect(rows).toEqual([{ rowNumber: 2, values: ['R1', '2'] }]);
  });

  it('checks the whole file for UTF-8, with characters split across read chunks', async () => {
    // The scan reads 1 MiB chunks: é (2 bytes) starts on the last byte of the first chunk, 😀 (4 bytes)
    // on the third-last byte of the second.
    const MiB = 1024 * 1024;
    // `len` bytes of rows, none longer than an Excel cell holds (32,767 characters).
    const filler = (len: number) => {
      let out = '';
      for (; len > 30_003; len -= 30_000) out += `R,${'x'.repeat(30_000 - 3)}\n`;
      return out + `R,${'x'.repeat(len - 3)}\n`;
    };
    const head = 'reference,note\n';
    const a = filler(MiB - 1 - 2 - head.length) + 'R,';
    const b = 'é\n' + filler(MiB - 7) + 'R,';
    const utf8 = Buffer.from(head + a + b + '😀\n' + filler(1000));
    expect(utf8.readUInt8(MiB - 1)).toBe(0xc3);
    expect(utf8.readUInt8(2 * MiB - 3)).toBe(0xf0);
    const ok = await read(utf8);
    expect(ok.sheet.encoding).toBe('utf-8');
    expect(ok.rows.map((r) => r.values[1]).filter((v) => !v!.startsWith('x'))).toEqual(['é', '😀']);

    // One stray Windows-1252 byte far into the file makes the whole file Windows-1252.
    const latin = Buffer.concat([utf8.subarray(0, utf8.length - 10), Buffer.from([0x80]), Buffer.from('abc\n')]);
    const bad = await read(latin);
    expect(bad.sheet.encoding).toBe('windows-1252');
  });
});

describe('CSV delimiters', () => {
  it('detects ; (with decimal commas in the data)', async () => {
    const { sheet, rows } = await read('reference;amount;note\nR1;12,50;"a;b"\n');
    expect(sheet.delimiter).toBe(';');
    expect(rows[0]!.values).toEqual(['R1', '12,50', 'a;b']);
  });

  it('detects tab', async () => {
    const { sheet, rows } = await read('reference\tamount\tnote\nR1\t1,000.50\thello, world\n');
    expect(sheet.delimiter).toBe('\t');
    expect(rows[0]!.values).toEqual(['R1', '1,000.50', 'hello, world']);
  });

  it('counts only delimiters outside quotes in the header', async () => {
    const { sheet } = await read('"a;b;c;d",x,y\n1,2,3\n');
    expect(sheet.delimiter).toBe(',');
    expect(sheet.header).toEqual(['a;b;c;d', 'x', 'y']);
  });

  it('defaults to , for a one-column file', async () => {
    const { sheet, rows } = await read('reference\nR1\n');
    expect(sheet.delimiter).toBe(',');
    expect(rows).toEqual([{ rowNumber: 2, values: ['R1'] }]);
  });
});

describe('CSV rows', () => {
  it('numbers a record with a quoted newline as one row', async () => {
    const { rows } = await read('reference,note\nR1,"line one\nline two"\nR2,after\n');
    expect(rows).toEqual([
      { rowNumber: 2, values: ['R1', 'line one\nline two'] },
      { rowNumber: 3, values: ['R2', 'after'] },
    ]);
  });

  it('skips blank lines but still counts them, as Excel shows them', async () => {
    const { rows } = await read('reference,amount\n\nR1,1\n,\n  ,  \nR2,2\n\n');
    expect(rows.map((r) => [r.rowNumber, r.values[0]])).toEqual([
      [3, 'R1'],
      [6, 'R2'],
    ]);
  });

  it('takes the first non-blank line as the header', async () => {
    const { sheet, rows } = await read('\n\nreference,amount\nR1,1\n');
    expect(sheet.header).toEqual(['reference', 'amount']);
    expect(rows).toEqual([{ rowNumber: 4, values: ['R1', '1'] }]);
  });

  it('trims header cells and drops trailing empty ones', async () => {
    const { sheet, rows } = await read(' reference , amount ,,\nR1,1,,\n');
    expect(sheet.header).toEqual(['reference', 'amount']);
    expect(rows).toEqual([{ rowNumber: 2, values: ['R1', '1'] }]);
  });

  it('pads short rows with empty cells', async () => {
    const { rows } = await read('reference,amount,note\nR1,1\nR2\n');
    expect(rows).toEqual([
      { rowNumber: 2, values: ['R1', '1', ''] },
      { rowNumber: 3, values: ['R2', '', ''] },
    ]);
  });

  it('rejects a row with more cells than the header, naming the row', async () => {
    const sheet = await openSheet(await fileWith('reference,amount\nR1,1\nR2,2,oops\n'));
    const err = await sheetError(all(sheet));
    expect(err.row).toBe(3);
    expect(err.message).toBe('row 3 has 3 cells, header has 2');
  });

  it('reports a CSV syntax error with the row it is in', async () => {
    const sheet = await openSheet(await fileWith('reference,note\nR1,ok\nR2,"never closed\nR3,x\n'));
    const err = await sheetError(all(sheet));
    expect(err.row).toBe(3);
    expect(err.message).toMatch(/Quote Not Closed/);
  });

  it('gives up on a record over 1 MiB (an unclosed quote) instead of buffering the file', async () => {
    const sheet = await openSheet(await fileWith(`reference,note\nR1,"${'x'.repeat(2 * 1024 * 1024)}\nR2,ok\n`));
    const err = await sheetError(all(sheet));
    expect(err.row).toBe(2);
    expect(err.message).toMatch(/CSV_MAX_RECORD_SIZE/);
  });

  it('handles CRLF line endings', async () => {
    const { rows } = await read('reference,amount\r\nR1,1\r\n\r\nR2,2\r\n');
    expect(rows).toEqual([
      { rowNumber: 2, values: ['R1', '1'] },
      { rowNumber: 4, values: ['R2', '2'] },
    ]);
  });

  it('stops at maxRows', async () => {
    const sheet = await openSheet(await fileWith('reference\nA\nB\nC\n'), { maxRows: 2 });
    const err = await sheetError(all(sheet));
    expect(err.message).toBe('more than 2 rows');
    expect(err.row).toBe(4);
  });
});

describe('CSV files as a whole', () => {
  it('rejects an empty file', async () => {
    const err = await sheetError(openSheet(await fileWith('')));
    expect(err.message).toMatch(/is empty$/);
  });

  it('rejects a file of blank lines', async () => {
    const err = await sheetError(openSheet(await fileWith('\uFEFF\r\n\r\n,,\n')));
    expect(err.message).toMatch(/is empty$/);
  });

  it('accepts a header without rows', async () => {
    const { sheet, rows } = await read('reference,amount\n');
    expect(sheet.header).toEqual(['reference', 'amount']);
    expect(rows).toEqual([]);
  });

  it('rejects a file over maxFileBytes before reading it', async () => {
    const p = await fileWith('reference,amount\nR1,1\n');
    const err = await sheetError(openSheet(p, { maxFileBytes: 10 }));
    expect(err.message).toMatch(/too big/);
    expect(err.file).toBe(p);
  });

  it('rejects a missing file', async () => {
    const err = await sheetError(openSheet(join(dir, 'nope.csv')));
    expect(err.message).toMatch(/cannot be read/);
  });

  it('rejects a ZIP archive named .csv', async () => {
    const err = await sheetError(openSheet(await fileWith(Buffer.from('PK\u0003\u0004rest'), '.csv')));
    expect(err.message).toMatch(/ZIP archive/);
  });

  it('rejects a PDF named .csv', async () => {
    const err = await sheetError(openSheet(await fileWith('%PDF-1.7\n...')));
    expect(err.message).toMatch(/is a PDF document/);
  });

  it('can be closed early, more than once', async () => {
    const lines = ['reference,amount'];
    for (let i = 0; i < 50_000; i++) lines.push(`R${i},${i}`);
    const sheet = await openSheet(await fileWith(lines.join('\n')));
    let seen = 0;
    for await (const r of sheet.rows) {
      expect(r.rowNumber).toBe(seen + 2);
      if (++seen === 3) break;
    }
    await sheet.close();
    await sheet.close();
    expect(seen).toBe(3);
  });

  it('streams a large file with the right row numbers', async () => {
    const lines = ['reference,amount,note'];
    for (let i = 0; i < 100_000; i++) lines.push(i % 1000 === 0 ? '' : `R${i},${i},"n ${i}"`);
    const sheet = await openSheet(await fileWith(lines.join('\n') + '\n'));
    let count = 0;
    let wrong = 0;
    for await (const r of sheet.rows) {
      count++;
      if (r.values[0] !== `R${r.rowNumber - 2}` || r.values.length !== 3) wrong++;
    }
    expect(count).toBe(99_900);
    expect(wrong).toBe(0);
  });
});
