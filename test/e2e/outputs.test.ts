// Issue 6, promise 10: outputs are never half-written. PAYBATCH_CRASH_AT=during-report-writing:1 kills the
// process (SIGKILL) half-way through streaming the rows into the reports: no file under a final name is
// partial (absent, or the previous complete one), and `paybatch report <batch>` regenerates files identical
// to the ones a normal run wrote (CSV bytes; XLSX sheet XML and cell values, zip timestamps aside).
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, startSandboxProcess, tempDir, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { paybatchConfig, providerSheet, readZip, refFor } from '../helpers/sheets.ts';

const CRASH = { PAYBATCH_CRASH_AT: 'during-report-writing:1' };
const FINAL = ['results.csv', 'results.xlsx', 'reconciliation.csv', 'reconciliation.xlsx'] as const;
const ROWS = 40;
let dir: string;
let sandbox: SandboxProcess;

beforeAll(async () => {
  dir = tempDir('paybatch-outputs-');
  const cfg = writeJson(path.join(dir, 'sandbox.json'), { providers: { vexora: { sandbox: { settleAfterSeconds: 0.3 } } } });
  sandbox = await startSandboxProcess('vexora', cfg);
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
});

function setup(name: string): { work: string; cfg: string; file: string } {
  const work = path.join(dir, name);
  const cfg = writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, { vexora: { url: sandbox.url } }));
  const file = path.join(dir, `${name}.csv`);
  // Every 7th row fails at the bank: the reconciliation has exception lines too.
  fs.writeFileSync(file, providerSheet('vexora', Array.from({ length: ROWS }, (_, i) => ({ ref: refFor('vexora', name.slice(0, 6), i), ending: i % 7 === 6 ? '0002' : '1111' }))));
  return { work, cfg, file };
}

function snapshot(reports: string): Map<string, Buffer> {
  return new Map(FINAL.filter((f) => fs.existsSync(path.join(reports, f))).map((f) => [f, fs.readFileSync(path.join(reports, f))]));
}

/** The parts of an XLSX that carry content (sheets, shared strings, styles, workbook), not zip metadata. */
function xlsxParts(bytes: Buffer): Record<string, string> {
  return Object.fromEntries(
    [...readZip(bytes)]
      .filter(([name]) => name.startsWith('xl/') && name.endsWith('.xml'))
      .map(([name, data]) => [name, data.toString('utf8')]),
  );
}

/** Every cell value of every worksheet, read back with exceljs. */
async function cellValues(bytes: Buffer): Promise<Record<string, unknown[][]>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as never);
  const out: Record<string, unknown[][]> = {};
  wb.eachSheet((ws) => {
    const rows: unknown[][] = [];
    ws.eachRow({ includeEmpty: true }, (row) => rows.push((row.values as unknown[]).slice(1)));
    out[ws.name] = rows;
  });
  return out;
}

/** Asserts a file under a final name is whole: CSVs parse with every row, XLSX files open. */
async function assertWhole(reports: string, file: (typeof FINAL)[number]): Promise<void> {
  const p = path.join(reports, file);
  if (file === 'results.csv') expect((await readCsv(p)).length).toBe(ROWS);
  else if (file === 'reconciliation.csv') expect((await readCsv(p)).some((l) => l.section === 'invariant')).toBe(true);
  else expect(Object.keys(await cellValues(fs.readFileSync(p))).length).toBeGreaterThan(0);
}

