// Issue 9 ("Sheets that real people send") and the reader half of issue 10 (Excel's limits), on real
// files: headers that name one column twice, identifiers Excel has already damaged, formula float noise,
// control characters anywhere in a sheet, and the row and cell limits the readers enforce while streaming.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { openSheet, DEFAULT_SHEET_LIMITS } from '../../src/sheet/open.ts';
import { matchHeaders } from '../../src/sheet/headers.ts';
import { EXCEL_MAX_ROWS, MAX_DATA_ROWS, SheetError, type OpenedSheet, type RawRow } from '../../src/sheet/types.ts';
import { RowValidator, accountColumnIndices, maskedColumnNames, providerAliases } from '../../src/validate/rows.ts';
import { getProvider } from '../../src/providers/registry.ts';
import { vexoraProvider } from '../../src/providers/vexora/index.ts';
import { vexoraConfigSchema, vexoraRowRules } from '../../src/providers/vexora/schema.ts';
import { readZip, writeZip } from '../helpers/sheets.ts';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-real-people-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(content: string | Buffer, ext = '.csv'): Promise<string> {
  const p = join(dir, `s${++n}${ext}`);
  await writeFile(p, content);
  return p;
}

async function xlsx(rows: unknown[][], edit?: (ws: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Payouts');
  for (const r of rows) ws.addRow(r);
  edit?.(ws);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The same workbook with one shared string replaced by `raw` XML text (as Excel itself would write it). */
function withSharedString(book: Buffer, placeholder: string, raw: string): Buffer {
  return writeZip(
    [...readZip(book)].map(([name, data]) => ({
      name,
      data: name === 'xl/sharedStrings.xml' ? Buffer.from(data.toString('utf8').replace(placeholder, raw)) : data,
    })),
  );
}

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

/** Vexora Argentina: account_number (CBU, an identifier, alias accountNo) and mobile are identifiers. */
function validatorFor(header: string[]) {
  const rules = vexoraRowRules(vexoraConfigSchema.parse({ country: 'AR' }));
  const match = matchHeaders(header, providerAliases(rules));
  return new RowValidator({ header, match, rules, provider: vexoraProvider, batchKey: '20261121-0a1b2c3d' });
}

const AR_HEADER = ['reference', 'amount', 'currency', 'account_number', 'mobile', 'email', 'first_name', 'last_name', 'note'];
const AR_ROW = ['R1', '1500', 'ARS', '0000003100010000000001', '0911234567', 'ana@example.com', 'Ana', 'Perez', 'ok'];

describe('a header that names a column exactly wins over an alias of it', () => {
  it('Note beats Comment, whichever comes first; the loser is kept as an extra column', () => {
    for (const header of [['reference', 'Comment', 'Note'], ['reference', 'Note', 'Comment']]) {
      const m = matchHeaders(header);
      expect(m.problems).toEqual([]);
      expect(m.columns.get('note')).toBe(header.indexOf('Note'));
      expect(m.unknown).toEqual([header.indexOf('Comment')]);
    }
  });

  it("the provider's own field name beats a generic alias, and the canonical name beats both", () => {
    const aliases = { account_number: ['accountNo'] };
    const a = matchHeaders(['Bank Account Number', 'accountNo'], aliases);
    expect(a.problems).toEqual([]);
    expect(a.columns.get('account_number')).toBe(1);
    expect(a.unknown).toEqual([0]);
    const b = matchHeaders(['accountNo', 'Bank Account', 'Account Number'], aliases);
    expect(b.problems).toEqual([]);
    expect(b.columns.get('account_number')).toBe(2);
    expect(b.unknown).toEqual([0, 1]);
  });

  it('refuses two equally good headers for one column, naming both', () => {
    const m = matchHeaders(['reference', 'Comment', 'amount', 'Remarks']);
    expect(m.problems).toHaveLength(1);
    expect(m.problems[0]!.column).toBe('note');
    expect(m.problems[0]!.message).toContain('"Comment" (column B)');
    expect(m.problems[0]!.message).toContain('"Remarks" (column D)');
    expect(m.problems[0]!.message).toContain('title the one to use "note"');
    const exact = matchHeaders(['Note', 'note', 'NOTE']);
    expect(exact.problems).toHaveLength(1);
    expect(exact.problems[0]!.message).toBe('"Note" (column A), "note" (column B) and "NOTE" (column C) are both the column note: remove or rename all but one');
  });

  it('a tie below a better header is no problem: the better one wins', () => {
    const m = matchHeaders(['Comment', 'Remarks', 'Note']);
    expect(m.problems).toEqual([]);
    expect(m.columns.get('note')).toBe(2);
    expect(m.unknown).toEqual([0, 1]);
  });

  it('a losing account column is not sent but is still masked in the reports', () => {
    const header = ['reference', 'amount', 'currency', 'Bank Account Number', 'accountNo', 'mobile', 'email', 'first_name', 'last_name'];
    const v = validatorFor(header);
    const { payout, issues } = v.validate({ rowNumber: 2, values: ['R1', '1500', 'ARS', '1111', '0000003100010000000001', '0911234567', 'a@example.com', 'Ana', 'Perez'] });
    expect(issues).toEqual([]);
    expect(payout.fields.account_number).toBe('0000003100010000000001');
    expect(accountColumnIndices(matchHeaders(header, { account_number: ['accountNo'] }))).toEqual([3, 4]);
  });
});

describe('identifiers Excel stored as numbers have lost digits', () => {
  it('an 18-digit account read back as 880123456789012000 is refused, naming the cell; so is one with decimals', async () => {
    const p = await file(
      await xlsx([
        AR_HEADER,
        ['R1', 1500, 'ARS', 880123456789012345, '0911234567', 'a@example.com', 'Ana', 'Perez', 'x'],
        ['R2', 1500, 'ARS', 1234567890123456, '0911234567', 'a@example.com', 'Ana', 'Perez', 'x'],
        ['R3', 1500, 'ARS', 31000100.5, '0911234567', 'a@example.com', 'Ana', 'Perez', 'x'],
        ['R4', 1500, 'ARS', 310001000000001, '0911234567', 'a@example.com', 'Ana', 'Perez', 'x'],
      ]),
      '.xlsx',
    );
    const sheet = await openSheet(p);
    const v = validatorFor(sheet.header);
    const results = (await all(sheet)).map((r) => v.validate(r));
    const [r2, r3, r4, r5] = results;
    expect(r2!.payout.status).toBe('invalid');
    expect(r2!.issues).toEqual([
      expect.objectContaining({ row: 2, column: 'account_number', value: '880123456789012000', rule: 'excel-damaged', message: expect.stringContaining('18 digits but keeps only 15') }),
    ]);
    expect(r3!.issues).toEqual([expect.objectContaining({ row: 3, value: '1234567890123460', rule: 'excel-damaged', message: expect.stringContaining('16 digits') })]);
    expect(r4!.issues).toEqual([expect.objectContaining({ row: 4, value: '31000100.5', rule: 'excel-damaged', message: expect.stringContaining('with decimals') })]);
    // 15 digits survive Excel: that number is the one typed (the CBU's own format rule judges it).
    expect(r5!.issues.map((i) => i.rule)).not.toContain('excel-damaged');
  });
});

describe('XLSX amounts computed by formulas', () => {
  it('are read as Excel holds them (15 significant digits), whatever the number format', async () => {
    const book = await xlsx(
      [
        ['reference', 'amount'],
        ['R1', { formula: '5.5*2.5', result: 13.750000000000002 }],
        ['R2', { formula: '0.1+0.2', result: 0.30000000000000004 }],
        ['R3', 13.755],
        ['R4', { formula: '300*1', result: 300.00000000000006 }],
      ],
      (ws) => {
        ws.getCell('B4').numFmt = '0.00'; // shown as 13.76: the display must not round the money
      },
    );
    const rows = await all(await openSheet(await file(book, '.xlsx')));
    expect(rows.map((r) => r.values[1])).toEqual(['13.75', '0.3', '13.755', '300']);
  });
});

describe('control characters', () => {
  it('a NUL after the first 64 KB of a CSV is a row error naming the cell, shown escaped; TAB and quoted newlines are fine', async () => {
    const lines = [AR_HEADER.join(',')];
    while (lines.join('\n').length < 70 * 1024) lines.push(AR_ROW.map((c, i) => (i === 0 ? `R${lines.length}` : c)).join(','));
    const nulRow = lines.length + 1;
    lines.push(['RNUL', '1500', 'ARS', '0000003100010000000001', '0911234567', 'ana@example.com', 'Ana', 'Pe\u0000rez', 'a\u0007b'].join(','));
    lines.push(['RTAB', '1500', 'ARS', '0000003100010000000001', '0911234567', 'ana@example.com', 'Ana', 'Perez', '"tab\there\r\nand a new line"'].join(','));
    const sheet = await openSheet(await file(lines.join('\n') + '\n'));
    const v = validatorFor(sheet.header);
    const results = (await all(sheet)).map((r) => v.validate(r));
    const bad = results.find((r) => r.payout.rowNumber === nulRow)!;
    expect(bad.payout.status).toBe('invalid');
    expect(bad.issues).toEqual([
      expect.objectContaining({ row: nulRow, column: 'last_name', value: 'Pe\\u0000rez', rule: 'control-character', message: expect.stringContaining('U+0000') }),
      expect.objectContaining({ row: nulRow, column: 'note', value: 'a\\u0007b', rule: 'control-character', message: expect.stringContaining('U+0007') }),
    ]);
    // What the results file gets is the escaped text, never the character itself.
    expect(bad.payout.original[7]).toBe('Pe\\u0000rez');
    expect(results.filter((r) => r.payout.status === 'invalid')).toHaveLength(1);
    expect(results.at(-1)!.payout.fields.note).toBe('tab\there\r\nand a new line');
  });

  it('an XLSX cell holding a control character (written by Excel as _x0001_) is a row error too', async () => {
    const book = withSharedString(
      await xlsx([AR_HEADER, ['R1', 1500, 'ARS', '0000003100010000000001', '0911234567', 'ana@example.com', 'Ana', 'Perez', 'PLACEHOLDER']]),
      'PLACEHOLDER',
      'bell_x0007_here, literal _x005F_x0041_',
    );
    const sheet = await openSheet(await file(book, '.xlsx'));
    const v = validatorFor(sheet.header);
    const [row] = await all(sheet);
    expect(row!.values[8]).toBe('bell\u0007here, literal _x0041_');
    const { payout, issues } = v.validate(row!);
    expect(payout.status).toBe('invalid');
    expect(issues).toEqual([expect.objectContaining({ column: 'note', value: 'bell\\u0007here, literal _x0041_', rule: 'control-character' })]);
  });

  it('a control character in the reference never reaches the merchant reference or the results', () => {
    const v = validatorFor(AR_HEADER);
    const { payout, issues } = v.validate({ rowNumber: 3, values: ['R\u001b1', ...AR_ROW.slice(1)] });
    expect(payout.status).toBe('invalid');
    expect(payout.merchantReference).toBe('R\\u001b1');
    expect(payout.original[0]).toBe('R\\u001b1');
    expect(issues[0]).toMatchObject({ column: 'reference', value: 'R\\u001b1', rule: 'control-character' });
    for (const i of issues) expect(i.value).not.toMatch(/[\u0000-\u001f]/);
  });

  it('a control character in a header cell is escaped, since the header is copied to the results', async () => {
    const book = withSharedString(await xlsx([['reference', 'PLACEHOLDER'], ['R1', 'x']]), 'PLACEHOLDER', 'Cost_x0000_centre');
    expect((await openSheet(await file(book, '.xlsx'))).header).toEqual(['reference', 'Cost\\u0000centre']);
    expect((await openSheet(await file('reference,Cost\u001bcentre\nR1,x\n'))).header).toEqual(['reference', 'Cost\\u001bcentre']);
  });

  it('a DEL in a column that is not sent is still refused (it would be written to the results)', () => {
    const v = validatorFor([...AR_HEADER, 'Internal cost centre']);
    const { issues } = v.validate({ rowNumber: 7, values: [...AR_ROW, 'CC\u007f1'] });
    expect(issues).toEqual([expect.objectContaining({ row: 7, column: 'Internal cost centre', value: 'CC\\u007f1', rule: 'control-character' })]);
  });
});

describe("Excel's limits, enforced while the sheet streams", () => {
  it('the default row limit is what results.xlsx can hold: 1,048,575 payout rows under the header', async () => {
    expect(DEFAULT_SHEET_LIMITS.maxRows).toBe(MAX_DATA_ROWS);
    expect(MAX_DATA_ROWS + 1).toBe(EXCEL_MAX_ROWS);
    // A real file one row over the limit (2 MB, a fraction of a second to read).
    const p = await file('reference\n' + '1\n'.repeat(MAX_DATA_ROWS + 1));
    const sheet = await openSheet(p);
    let read = 0;
    const err = await sheetError(
      (async () => {
        for await (const _ of sheet.rows) read++;
      })(),
    );
    expect(read).toBe(MAX_DATA_ROWS);
    expect(err.row).toBe(EXCEL_MAX_ROWS + 1);
    expect(err.rule).toBe('excel-limit');
    expect(err.message).toBe("more than 1,048,575 payout rows: results.xlsx could not hold them (Excel's limit is 1,048,576 rows, the header included); split the sheet");
  }, 20_000);

  it('an XLSX over the row limit is stopped the same way (limit injected small)', async () => {
    const p = await file(await xlsx([['reference'], ['A'], [], ['B'], ['C']]), '.xlsx');
    const err = await sheetError(openSheet(p, { maxRows: 2 }).then(all));
    expect(err.row).toBe(5);
  });

  it('a cell over 32,767 characters is refused, naming file, row and column (CSV and XLSX)', async () => {
    const long = 'x'.repeat(32_768);
    const csv = await sheetError(openSheet(await file(`reference,note\nR1,ok\nR2,${long}\n`)).then(all));
    expect(csv.row).toBe(3);
    expect(csv.column).toBe('note');
    expect(csv.rule).toBe('excel-limit');
    expect(csv.message).toMatch(/^s\d+\.csv: row 3, column B \("note"\) has 32,768 characters; Excel holds at most 32,767 in a cell/);
    // exactly at the limit is fine
    expect(await all(await openSheet(await file(`reference,note\nR1,${'x'.repeat(32_767)}\n`)))).toHaveLength(1);

    const book = await file(await xlsx([['reference', 'amount', 'note'], ['R1', 1, 'ok'], ['R2', 2, long]]), '.xlsx');
    const x = await sheetError(openSheet(book).then(all));
    expect(x.row).toBe(3);
    expect(x.column).toBe('note');
    expect(x.message).toMatch(/^s\d+\.xlsx: row 3, column C \("note"\) has 32,768 characters/);
  });

  it('a header cell over 32,767 characters is refused when the sheet is opened', async () => {
    const err = await sheetError(openSheet(await file(`reference,${'h'.repeat(40_000)}\nR1,1\n`)));
    expect(err.row).toBe(1);
    expect(err.message).toMatch(/row 1, column B has 40,000 characters/);
  });
});

describe('account columns a provider names itself', () => {
  it('are masked because the provider declares them (ColumnSpec.masked), not because shared code knows their names', () => {
    const header = ['reference', 'amount', 'extra.clabe', 'extra.pixKey', 'field.cardNumber', 'note'];
    const match = matchHeaders(header, {});
    // Generic names (card, account, IBAN) are masked for every provider; CLABE and PIX keys only when declared.
    expect(accountColumnIndices(match)).toEqual([4]);
    const starpago = getProvider('starpago')!;
    const rules = starpago.rowRules(starpago.configSchema.parse({ baseUrl: 'sandbox', appId: 'a', appSecret: 's' }));
    expect(maskedColumnNames(rules)).toEqual(expect.arrayContaining(['extra.clabe', 'extra.pixKey']));
    expect(accountColumnIndices(match, maskedColumnNames(rules))).toEqual([2, 3, 4]);
  });
});
