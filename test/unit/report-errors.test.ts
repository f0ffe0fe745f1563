import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { writeErrorsCsv } from '../../src/report/errors.ts';
import type { ValidationError } from '../../src/report/types.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-errors-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const errors: ValidationError[] = [
  { file: 'pay.csv', row: 3, column: 'amount', value: '12.345', rule: 'amount.decimals', message: 'USD has 2 decimals' },
  { file: 'pay.csv', row: 4, column: 'note', value: '=HYPERLINK("x")', rule: 'text', message: '-bad, "quoted"\nsecond line' },
  { file: 'pay.csv', row: null, column: 'currency', value: '', rule: 'header.missing', message: 'column currency is missing' },
  { file: 'pay.csv', row: 5, column: 'Account Number', value: '000123456789', rule: 'account.format', message: 'bad account' },
];

describe('writeErrorsCsv', () => {
  it('writes file,row,column,value,rule,message; formula-safe; BOM and CRLF', async () => {
    const p = join(dir, 'pay.csv.errors.csv');
    await writeErrorsCsv(p, errors);
    const raw = await readFile(p, 'utf8');
    expect(raw.charCodeAt(0)).toBe(0xfeff);
    expect(raw.startsWith('\ufefffile,row,column,value,rule,message\r\n')).toBe(true);
    const rec = parse(raw, { bom: true }) as string[][];
    expect(rec).toEqual([
      ['file', 'row', 'column', 'value', 'rule', 'message'],
      ['pay.csv', '3', 'amount', '12.345', 'amount.decimals', 'USD has 2 decimals'],
      ['pay.csv', '4', 'note', `'=HYPERLINK("x")`, 'text', `'-bad, "quoted"\nsecond line`],
      ['pay.csv', '', 'currency', '', 'header.missing', 'column currency is missing'],
      ['pay.csv', '5', 'Account Number', '000123456789', 'account.format', 'bad account'],
    ]);
    expect(await readdir(dir)).toEqual(['pay.csv.errors.csv']);
  });

  it('masks account columns when asked, and takes an async iterable', async () => {
    const p = join(dir, 'e.csv');
    async function* gen(): AsyncGenerator<ValidationError> {
      yield* errors;
    }
    await writeErrorsCsv(p, gen(), { maskColumns: ['account_number'], maskMode: 'last4' });
    const rec = parse(await readFile(p, 'utf8'), { bom: true }) as string[][];
    expect(rec[4]![3]).toBe('****6789');
    expect(rec[1]![3]).toBe('12.345');
  });

  it('leaves nothing behind when the source fails', async () => {
    const p = join(dir, 'e.csv');
    function* gen(): Generator<ValidationError> {
      yield errors[0]!;
      throw new Error('reader crashed');
    }
    await expect(writeErrorsCsv(p, gen())).rejects.toThrow('reader crashed');
    expect(await readdir(dir)).toEqual([]);
  });
});
