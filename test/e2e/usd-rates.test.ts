// Issue 11: a provider's USD rates (StarPago `usdRate`) are a declared capability journaled with the batch,
// so every command that rewrites the reports shows the same USD column. Before, `approve` wrote the
// reconciliation without them, and `report` read whatever the configuration said that day.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, tempDir, writeJson } from '../helpers/cli.ts';
import { paybatchConfig, providerSheet, refFor } from '../helpers/sheets.ts';

let dir: string;

beforeAll(() => {
  dir = tempDir('paybatch-usd-');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The reconciliation's paid-per-status lines that carry a USD equivalent. */
async function usdLines(reports: string): Promise<Record<string, string>[]> {
  const lines = await readCsv(path.join(reports, 'reconciliation.csv'));
  return lines.filter((l) => l.currency !== 'USD' && l.usd_amount !== '' && l.usd_amount !== undefined);
}

describe('usdRate journaled with the batch', () => {
  it('held, approved, paid and rewritten by `report` after the rate left the configuration: the USD column stays the same', async () => {
    const work = path.join(dir, 'work');
    const refs = [1, 2].map((i) => refFor('starpago', 'USDRATE', i));
    const file = path.join(dir, 'payouts.csv');
    fs.writeFileSync(file, providerSheet('starpago', refs.map((ref) => ({ ref, amount: '100.00' }))));
    const withRate = paybatchConfig(work, { starpago: { url: 'sandbox', block: { usdRate: { MXN: '0.05' } } } }, { limits: { maxRows: 1 } });
    const cfg = writeJson(path.join(dir, 'with-rate.json'), withRate);

    const held = await runCli(['run', file, '--config', cfg, '--json']);
    expect(held.code, held.stderr).toBe(3);
    const batch = JSON.parse(held.stdout).batches[0] as { id: string; state: string };
    expect(batch.state).toBe('held');
    const reports = path.join(work, 'reports', batch.id);
    const atHold = await usdLines(reports);
    expect(atHold.length).toBeGreaterThan(0);
    // 200.00 MXN in the file at 0.05 = 10.00 USD.
    expect(atHold.map((l) => l.usd_amount)).toContain('10.00');

    const approve = await runCli(['approve', batch.id, '--config', cfg]);
    expect(approve.code, approve.stderr).toBe(0);
    // approve rewrote the reports: the USD column is still there.
    expect((await usdLines(reports)).length).toBe(atHold.length);

    const paid = await runCli(['run-once', '--config', cfg, '--json']);
    expect(paid.code, paid.stderr).toBe(0);
    expect(JSON.parse(paid.stdout).batches[0]).toMatchObject({ id: batch.id, state: 'completed', counts: { succeeded: 2 } });
    const afterPaid = await usdLines(reports);
    expect(afterPaid.length).toBeGreaterThan(0);

    // The rate is gone from the configuration: the batch keeps the rates it was read with.
    const { usdRate: _dropped, ...block } = (withRate.providers as Record<string, Record<string, unknown>>).starpago!;
    const cfgNoRate = writeJson(path.join(dir, 'no-rate.json'), { ...withRate, providers: { starpago: block } });
    const rewritten = await runCli(['report', batch.id, '--config', cfgNoRate]);
    expect(rewritten.code, rewritten.stderr).toBe(0);
    expect(await usdLines(reports)).toEqual(afterPaid);
  });
});
