// Issue 10, items 6 (intake part) and 10, through the CLI: a sheet results.xlsx could never hold (too many
// columns with the ones paybatch adds, a cell over 32,767 characters) is refused as a whole with exit 2
// before anything is sent; a control character anywhere in a sheet — a NUL far past the first 64 KB of a
// CSV, or one in an XLSX cell — makes its row invalid, named in errors.csv, escaped wherever it is shown.
// (The row limit, 1,048,575 payout rows, is enforced by the readers: test/unit/sheet-real-people.test.ts
// reads a real file one row over it; journaling a million rows here would take too long.)
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfig, sandboxConfig } from '../helpers/providers.ts';
import { readCsv, runCli, startSandboxProcess, tempDir, type SandboxProcess } from '../helpers/cli.ts';
import { readZip } from '../helpers/sheets.ts';
import { RESULT_COLUMNS } from '../../src/report/results.ts';

let dir: string;
let sandbox: SandboxProcess;
let n = 0;

function config(extra: Record<string, unknown> = {}): { config: string; work: string } {
  const work = path.join(dir, `work-${++n}`);
  return { config: runConfig(path.join(dir, `config-${n}.json`), 'vexora', work, sandbox.url, {}, { runOnce: { waitSeconds: 30 }, ...extra }), work };
}

