// The shipped sample sheets: every row passes the Yuansfer row rules, and the CSV pays end to end against
// the sandbox (one failure, one return after success, the repeated payee registered once).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { matchHeaders } from '../../src/sheet/headers.ts';
import type { PayoutRequest, ProviderAdapter } from '../../src/providers/types.ts';
import { parseAmountMinor } from '../../src/providers/yuansfer/amount.ts';
import { createAdapter } from '../../src/providers/yuansfer/client.ts';
import { yuansferProvider } from '../../src/providers/yuansfer/index.ts';
import { customerCode } from '../../src/providers/yuansfer/payee.ts';
import { startYuansferSandbox, type YuansferSandboxHandle } from '../../src/providers/yuansfer/sandbox.ts';
import { yuansferConfigSchema } from '../../src/providers/yuansfer/schema.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../samples');
const config = yuansferConfigSchema.parse({ baseUrl: 'sandbox', merchantNo: '202333', storeNo: '301854', token: 'sample-token' });
const rules = yuansferProvider.rowRules(config);
const aliases = Object.fromEntries(rules.columns.filter((c) => c.aliases).map((c) => [c.name, c.aliases!]));

function toRows(header: string[], body: string[][]): Record<string, string>[] {
  const match = matchHeaders(header, aliases);
  expect(match.problems).toEqual([]);
  expect(match.unknown).toEqual([]);
  return body.map((cells) => {
    const row: Record<string, string> = {};
    for (const [name, index] of match.columns) {
      const v = (cells[index] ?? '').trim();
      if (v !== '') row[name] = v;
    }
    return row;
  });
}

function readCsv(): Record<string, string>[] {
  const records = parse(fs.readFileSync(path.join(SAMPLES, 'yuansfer-payouts.csv')), { bom: true }) as string[][];
  return toRows(records[0]!, records.slice(1));
}

async function readXlsx(): Promise<Record<string, string>[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path.join(SAMPLES, 'yuansfer-payouts.xlsx'));
  const ws = wb.getWorksheet('Payouts')!;
  const grid: string[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    for (let c = 1; c <= ws.columnCount; c++) {
      const v = row.getCell(c).value;
      cells.push(v === null || v === undefined ? '' : String(v));
    }
    grid.push(cells);
  });
  return toRows(grid[0]!, grid.slice(1));
}

describe('yuansfer sample sheets', () => {
  it('every CSV row passes the row rules', () => {
    const rows = readCsv();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const row of rows) {
      const amountMinor = parseAmountMinor(row.amount);
      expect(amountMinor).toBeDefined();
      expect(rules.check(row, { currency: row.currency ?? 'USD', amountMinor: amountMinor! })).toEqual([]);
    }
    expect(rows.some((r) => r.account_number?.endsWith('0002'))).toBe(true);
    expect(rows.some((r) => r.customer_no && r.account_token)).toBe(true);
  });

  it('the XLSX holds the same rows, identifiers as text', async () => {
    const xlsx = await readXlsx();
    const csv = readCsv();
    expect(xlsx.map(({ amount: _a, ...rest }) => rest)).toEqual(csv.map(({ amount: _a, ...rest }) => rest));
    expect(xlsx.map((r) => parseAmountMinor(r.amount))).toEqual(csv.map((r) => parseAmountMinor(r.amount)));
  });
});

describe('yuansfer sample paid end to end against the sandbox', () => {
  let sandbox: YuansferSandboxHandle;
  let adapter: ProviderAdapter;
  beforeAll(async () => {
    sandbox = await startYuansferSandbox({ credentials: {}, settings: { settleAfterSeconds: 0.2, reverseAfterSeconds: 0.2 } });
    const creds = Object.fromEntries(yuansferProvider.credentials.map((c) => [c.key, c.sandboxValue]));
    adapter = createAdapter(yuansferConfigSchema.parse({ baseUrl: sandbox.url, ...creds }), { log: silentLogger() });
  });
  afterAll(async () => sandbox.close());

  it('pays every row once; the failure, the return and the repeated payee come out as expected', async () => {
    const rows = readCsv();
    const cache = new Map<string, Record<string, string>>();
    const payouts: PayoutRequest[] = [];
    for (const [i, row] of rows.entries()) {
      const amountMinor = parseAmountMinor(row.amount)!;
      const p: PayoutRequest = {
        payoutId: `s-${i}`, batchId: 'sample', rowNumber: i + 2, merchantReference: row.reference!, amountMinor,
        amount: row.amount!, currency: 'USD', fields: row, extra: {}, additional: {},
      };
      const key = adapter.payeeKey!(p);
      let prepared = key ? cache.get(key) : undefined;
      if (!prepared) {
        const result = await adapter.prepare!(p);
        expect(result.kind).toBe('ready');
        if (result.kind !== 'ready') return;
        prepared = result.prepared;
        if (key) cache.set(key, prepared);
      }
      payouts.push({ ...p, prepared });
    }
    for (const p of payouts) expect((await adapter.submit(p)).kind).toBe('accepted');

    const final = new Map<string, string>();
    const deadline = Date.now() + 5000;
    while (final.size < payouts.length && Date.now() < deadline) {
      for (const p of payouts) {
        const q = await adapter.query(p);
        // the 0004 row passes through succeeded on its way to reversed: wait for it
        const done = q.kind === 'status' && q.reading.canonical !== 'pending' && !(p.fields.account_number?.endsWith('0004') && q.reading.canonical === 'succeeded');
        if (done && q.kind === 'status') final.set(p.merchantReference, q.reading.canonical);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Object.fromEntries(final)).toEqual({
      'YS-2026-1101': 'succeeded',
      'YS-2026-1102': 'succeeded',
      'YS-2026-1103': 'failed',
      'YS-2026-1104': 'succeeded',
      'YS-2026-1105': 'reversed',
      'YS-2026-1106': 'succeeded',
      'YS-2026-1107': 'succeeded',
    });
    expect(sandbox.server.ledger.stats().maxCreatedPerReference).toBe(1);
    expect(sandbox.payeeStats().registrations[customerCode(rows[0]!)]).toBe(1);
    expect(sandbox.payeeStats().registrations['EMP-2207']).toBe(1);
  });
});
