// Issue 10, cases 6 (second half) and 7: the report writer cannot fail a batch whose payouts exist. An XLSX
// that cannot be written leaves the CSV reports; a reports folder that cannot be written leaves the batch
// paid, visibly without its reports, and the next run writes them. The real CLI and the embedded sandbox.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { readCsv, runCli, tempDir, vexoraSheet, writeJson } from '../helpers/cli.ts';
import { paybatchConfig } from '../helpers/sheets.ts';

const dir = tempDir('paybatch-reports-fail-');

interface StatusBatch {
  id: string;
  state: string;
  counts: Record<string, number>;
  reports: Record<string, string | null>;
  reports_error?: string | null;
}

/** A work folder with its journal already made (as after any earlier run), a sheet, and the id its batch will get. */
async function setup(name: string, rows: number): Promise<{ cfg: string; work: string; file: string; batchId: string; reports: string }> {
  const work = path.join(dir, name);
  const cfg = writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, { vexora: { url: 'sandbox' } }));
  const first = await runCli(['status', '--config', cfg]);
  expect(first.code, first.stderr).toBe(0);
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, vexoraSheet(rows, { prefix: name.toUpperCase() }));
  // Batch ids are the UTC day and the first 8 hex digits of the sheet's SHA-256 (engine/batch.ts).
  const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const batchId = `${DateTime.utc().toFormat('yyyyMMdd')}-${sha.slice(0, 8)}`;
  return { cfg, work, file, batchId, reports: path.join(work, 'reports', batchId) };
}

async function status(cfg: string, batchId: string): Promise<StatusBatch> {
  const r = await runCli(['status', batchId, '--config', cfg, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).batches[0];
}

const logText = (work: string) =>
  fs
    .readdirSync(path.join(work, 'logs'))
    .map((f) => fs.readFileSync(path.join(work, 'logs', f), 'utf8'))
    .join('\n');

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |unexpected error/);

describe('case 6: an XLSX that cannot be written still leaves the CSV reports', () => {
  it('results.xlsx blocked: the payouts are paid, results.csv and reconciliation.csv are written, the error is in the log and in status --json (reports_error)', async () => {
    const { cfg, work, file, batchId, reports } = await setup('xlsx-blocked', 4);
    // Something already stands where results.xlsx goes (a folder a colleague made, say): it cannot be renamed into place.
    fs.mkdirSync(path.join(reports, 'results.xlsx'), { recursive: true });
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    noStack(r.stderr);
    expect(r.code, r.stderr).toBe(0); // every row paid
    const b = JSON.parse(r.stdout).batches[0] as StatusBatch;
    expect(b).toMatchObject({ id: batchId, state: 'completed', counts: { succeeded: 4 } });

    const results = await readCsv(path.join(reports, 'results.csv'));
    expect(results.map((x) => x.payout_status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect((await readCsv(path.join(reports, 'reconciliation.csv'))).length).toBeGreaterThan(0);

    const s = await status(cfg, batchId);
    expect(s.reports.results_csv).toBe(path.join(reports, 'results.csv'));
    expect(s.reports.reconciliation_csv).toBe(path.join(reports, 'reconciliation.csv'));
    expect(s.reports.results_xlsx).toBeNull();
    expect(s.reports_error).toMatch(/results\.xlsx/);
    expect(logText(work)).toMatch(/XLSX reports not written \(the CSV reports were\): results\.xlsx/);

    // Once the obstacle is gone, `paybatch report` writes the workbook and the error is cleared.
    fs.rmdirSync(path.join(reports, 'results.xlsx'));
    const again = await runCli(['report', batchId, '--config', cfg, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.statSync(path.join(reports, 'results.xlsx')).isFile()).toBe(true);
    expect((await status(cfg, batchId)).reports_error).toBeNull();
  });
});

describe('case 7: a reports folder that cannot be written', () => {
  it('missing reports folder (a dangling mount link): payouts succeed without a stack trace, status says the reports are missing, and the next run-once writes them', async () => {
    const { cfg, work, file, batchId, reports } = await setup('reports-missing', 3);
    // reports/<batch> is a link to a mount that is not there.
    fs.symlinkSync(path.join(dir, 'not-mounted', 'reports'), reports);
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    noStack(r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).batches[0]).toMatchObject({ id: batchId, state: 'completed', counts: { succeeded: 3 } });
    expect(r.stderr).toMatch(/reports not written/);

    const s = await status(cfg, batchId);
    expect(s.reports.results_csv).toBeNull();
    expect(s.reports_error).toMatch(/^reports not written: /);
    const human = await runCli(['status', '--config', cfg]);
    expect(human.stdout).toMatch(new RegExp(`reports not written: .*the next run-once or watch writes them \\(or now: paybatch report ${batchId}\\)`));
    expect(logText(work)).toMatch(/reports not written/);

    // Asked for explicitly while the folder is still missing: one line, exit 2.
    const asked = await runCli(['report', batchId, '--config', cfg]);
    expect(asked.code).toBe(2);
    noStack(asked.stderr);
    expect(asked.stderr).toMatch(/^paybatch: batch .*reports not written/m);

    // The mount is back: the next run-once writes the reports ("nothing to do" would leave them missing).
    fs.rmSync(reports);
    const next = await runCli(['run-once', '--config', cfg, '--json']);
    expect(next.code, next.stderr).not.toBe(2);
    noStack(next.stderr);
    const after = await status(cfg, batchId);
    expect(after.reports_error).toBeNull();
    expect(after.reports.results_csv).toBe(path.join(reports, 'results.csv'));
    expect((await readCsv(path.join(reports, 'results.csv'))).map((x) => x.payout_status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(fs.existsSync(path.join(reports, 'results.xlsx'))).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)('read-only reports folder: the batch is paid and its reports are reported missing', async () => {
    const { cfg, file, batchId } = await setup('reports-readonly', 2);
    const reportsRoot = path.join(dir, 'reports-readonly', 'reports');
    fs.chmodSync(reportsRoot, 0o500);
    try {
      const r = await runCli(['run', file, '--config', cfg, '--json']);
      noStack(r.stderr);
      expect(r.code, r.stderr).toBe(0);
      expect((await status(cfg, batchId)).reports_error).toMatch(/reports not written: EACCES/);
    } finally {
      fs.chmodSync(reportsRoot, 0o700);
    }
  });
});
