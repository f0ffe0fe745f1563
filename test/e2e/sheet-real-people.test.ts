// Issue 9, "Sheets that real people send", as the operator sees it through the CLI: a sheet that titles one
// column twice is paid from the better-named column, an account number Excel has already rounded is
// refused instead of paid to the wrong account, a formula total is the amount Excel shows, and a sheet
// with a header and no rows is refused as a whole (exit 2) by `run` and `validate`.
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfig, sandboxConfig } from '../helpers/providers.ts';
import { readCsv, runCli, startSandboxProcess, tempDir, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { cardEnding, paybatchConfig } from '../helpers/sheets.ts';

let dir: string;
let sandbox: SandboxProcess;
let n = 0;

/** A fresh work folder whose Vexora (Argentina) goes to the sandbox process, so what was created can be asked. */
function vexoraConfig(extra: Record<string, unknown> = {}): { config: string; work: string } {
  const work = path.join(dir, `work-${++n}`);
  return { config: runConfig(path.join(dir, `config-${n}.json`), 'vexora', work, sandbox.url, {}, { runOnce: { waitSeconds: 30 }, ...extra }), work };
}

/** A work folder with the embedded sandboxes (nothing of theirs outlives the command). */
function embeddedConfig(provider: 'vexora' | 'paystar'): { config: string; work: string } {
  const work = path.join(dir, `work-${++n}`);
  return { config: writeJson(path.join(dir, `config-${n}.json`), paybatchConfig(work, { [provider]: { url: 'sandbox' } })), work };
}

const stamp = String(Date.now()).slice(-8);
const ref = (tag: string, i: number) => `${tag}${stamp}${i}`;
const account = (i: number) => `0000003100${String(10_000_000 + i).slice(-8)}1111`;
const AR_HEADER = ['reference', 'amount', 'currency', 'account_number', 'mobile', 'email', 'first_name', 'last_name'];
const arRow = (reference: string, i: number, amount: unknown = 150 + i): unknown[] => [reference, amount, 'ARS', account(i), `09${String(11_234_000 + i).slice(-8)}`, `p${i}@example.com`, 'Ana', 'Perez'];

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Payouts');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const batchOf = (stdout: string) => JSON.parse(stdout).batches[0];

async function created(references: string[]): Promise<string[]> {
  const stats = await sandbox.stats();
  return references.filter((r) => (stats.createRequests[r] ?? 0) > 0);
}

beforeAll(async () => {
  dir = tempDir('paybatch-real-people-');
  // The sandbox's duplicate check stays on (the helper's default turns it off for crash tests).
  sandbox = await startSandboxProcess('vexora', sandboxConfig(dir, 'vexora', { duplicateCheck: true }));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('a column titled twice', () => {
  it('is paid from the header that names it exactly (or by the provider\'s name); the other is copied to the results', async () => {
    const { config } = vexoraConfig();
    const refs = [ref('HD', 1), ref('HD', 2)];
    const header = ['reference', 'amount', 'currency', 'Bank Account Number', 'accountNo', 'mobile', 'email', 'first_name', 'last_name', 'Comment', 'Note'];
    const lines = [header.join(',')];
    refs.forEach((r, i) => lines.push([r, 150 + i, 'ARS', `999999999999999999${i}000`, account(i), `09${String(11_234_000 + i).slice(-8)}`, `p${i}@example.com`, 'Ana', 'Perez', `comment ${i}`, `note ${i}`].join(',')));
    const r = await runCli(['run', write('titled-twice.csv', lines.join('\n') + '\n'), '--config', config, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const b = batchOf(r.stdout);
    expect(b.counts.succeeded).toBe(2);
    // accountNo (Vexora's own field name) was sent, not the generic "Bank Account Number".
    const ledger = await sandbox.payouts();
    expect(refs.map((x) => (ledger.find((p) => p.reference === x) as unknown as { account: string }).account)).toEqual([account(0), account(1)]);
    const results = await readCsv(b.reports.results_csv);
    expect(results.map((row) => row.Comment)).toEqual(['comment 0', 'comment 1']);
    expect(results.map((row) => row.Note)).toEqual(['note 0', 'note 1']);
    // The losing column is an account number too: masked like the one sent.
    expect(results[0]!['Bank Account Number']).toBe('****0000');
  });

  it('two equally good titles refuse the file, naming both', async () => {
    const { config } = vexoraConfig();
    const refs = [ref('TIE', 1)];
    const lines = [[...AR_HEADER, 'Comment', 'Remarks'].join(','), [...arRow(refs[0]!, 0), 'a', 'b'].join(',')];
    const r = await runCli(['run', write('tie.csv', lines.join('\n') + '\n'), '--config', config, '--json']);
    expect(r.code).toBe(1);
    const errors = await readCsv(batchOf(r.stdout).reports.errors_csv);
    const header = errors.find((e) => e.rule === 'header')!;
    expect(header.message).toContain('"Comment" (column I)');
    expect(header.message).toContain('"Remarks" (column J)');
    expect(await created(refs)).toEqual([]);
  });
});

describe('identifiers Excel stored as numbers', () => {
  it('an 18-digit account number Excel kept as 880123456789012000 is refused naming the cell, and nothing is paid', async () => {
    const { config } = vexoraConfig();
    const refs = [ref('XD', 1), ref('XD', 2)];
    const damaged = arRow(refs[1]!, 1);
    damaged[3] = 880123456789012345; // typed into a General cell: Excel keeps 8.80123456789012E+17
    const r = await runCli(['run', write('damaged.xlsx', await xlsx([AR_HEADER, arRow(refs[0]!, 0), damaged])), '--config', config, '--json']);
    expect(r.code).toBe(1); // a file with an invalid row is rejected (onInvalidRows: reject-file)
    const errors = await readCsv(batchOf(r.stdout).reports.errors_csv);
    expect(errors).toEqual([
      // The value as Excel holds it (880123456789012000), masked like every account number in a report.
      expect.objectContaining({ file: 'damaged.xlsx', row: '3', column: 'account_number', value: '****2000', rule: 'excel-damaged' }),
    ]);
    expect(errors[0]!.message).toContain('keeps only 15');
    expect(await created(refs)).toEqual([]);
  });
});

describe('XLSX amounts computed by formulas', () => {
  it('a formula total is the amount Excel shows: 0.1*3*1000 pays 300, not "too many decimals"', async () => {
    const { config } = vexoraConfig();
    const refs = [ref('FX', 1)];
    const r = await runCli(['run', write('formula.xlsx', await xlsx([AR_HEADER, arRow(refs[0]!, 0, { formula: '0.1*3*1000', result: 0.1 * 3 * 1000 })])), '--config', config, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = await readCsv(batchOf(r.stdout).reports.results_csv);
    expect(results[0]).toMatchObject({ payout_status: 'succeeded', paid_amount: '300.00' });
    const paid = (await sandbox.payouts()).find((p) => p.reference === refs[0]) as unknown as { amount: string };
    expect(paid.amount).toMatch(/^300(\.00?)?$/);
  });

  it('13.750000000000002 is 13.75 USD, while 13.755 (shown as 13.76) is still refused', async () => {
    const { config } = embeddedConfig('paystar');
    const header = ['reference', 'amount', 'currency', 'field.cardNumber', 'field.bankName', 'field.email'];
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(header);
    ws.addRow([ref('PS', 1), { formula: '5.5*2.5', result: 5.5 * 2.5 + 1e-15 }, 'USD', cardEnding('1111', 1), 'Chase', 'a@example.com']);
    ws.addRow([ref('PS', 2), 13.755, 'USD', cardEnding('1111', 2), 'Chase', 'b@example.com']);
    ws.getCell('B3').numFmt = '0.00';
    expect(ws.getCell('B2').result).toBe(13.750000000000002);
    const file = write('usd.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const r = await runCli(['validate', file, '--provider', 'paystar', '--config', config, '--json']);
    expect(r.code).toBe(1);
    const errors = await readCsv(batchOf(r.stdout).reports.errors_csv);
    expect(errors).toEqual([expect.objectContaining({ row: '3', column: 'amount', value: '13.755', rule: 'amount-decimals' })]);
  });
});

describe('a sheet with a header and no payout rows', () => {
  const H = AR_HEADER.join(',');
  const cases: [string, () => Promise<Buffer | string>][] = [
    ['header-only.csv', async () => H],
    ['header-newline.csv', async () => `${H}\r\n`],
    ['header-blank-lines.csv', async () => `${H}\n\n,,,\n  \n`],
    ['header-only.xlsx', () => xlsx([AR_HEADER])],
    ['header-blank-rows.xlsx', () => xlsx([AR_HEADER, [], ['', ' ', ''], []])],
  ];

  it('is refused by run as a whole (exit 2), with the errors file beside the kept sheet', async () => {
    const { config, work } = embeddedConfig('vexora');
    for (const [name, content] of cases) {
      const r = await runCli(['run', write(name, await content()), '--config', config, '--json']);
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 2, stderr: '' });
      const b = batchOf(r.stdout);
      expect(b).toMatchObject({ state: 'rejected', rows: 0 });
      const beside = path.join(work, 'rejected', name.replace(/\.(csv|xlsx)$/, '.errors.csv'));
      expect(fs.existsSync(path.join(work, 'rejected', name))).toBe(true);
      const errors = await readCsv(beside);
      expect(errors).toContainEqual(expect.objectContaining({ file: name, rule: 'empty', message: 'the sheet has a header but no payout rows' }));
    }
  }, 120_000);

  it('is refused by validate too (exit 2), saying so', async () => {
    const { config } = embeddedConfig('vexora');
    for (const [name, content] of [cases[1]!, cases[3]!]) {
      const r = await runCli(['validate', write(`v-${name}`, await content()), '--config', config]);
      expect({ name, code: r.code }).toEqual({ name, code: 2 });
      expect(r.stdout).toContain('the sheet has a header but no payout rows');
    }
  }, 60_000);
});