const stamp = String(Date.now()).slice(-8);
const ref = (tag: string, i: number) => `${tag}${stamp}${i}`;
const AR_HEADER = ['reference', 'amount', 'currency', 'account_number', 'mobile', 'email', 'first_name', 'last_name', 'note'];
const arRow = (reference: string, i: number, note = `row ${i}`): string[] => [reference, String(150 + i), 'ARS', `0000003100${String(10_000_000 + i).slice(-8)}1111`, `09${String(11_234_000 + i).slice(-8)}`, `p${i}@example.com`, 'Ana', 'Perez', note];
const csv = (rows: string[][]) => rows.map((r) => r.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')).join('\n') + '\n';

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const batchOf = (stdout: string) => JSON.parse(stdout).batches[0];

async function createdCount(references: string[]): Promise<number> {
  const stats = await sandbox.stats();
  return references.reduce((sum, r) => sum + (stats.createRequests[r] ?? 0), 0);
}

/** `run` refused the sheet as a whole: exit 2, the sheet and its errors file in rejected/, nothing sent. */
async function expectRefused(work: string, name: string, r: { code: number | null; stdout: string }, refs: string[]) {
  expect(r.code).toBe(2);
  expect(batchOf(r.stdout)).toMatchObject({ state: 'rejected' });
  expect(fs.existsSync(path.join(work, 'rejected', name))).toBe(true);
  expect(await createdCount(refs)).toBe(0);
  return readCsv(path.join(work, 'rejected', name.replace(/\.(csv|xlsx)$/, '.errors.csv')));
}

beforeAll(async () => {
  dir = tempDir('paybatch-limits-');
  // The sandbox's duplicate check stays on (the helper's default turns it off for crash tests).
  sandbox = await startSandboxProcess('vexora', sandboxConfig(dir, 'vexora', { duplicateCheck: true }));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe("Excel's limits, refused at intake", () => {
  it('a sheet whose columns plus the result columns exceed 16,384 is refused (exit 2) before anything is sent', async () => {
    const { config: file, work } = config();
    const refs = [ref('WIDE', 1)];
    const extra = Array.from({ length: 16_400 - AR_HEADER.length }, (_, i) => `c${i}`);
    const name = 'wide.csv';
    const r = await runCli(['run', write(name, csv([[...AR_HEADER, ...extra], arRow(refs[0]!, 0)])), '--config', file, '--json']);
    const errors = await expectRefused(work, name, r, refs);
    expect(errors).toContainEqual(
      expect.objectContaining({
        file: name,
        rule: 'excel-limit',
        message: `the sheet has 16,400 columns; with the ${RESULT_COLUMNS.length} result columns paybatch adds, results.xlsx would need ${(16_400 + RESULT_COLUMNS.length).toLocaleString('en-US')}, more than Excel's 16,384`,
      }),
    );
  }, 60_000);

  it('validate draws the line exactly: 16,384 with the result columns passes, one more is refused (exit 2)', async () => {
    const { config: file } = config();
    const widest = 16_384 - RESULT_COLUMNS.length;
    const sheetOf = (width: number) => csv([[...AR_HEADER, ...Array.from({ length: width - AR_HEADER.length }, (_, i) => `c${i}`)], arRow(ref('EDGE', width), 0)]);
    const ok = await runCli(['validate', write('edge-ok.csv', sheetOf(widest)), '--config', file]);
    expect(ok.code).toBe(0);
    const over = await runCli(['validate', write('edge-over.csv', sheetOf(widest + 1)), '--config', file]);
    expect(over.code).toBe(2);
    expect(over.stdout).toContain("more than Excel's 16,384");
  }, 60_000);

  it('a cell over 32,767 characters is refused (exit 2), naming file, row and column, and no row is sent (CSV)', async () => {
    const { config: file, work } = config();
    const refs = [ref('LONG', 1), ref('LONG', 2), ref('LONG', 3)];
    const name = 'long-cell.csv';
    // In a column paybatch does not send: the row is otherwise valid, the results could still not be written.
    const rows = [[...AR_HEADER, 'Cost centre'], [...arRow(refs[0]!, 0), 'CC-1'], [...arRow(refs[1]!, 1), 'x'.repeat(32_768)], [...arRow(refs[2]!, 2), 'CC-1']];
    const r = await runCli(['run', write(name, csv(rows)), '--config', file, '--json']);
    const errors = await expectRefused(work, name, r, refs);
    const e = errors.find((x) => x.rule === 'excel-limit')!;
    expect(e).toMatchObject({ file: name, row: '3', column: 'Cost centre' });
    expect(e.message).toContain('long-cell.csv: row 3, column J ("Cost centre") has 32,768 characters; Excel holds at most 32,767 in a cell');
  }, 60_000);

  it('and the same in an XLSX cell', async () => {
    const { config: file, work } = config();
    const refs = [ref('LONGX', 1), ref('LONGX', 2)];
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow([...AR_HEADER, 'Cost centre']);
    ws.addRow([...arRow(refs[0]!, 0), 'CC-1']);
    ws.addRow([...arRow(refs[1]!, 1), 'y'.repeat(40_000)]);
    const name = 'long-cell.xlsx';
    const r = await runCli(['run', write(name, Buffer.from(await wb.xlsx.writeBuffer())), '--config', file, '--json']);
    const errors = await expectRefused(work, name, r, refs);
    expect(errors).toContainEqual(expect.objectContaining({ file: name, row: '3', column: 'Cost centre', rule: 'excel-limit' }));
  }, 60_000);
});

describe('control characters in a sheet', () => {
  /** Three rows with 30,000 characters in a column paybatch does not send put the rest past the first 64 KB. */
  function nulSheet(tag: string): { content: string; refs: string[]; nulRow: number } {
    const refs = [1, 2, 3, 4, 5].map((i) => ref(tag, i));
    const rows = [
      [...AR_HEADER, 'Cost centre'],
      ...[0, 1, 2].map((i) => [...arRow(refs[i]!, i), 'c'.repeat(30_000)]),
      [...arRow(refs[3]!, 3, 'a\u0000b'), 'CC-1'],
      [...arRow(refs[4]!, 4, 'tab\tis fine'), 'CC-1'],
    ];
    const content = csv(rows);
    expect(content.indexOf('\u0000')).toBeGreaterThan(64 * 1024);
    return { content, refs, nulRow: 5 };
  }

  it('a NUL after the first 64 KB of a CSV makes its row invalid, named and escaped in errors.csv; nothing is sent (reject-file)', async () => {
    const { config: file } = config();
    const { content, refs, nulRow } = nulSheet('NUL');
    const r = await runCli(['run', write('nul.csv', content), '--config', file, '--json']);
    expect(r.code).toBe(1);
    const b = batchOf(r.stdout);
    expect(b).toMatchObject({ state: 'rejected' });
    expect(b.counts.invalid).toBe(1);
    const errors = await readCsv(b.reports.errors_csv);
    expect(errors).toEqual([expect.objectContaining({ file: 'nul.csv', row: String(nulRow), column: 'note', value: 'a\\u0000b', rule: 'control-character' })]);
    expect(fs.readFileSync(b.reports.errors_csv).includes(0)).toBe(false);
    expect(await createdCount(refs)).toBe(0);
  }, 60_000);

  it('with skip-rows the other rows are paid and the results show the cell escaped, never the NUL itself', async () => {
    const { config: file } = config({ onInvalidRows: 'skip-rows' });
    const { content, refs } = nulSheet('SKIP');
    const r = await runCli(['run', write('nul-skip.csv', content), '--config', file, '--json']);
    expect(r.code).toBe(1);
    const b = batchOf(r.stdout);
    expect(b.counts).toMatchObject({ succeeded: 4, invalid: 1 });
    const stats = await sandbox.stats();
    expect(refs.map((x) => stats.createRequests[x] ?? 0)).toEqual([1, 1, 1, 0, 1]);
    const results = await readCsv(b.reports.results_csv);
    expect(results[3]).toMatchObject({ payout_status: 'invalid', note: 'a\\u0000b' });
    expect(results[4]!.note).toBe('tab\tis fine');
    expect(fs.readFileSync(b.reports.results_csv).includes(0)).toBe(false);
    for (const [part, data] of readZip(fs.readFileSync(b.reports.results_xlsx))) expect({ part, nul: data.includes(0) }).toEqual({ part, nul: false });
  }, 60_000);

  it('an XLSX cell holding a control character (Excel writes it as _x0007_) is a row error too', async () => {
    const { config: file } = config();
    const refs = [ref('BEL', 1)];
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(AR_HEADER);
    ws.addRow(arRow(refs[0]!, 0, 'ring_x0007_bell'));
    const r = await runCli(['run', write('bell.xlsx', Buffer.from(await wb.xlsx.writeBuffer())), '--config', file, '--json']);
    expect(r.code).toBe(1);
    const errors = await readCsv(batchOf(r.stdout).reports.errors_csv);
    expect(errors).toEqual([expect.objectContaining({ row: '2', column: 'note', value: 'ring\\u0007bell', rule: 'control-character' })]);
    expect(await createdCount(refs)).toBe(0);
  }, 60_000);
});