function batchIdOf(work: string): string {
  const reports = fs.readdirSync(path.join(work, 'reports')).filter((d) => /^\d{8}-[0-9a-f]+$/.test(d));
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

describe('promise 10: outputs never half-written', () => {
  it('`paybatch report` regenerates files identical to the ones a normal run wrote', async () => {
    const { work, cfg, file } = setup('normal');
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(1); // some rows failed
    const b = JSON.parse(r.stdout).batches[0];
    const reports = path.join(work, 'reports', b.id);
    const written = snapshot(reports);
    expect([...written.keys()]).toEqual([...FINAL]);
    for (const f of FINAL) await assertWhole(reports, f);

    const again = await runCli(['report', b.id, '--config', cfg, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const regenerated = snapshot(reports);
    expect(regenerated.get('results.csv')!.equals(written.get('results.csv')!)).toBe(true);
    expect(regenerated.get('reconciliation.csv')!.equals(written.get('reconciliation.csv')!)).toBe(true);
    for (const f of ['results.xlsx', 'reconciliation.xlsx'] as const) {
      expect(xlsxParts(regenerated.get(f)!), f).toEqual(xlsxParts(written.get(f)!));
      expect(await cellValues(regenerated.get(f)!), f).toEqual(await cellValues(written.get(f)!));
    }
    // Nothing else was left behind (temp files, spools).
    expect(fs.readdirSync(reports).sort()).toEqual([...FINAL].sort());
  }, 90_000);

  it('killed while writing the first reports: no partial file under a final name; `report` then writes them whole', async () => {
    const { work, cfg, file } = setup('crash-first');
    const r = await runCli(['run', file, '--config', cfg], { env: CRASH });
    expect(r.signal).toBe('SIGKILL');
    const id = batchIdOf(work);
    const reports = path.join(work, 'reports', id);
    // Each final name is absent or whole (here: absent, the crash came before any rename).
    for (const f of FINAL) if (fs.existsSync(path.join(reports, f))) await assertWhole(reports, f);
    expect(fs.existsSync(path.join(reports, 'results.csv'))).toBe(false);
    const leftovers = fs.readdirSync(reports);
    expect(leftovers.every((n) => n.startsWith('.') && n.endsWith('.tmp'))).toBe(true); // only temp names

    const status = JSON.parse((await runCli(['status', id, '--config', cfg, '--json'])).stdout).batches[0];
    expect(status.state).toBe('completed'); // the payouts were all final before the reports were written
    const report = await runCli(['report', id, '--config', cfg, '--json']);
    expect(report.code, report.stderr).toBe(0);
    for (const f of FINAL) await assertWhole(reports, f);
    expect(fs.readdirSync(reports).sort()).toEqual([...FINAL].sort()); // the dead writer's temp files are gone
    const results = await readCsv(path.join(reports, 'results.csv'));
    expect(results.filter((x) => x.payout_status === 'failed')).toHaveLength(Math.floor(ROWS / 7));
    expect(results.filter((x) => x.payout_status === 'succeeded')).toHaveLength(ROWS - Math.floor(ROWS / 7));
  }, 90_000);

  it('killed while rewriting existing reports: the previous complete files stay under the final names', async () => {
    const { work, cfg, file } = setup('crash-rewrite');
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const id = JSON.parse(r.stdout).batches[0].id;
    const reports = path.join(work, 'reports', id);
    const before = snapshot(reports);

    for (const args of [['report', id], ['run', file]]) {
      const killed = await runCli([...args, '--config', cfg], { env: CRASH });
      expect(killed.signal, args.join(' ')).toBe('SIGKILL');
      const after = snapshot(reports);
      expect([...after.keys()]).toEqual([...FINAL]);
      for (const f of FINAL) expect(after.get(f)!.equals(before.get(f)!), `${args[0]}: ${f}`).toBe(true);
    }
    const report = await runCli(['report', id, '--config', cfg]);
    expect(report.code, report.stderr).toBe(0);
    const regenerated = snapshot(reports);
    for (const f of ['results.csv', 'reconciliation.csv'] as const) expect(regenerated.get(f)!.equals(before.get(f)!), f).toBe(true);
    for (const f of ['results.xlsx', 'reconciliation.xlsx'] as const) expect(xlsxParts(regenerated.get(f)!), f).toEqual(xlsxParts(before.get(f)!));
    expect(fs.readdirSync(reports).sort()).toEqual([...FINAL].sort());
  }, 90_000);
});
