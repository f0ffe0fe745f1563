// Issue 14, controls (DESIGN §12), as finance and operations meet them through the CLI: approval of every
// batch, four eyes between who released a file and who approves it, cancel (held and mid-run, from another
// process), a daily cap per provider and currency, and the archive day of the configured timezone. The real
// CLI against a Vexora sandbox in its own process; real files, the sandbox's own ledger as the witness.
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, spawnCli, startSandboxProcess, tempDir, waitFor, writeJson, type CliResult, type SandboxProcess } from '../helpers/cli.ts';
import { paybatchConfig, providerSheet, refFor, sandboxConfig, sandboxStats, type RowSpec } from '../helpers/sheets.ts';
import { openJournal } from '../helpers/providers.ts';
import { Journal } from '../../src/journal/store.ts';
import { sha256File } from '../../src/intake/identity.ts';
import { osUser } from '../../src/engine/controls.ts';

let dir: string;
let sandbox: SandboxProcess;

beforeAll(async () => {
  dir = tempDir('paybatch-controls-');
  sandbox = await startSandboxProcess('vexora', writeJson(path.join(dir, 'sandbox.json'), sandboxConfig({ vexora: {} })));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

interface BatchJson {
  id: string;
  state: string;
  rows: number;
  counts: Record<string, number>;
  reports: Record<string, string | null>;
  notes: string[];
}

const batches = (r: CliResult): BatchJson[] => {
  try {
    return (JSON.parse(r.stdout) as { batches: BatchJson[] }).batches;
  } catch {
    throw new Error(`not a JSON document (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
};
const only = (r: CliResult): BatchJson => {
  const all = batches(r);
  expect(all, r.stderr).toHaveLength(1);
  return all[0]!;
};

/**
 * A work folder and its config on the Vexora sandbox process. The duplicate-payment window is off: these sheets
 * pay the same test accounts the same amounts on purpose, and that hold is not what is tested here.
 */
function setup(name: string, extra: Record<string, unknown>, block: Record<string, unknown> = {}): { work: string; cfg: string } {
  const work = path.join(dir, `${name}-work`);
  const cfg = writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, { vexora: { url: sandbox.url, block } }, { duplicateWindowDays: 0, ...extra }));
  return { work, cfg };
}

function sheet(name: string, tag: string, n: number, amount?: string): { file: string; refs: string[] } {
  const refs = Array.from({ length: n }, (_, i) => refFor('vexora', tag, i + 1));
  const file = path.join(dir, name);
  fs.writeFileSync(file, providerSheet('vexora', refs.map((ref): RowSpec => ({ ref, ...(amount ? { amount } : {}) }))));
  return { file, refs };
}

async function createRequests(refs: readonly string[]): Promise<number[]> {
  const sent = (await sandboxStats(sandbox.url)).createRequests;
  return refs.map((ref) => sent[ref] ?? 0);
}

function batchEvents(work: string, batchId: string, type: string): { from: string | null; to: string | null; detail: unknown }[] {
  const journal = new Journal(path.join(work, 'journal.sqlite'));
  try {
    return journal.eventsOf({ batchId, type });
  } finally {
    journal.close();
  }
}

function batchRecord(work: string, batchId: string) {
  const journal = new Journal(path.join(work, 'journal.sqlite'));
  try {
    return journal.getBatch(batchId)!;
  } finally {
    journal.close();
  }
}

const ALWAYS = { approval: { required: 'always', fourEyes: false } };
const FOUR_EYES = { approval: { required: 'always', fourEyes: true } };

describe('approval.required "always"', () => {
  it('holds a sheet within limits until approved (exit 3, nothing sent); approve --by releases it and it is paid once', async () => {
    const { cfg, work } = setup('always', ALWAYS);
    const { file, refs } = sheet('always.csv', 'AL', 3);
    const r = await runCli(['run', file, '--by', 'ana', '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(3);
    const held = only(r);
    expect(held.state).toBe('held');
    expect(held.notes.join(' ')).toMatch(/held: approval is required for every batch \(approval\.required: "always"\)/);
    expect(await createRequests(refs)).toEqual([0, 0, 0]);
    expect(batchRecord(work, held.id)).toMatchObject({ releasedBy: 'ana', releasedOsUser: osUser(), releasedAt: null });

    const approve = await runCli(['approve', held.id, '--by', 'maria', '--note', 'checked against the payroll', '--config', cfg]);
    expect(approve.code, approve.stderr).toBe(0);
    const go = await runCli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    expect(only(go)).toMatchObject({ id: held.id, state: 'completed', counts: { succeeded: 3, pending: 0, cancelled: 0 } });
    expect(await createRequests(refs)).toEqual([1, 1, 1]);
    const approved = batchEvents(work, held.id, 'batch-approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]!.detail).toMatchObject({ by: 'maria', osUser: osUser(), via: 'cli', note: 'checked against the payroll' });
    expect(batchRecord(work, held.id).releasedAt).not.toBeNull();
  }, 90_000);
});

describe('four eyes (approval.fourEyes)', () => {
  it('refuses self-approval by the `run --by` name and by the same OS user under another name (exit 2, nothing sent), each refusal journaled', async () => {
    const { cfg, work } = setup('four-eyes-run', FOUR_EYES);
    const { file, refs } = sheet('four-eyes-run.csv', 'FR', 2);
    const held = only(await runCli(['run', file, '--by', 'ana', '--config', cfg, '--json']));
    expect(held.state).toBe('held');

    const self = await runCli(['approve', held.id, '--by', 'ana', '--config', cfg]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain(`four eyes (approval.fourEyes): ana (OS user ${osUser()}) cannot approve batch ${held.id}, released by ana (OS user ${osUser()}); another person must approve it`);
    // Another name typed by the same OS account is the same person.
    const sameAccount = await runCli(['approve', held.id, '--by', 'Maria', '--config', cfg]);
    expect(sameAccount.code).toBe(2);
    expect(sameAccount.stderr).toMatch(/Maria \(OS user .+\) cannot approve .* released by ana/);
    // Names are compared without regard to case or surrounding spaces.
    expect((await runCli(['approve', held.id, '--by', ' ANA ', '--config', cfg])).code).toBe(2);

    const status = only(await runCli(['status', held.id, '--config', cfg, '--json']));
    expect(status.state).toBe('held');
    expect(await createRequests(refs)).toEqual([0, 0]);
    const refused = batchEvents(work, held.id, 'batch-approval-refused');
    expect(refused).toHaveLength(3);
    expect(refused[1]!.detail).toMatchObject({ by: 'Maria', osUser: osUser(), via: 'cli', releasedBy: 'ana', releasedOsUser: osUser() });
    expect(batchEvents(work, held.id, 'batch-approved')).toHaveLength(0);
  }, 60_000);

  it('a console upload is released by the signed-in user: that user is refused, another person approves and it is paid', async () => {
    const { cfg, work } = setup('four-eyes-upload', FOUR_EYES);
    // The work folder and its journal exist before the console writes into them.
    expect((await runCli(['status', '--config', cfg])).code).toBe(0);
    const { file, refs } = sheet('upload.csv', 'FU', 2);
    const journal = new Journal(path.join(work, 'journal.sqlite'));
    try {
      // What the console does before it drops an upload into the inbox (engine/controls.ts uploaderKey).
      journal.claimMeta(`uploader:${(await sha256File(file)).sha256}`, 'carla');
    } finally {
      journal.close();
    }
    fs.copyFileSync(file, path.join(work, 'inbox', 'upload.csv'));
    const held = only(await runCli(['run-once', '--config', cfg, '--json']));
    expect(held.state).toBe('held');
    expect(batchRecord(work, held.id)).toMatchObject({ releasedBy: 'carla', releasedOsUser: null });

    const self = await runCli(['approve', held.id, '--by', 'carla', '--config', cfg]);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/carla \(OS user .+\) cannot approve .* released by carla; another person must approve it/);
    expect(await createRequests(refs)).toEqual([0, 0]);

    const other = await runCli(['approve', held.id, '--by', 'maria', '--config', cfg]);
    expect(other.code, other.stderr).toBe(0);
    const go = await runCli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    expect(only(go)).toMatchObject({ id: held.id, state: 'completed', counts: { succeeded: 2 } });
    expect(await createRequests(refs)).toEqual([1, 1]);
  }, 90_000);

  it.skipIf(process.getuid?.() !== 0)('an inbox sheet is released by its owner: that OS user is refused, another person approves and it is paid', async () => {
    const { cfg, work } = setup('four-eyes-owner', FOUR_EYES);
    expect((await runCli(['status', '--config', cfg])).code).toBe(0);
    const { file, refs } = sheet('owned.csv', 'FO', 2);
    const dropped = path.join(work, 'inbox', 'owned.csv');
    fs.copyFileSync(file, dropped);
    fs.chownSync(dropped, 65534, 65534); // dropped by another OS account (nobody)
    const held = only(await runCli(['run-once', '--config', cfg, '--json']));
    expect(held.state).toBe('held');
    const owner = batchRecord(work, held.id).releasedBy!;
    expect(owner).toMatch(/^(nobody|uid:65534)$/);
    expect(batchRecord(work, held.id).releasedOsUser).toBe(owner);

    const self = await runCli(['approve', held.id, '--by', owner, '--config', cfg]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain(`released by ${owner} (OS user ${owner})`);
    const other = await runCli(['approve', held.id, '--by', 'maria', '--config', cfg]);
    expect(other.code, other.stderr).toBe(0);
    const go = await runCli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    expect(only(go).counts.succeeded).toBe(2);
    expect(await createRequests(refs)).toEqual([1, 1]);
  }, 90_000);
});

describe('cancel', () => {
  it('a held batch: every row cancelled in results.csv and --json, exit 1, nothing sent; journaled with who and why; final', async () => {
    const { cfg, work } = setup('cancel-held', ALWAYS);
    const { file, refs } = sheet('cancel-held.csv', 'CH', 3);
    const held = only(await runCli(['run', file, '--config', cfg, '--json']));
    expect(held.state).toBe('held');

    expect((await runCli(['cancel', held.id, '--by', 'ops', '--config', cfg])).code).toBe(2); // --note is required
    const cancel = await runCli(['cancel', held.id, '--by', 'ops', '--note', 'wrong file: sent twice by HR', '--config', cfg, '--json']);
    expect(cancel.code, cancel.stderr).toBe(1);
    const done = only(cancel);
    expect(done).toMatchObject({ id: held.id, state: 'cancelled', counts: { cancelled: 3, pending: 0, succeeded: 0 } });
    const results = await readCsv(done.reports.results_csv!);
    expect(results.map((x) => x.payout_status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(results[0]!.error_message).toBe('cancelled before it was sent: wrong file: sent twice by HR (by ops)');
    const recon = await readCsv(done.reports.reconciliation_csv!);
    expect(recon.find((l) => l.section === 'batch' && l.item === 'state')?.detail).toBe('cancelled');

    // Final, so its sheet is archived like a completed one's (`run` copies it).
    expect(fs.readdirSync(path.join(work, 'archive', DateTime.utc().toFormat('yyyy-MM-dd')))).toContain('cancel-held.csv');

    const cancelled = batchEvents(work, held.id, 'batch-cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.detail).toMatchObject({ by: 'ops', osUser: osUser(), via: 'cli', note: 'wrong file: sent twice by HR' });

    // Final: run-once sends nothing, approve and a second cancel are refused, status says cancelled (exit 1 there too).
    const again = await runCli(['run-once', '--config', cfg, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli(['approve', held.id, '--config', cfg])).code).toBe(2);
    const twice = await runCli(['cancel', held.id, '--by', 'ops', '--note', 'again', '--config', cfg]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already cancelled/);
    expect(only(await runCli(['status', held.id, '--config', cfg, '--json']))).toMatchObject({ state: 'cancelled', counts: { cancelled: 3 } });
    expect((await runCli(['run', file, '--config', cfg, '--json'])).code).toBe(1);
    expect(await createRequests(refs)).toEqual([0, 0, 0]);
  }, 90_000);

  it('a batch the provider held mid-run (balance): rows never sent are cancelled, the one sent is followed to its end, then the batch is cancelled', async () => {
    // A Yuansfer account with funds for one 10.00 payout, which settles slowly: held with that payout still open.
    const yuansfer = await startSandboxProcess('yuansfer', writeJson(path.join(dir, 'yuansfer-sandbox.json'), sandboxConfig({ yuansfer: { balances: { USD: '15.00' }, settleAfterSeconds: 3 } })));
    try {
      const work = path.join(dir, 'cancel-provider-held-work');
      const cfg = writeJson(
        path.join(dir, 'cancel-provider-held.json'),
        paybatchConfig(work, { yuansfer: { url: yuansfer.url, block: { rate: { perSecond: 50, concurrency: 1 } } } }, { balanceCheck: false, duplicateWindowDays: 0 }),
      );
      const refs = [1, 2, 3].map((i) => refFor('yuansfer', 'CPH', i));
      const file = path.join(dir, 'cancel-provider-held.csv');
      fs.writeFileSync(file, providerSheet('yuansfer', refs.map((ref) => ({ ref, amount: '10.00' }))));
      const held = only(await runCli(['run', file, '--no-wait', '--config', cfg, '--json']));
      expect(held).toMatchObject({ state: 'held', counts: { pending: 3 } });

      const cancel = await runCli(['cancel', held.id, '--by', 'ops', '--note', 'account not funded this week', '--config', cfg, '--json']);
      expect(cancel.code, cancel.stderr).toBe(1);
      // The payout sent before the hold may exist: it is followed, not abandoned (nothing more is sent meanwhile).
      expect(only(cancel)).toMatchObject({ state: 'polling', counts: { cancelled: 2, pending: 1 } });
      expect(only(cancel).notes.join(' ')).toMatch(/nothing more is sent; the rows already sent go on to their final status/);

      const go = await runCli(['run-once', '--config', cfg, '--json']);
      expect(go.code, go.stderr).toBe(1);
      const done = only(go);
      expect(done).toMatchObject({ id: held.id, state: 'cancelled', counts: { succeeded: 1, cancelled: 2, pending: 0 } });
      expect((await readCsv(done.reports.results_csv!)).map((x) => x.payout_status)).toEqual(['succeeded', 'cancelled', 'cancelled']);
      const created = ((await sandboxStats(yuansfer.url)) as unknown as { created: Record<string, number> }).created;
      expect(refs.map((ref) => created[ref] ?? 0)).toEqual([1, 0, 0]);
    } finally {
      await yuansfer.stop();
    }
  }, 120_000);

  it('a completed batch cannot be cancelled (exit 2, nothing changes)', async () => {
    const { cfg } = setup('cancel-completed', {});
    const { file } = sheet('cancel-completed.csv', 'CC', 1);
    const paid = only(await runCli(['run', file, '--config', cfg, '--json']));
    expect(paid.state).toBe('completed');
    const refused = await runCli(['cancel', paid.id, '--by', 'ops', '--note', 'too late', '--config', cfg]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot be cancelled: it is completed/);
    expect(only(await runCli(['status', paid.id, '--config', cfg, '--json']))).toMatchObject({ state: 'completed', counts: { succeeded: 1, cancelled: 0 } });
  }, 60_000);

  /**
   * A batch being paid by another process (`run`, or a `watch` daemon) is cancelled from the command line: that
   * process sends nothing more, the rows it had sent reach their final status, and the batch ends cancelled.
   */
  async function cancelMidRun(kind: 'run' | 'watch'): Promise<void> {
    // Two creates a second, one at a time: the cancel lands while most rows are still to send.
    const { cfg, work } = setup(`cancel-mid-${kind}`, {}, { rate: { perSecond: 2, concurrency: 1 } });
    const { file, refs } = sheet(`cancel-mid-${kind}.csv`, `CM${kind[0]}`, 20);
    if (kind === 'watch') fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
    const child = kind === 'run' ? spawnCli(['run', file, '--config', cfg, '--json']) : spawnCli(['watch', '--config', cfg]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      if (kind === 'watch') {
        await waitFor('watch to start', () => stdout.includes('watching') || undefined, 60_000);
        fs.copyFileSync(file, path.join(work, 'inbox', path.basename(file)));
      }
      await waitFor('the first payouts to be sent', async () => (await createRequests(refs)).filter((n) => n > 0).length >= 2 || undefined, 60_000);
      const batchId = await waitFor('the batch in the journal', () => {
        const journal = openJournal(work);
        try {
          return journal.payout(refs[0]!)?.id.replace(/-\d+$/, '');
        } finally {
          journal.close();
        }
      });

      const cancel = await runCli(['cancel', batchId, '--by', 'ops', '--note', 'amounts are wrong', '--config', cfg, '--json']);
      expect(cancel.code, cancel.stderr).toBe(1);
      const sentAtCancel = (await createRequests(refs)).filter((n) => n > 0).length;
      expect(only(cancel).counts.cancelled).toBeGreaterThan(0);

      const final = await waitFor(
        'the batch to end cancelled',
        async () => {
          const s = only(await runCli(['status', batchId, '--config', cfg, '--json']));
          return s.state === 'cancelled' ? s : undefined;
        },
        60_000,
      );
      if (kind === 'run') {
        expect(await exited, stderr).toBe(1); // the run ends with the cancelled batch's exit code
        expect(batches({ code: 1, signal: null, stdout, stderr })[0]).toMatchObject({ id: batchId, state: 'cancelled' });
      }
      // Every row sent reached its final status, once; none is left open; every other row was never sent.
      const sent = await createRequests(refs);
      expect(Math.max(...sent)).toBeLessThanOrEqual(1);
      const sentCount = sent.filter((n) => n === 1).length;
      // At most the create in flight when the cancel was committed went out after it.
      expect(sentCount).toBeLessThanOrEqual(sentAtCancel + 1);
      expect(final.counts).toMatchObject({ pending: 0, needs_review: 0, succeeded: sentCount, cancelled: 20 - sentCount });
      const results = await readCsv(final.reports.results_csv!);
      results.forEach((row, i) => expect(row.payout_status, refs[i]).toBe(sent[i] === 1 ? 'succeeded' : 'cancelled'));
      expect(batchEvents(work, batchId, 'batch-cancel-completed')).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await createRequests(refs)).toEqual(sent); // and nothing after
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  }

  it('mid-run: the running `run` sends nothing more, rows already sent reach their final status, the batch ends cancelled (exit 1)', () => cancelMidRun('run'), 120_000);

  it('mid-run under a `watch` daemon in another process: the daemon sends nothing more and ends the batch cancelled', () => cancelMidRun('watch'), 120_000);
});

describe('limits.maxDailyTotal', () => {
  it('holds the batch that would take the day past the limit, naming the currency, the day’s total so far and the limit', async () => {
    const zone = 'America/Sao_Paulo';
    const { cfg } = setup('daily', { limits: { maxDailyTotal: { ARS: '1000.00' } }, timezone: zone });
    const first = sheet('daily-1.csv', 'DA', 2, '300.00');
    const second = sheet('daily-2.csv', 'DB', 2, '300.00');
    const r1 = await runCli(['run', first.file, '--config', cfg, '--json']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(only(r1).counts.succeeded).toBe(2);

    const r2 = await runCli(['run', second.file, '--config', cfg, '--json']);
    expect(r2.code, r2.stderr).toBe(3);
    const held = only(r2);
    expect(held.state).toBe('held');
    const today = DateTime.now().setZone(zone).toFormat('yyyy-MM-dd');
    expect(held.notes.join(' ')).toContain(
      `held: ARS released today (${today} ${zone}) for vexora: 600.00 ARS so far, with this batch's 600.00 ARS it would exceed limits.maxDailyTotal 1000.00`,
    );
    expect(await createRequests(second.refs)).toEqual([0, 0]);

    // A person decides: approved, it is paid.
    expect((await runCli(['approve', held.id, '--by', 'maria', '--config', cfg])).code).toBe(0);
    const go = await runCli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    expect(await createRequests(second.refs)).toEqual([1, 1]);

    // Approved batches count towards the day too: the limit is used up, so even a small batch waits now.
    const third = sheet('daily-3.csv', 'DC', 1, '100.00');
    const r3 = only(await runCli(['run', third.file, '--config', cfg, '--json']));
    expect(r3.state).toBe('held');
    expect(r3.notes.join(' ')).toContain('1200.00 ARS so far');
  }, 120_000);
});

describe('timezone', () => {
  it('names the archive folder by the day in the configured zone', async () => {
    // A zone whose date differs from UTC's right now (one of them always does).
    const utc = DateTime.utc().toFormat('yyyy-MM-dd');
    const zone = ['Pacific/Kiritimati', 'Etc/GMT+12'].find((z) => DateTime.now().setZone(z).toFormat('yyyy-MM-dd') !== utc)!;
    const day = DateTime.now().setZone(zone).toFormat('yyyy-MM-dd');
    const { cfg, work } = setup('timezone', { timezone: zone });
    const { file } = sheet('tz.csv', 'TZ', 1);
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(work, 'archive', day, 'tz.csv'))).toBe(true);
    expect(fs.existsSync(path.join(work, 'archive', utc))).toBe(false);
  }, 60_000);
});
