// Issue 6, promises 3–6, as an operator meets them through the CLI: nothing stays pending forever (review and
// resolve), late reversals rewrite the reports, limits and the balance check hold a batch until approved,
// and one process owns a work folder. Real sandboxes in their own processes, real files out.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, spawnCli, startSandboxProcess, tempDir, waitFor, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import {
  PROVIDERS,
  paybatchConfig,
  providerSheet,
  refFor,
  sandboxConfig,
  sandboxForce,
  sandboxPayouts,
  sandboxSettings,
  sandboxStats,
  type ProviderName,
  type ProviderTarget,
} from '../helpers/sheets.ts';
import { moduleOf } from '../helpers/providers.ts';

let dir: string;
const sandboxes = {} as Record<ProviderName, SandboxProcess>;
/** Providers that can reverse a paid payout (their defaults say so): each is checked for late reversals. */
const reversible = PROVIDERS.filter((id) => moduleOf(id).defaults.canReverse);

beforeAll(async () => {
  dir = tempDir('paybatch-ops-');
  // The review and exception scenarios are about Vexora's and StarPago's own states; the rest ask the registry.
  const ids = [...new Set<ProviderName>(['vexora', 'starpago', ...reversible])];
  const cfg = writeJson(path.join(dir, 'sandboxes.json'), sandboxConfig(Object.fromEntries(ids.map((id) => [id, {}]))));
  const started = await Promise.all(ids.map((id) => startSandboxProcess(id, cfg)));
  ids.forEach((id, i) => (sandboxes[id] = started[i]!));
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
});

/** A config file for `work` with the given providers on their sandbox processes. */
function config(name: string, work: string, providers: Partial<Record<ProviderName, Record<string, unknown>>>, extra: Record<string, unknown> = {}): string {
  const targets: Partial<Record<ProviderName, ProviderTarget>> = {};
  for (const [id, block] of Object.entries(providers) as [ProviderName, Record<string, unknown>][])
    targets[id] = { url: sandboxes[id].url, block };
  return writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, targets, extra));
}

function sheetFile(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const json = (stdout: string) => JSON.parse(stdout) as { batches: { id: string; state: string; rows: number; counts: Record<string, number>; reports: Record<string, string | null>; file: string }[] };

function events(work: string, payoutId: string): { type: string; from_status: string | null; to_status: string | null; detail: string | null }[] {
  const db = new Database(path.join(work, 'journal.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT type, from_status, to_status, detail FROM events WHERE payout_id = ? ORDER BY id').all(payoutId) as never;
  } finally {
    db.close();
  }
}

async function logText(work: string): Promise<string> {
  const logs = path.join(work, 'logs');
  return fs
    .readdirSync(logs)
    .filter((f) => f.endsWith('.log'))
    .map((f) => fs.readFileSync(path.join(logs, f), 'utf8'))
    .join('\n');
}

describe('promise 3: nothing pending forever (review and resolve)', () => {
  it('a payout that never settles becomes needs_review at the poll deadline, is listed in review.csv, and only `resolve` (audited) settles it', async () => {
    const work = path.join(dir, 'review-work');
    const cfg = config('review', work, { vexora: { poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.3, deadlineHours: 0.0003 } } });
    const refs = [refFor('vexora', 'RV', 1), refFor('vexora', 'RV', 2)];
    const file = sheetFile('review.csv', providerSheet('vexora', [{ ref: refs[0]!, ending: '1111' }, { ref: refs[1]!, ending: '0003' }]));

    const started = Date.now();
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(3); // rows needing review
    expect(Date.now() - started).toBeLessThan(30_000);
    const b = json(r.stdout).batches[0]!;
    expect(b.state).toBe('completed');
    expect(b.counts).toMatchObject({ succeeded: 1, needs_review: 1, pending: 0 });

    const dirOf = path.join(work, 'reports', b.id);
    const review = await readCsv(path.join(dirOf, 'review.csv'));
    expect(review).toHaveLength(1);
    expect(review[0]).toMatchObject({ row: '3', merchant_reference: refs[1], currency: 'ARS' });
    expect(review[0]!.error_message).toMatch(/deadline/);
    const results = await readCsv(b.reports.results_csv!);
    expect(results.map((x) => x.payout_status)).toEqual(['succeeded', 'needs_review']);

    // No automatic way out: even when the provider settles it later, a new run leaves it for a person.
    expect(await sandboxForce(sandboxes.vexora.url, refs[1]!, 'succeeded')).toBe(200);
    const again = await runCli(['run-once', '--config', cfg, '--json']);
    expect(again.code).toBe(0);
    const still = json((await runCli(['status', b.id, '--config', cfg, '--json'])).stdout).batches[0]!;
    expect(still.counts.needs_review).toBe(1);

    // Usage errors exit 2 and change nothing.
    const payoutId = `${b.id}-3`;
    const noNote = await runCli(['resolve', payoutId, '--as', 'succeeded', '--config', cfg]);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toMatch(/--note/);
    const blankNote = await runCli(['resolve', payoutId, '--as', 'succeeded', '--note', '   ', '--config', cfg]);
    expect(blankNote.code).toBe(2);
    const badAs = await runCli(['resolve', payoutId, '--as', 'paid', '--note', 'x', '--config', cfg]);
    expect(badAs.code).toBe(2);
    const notReview = await runCli(['resolve', `${b.id}-2`, '--as', 'failed', '--note', 'trying to undo a payment', '--config', cfg]);
    expect(notReview.code).toBe(2);
    expect(notReview.stderr).toMatch(/succeeded; only needs_review rows/);
    const unknown = await runCli(['resolve', `${b.id}-99`, '--as', 'failed', '--note', 'x', '--config', cfg]);
    expect(unknown.code).toBe(2);
    expect(events(work, `${b.id}-2`).some((e) => e.type === 'resolved-manually')).toBe(false);

    const note = 'bank statement 2026-11-21 shows the transfer (ticket OPS-42)';
    const ok = await runCli(['resolve', payoutId, '--as', 'succeeded', '--note', note, '--config', cfg, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok.stdout).batches[0]!.counts).toMatchObject({ succeeded: 2, needs_review: 0 });

    // Audited: one append-only event from needs_review with the note.
    const audit = events(work, payoutId).filter((e) => e.type === 'resolved-manually');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ from_status: 'needs_review', to_status: 'succeeded' });
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ as: 'succeeded', note });

    // Reports rewritten: the row is succeeded with the note, review.csv is gone, the totals moved.
    const after = await readCsv(b.reports.results_csv!);
    expect(after.map((x) => x.payout_status)).toEqual(['succeeded', 'succeeded']);
    expect(after[1]!.error_message).toContain(note);
    expect(fs.existsSync(path.join(dirOf, 'review.csv'))).toBe(false);
    const recon = await readCsv(b.reports.reconciliation_csv!);
    expect(recon.find((l) => l.section === 'status' && l.item === 'succeeded')?.rows).toBe('2');
    expect(recon.find((l) => l.section === 'status' && l.item === 'needs_review')?.rows).toBe('0');
    expect(recon.some((l) => l.section === 'exception')).toBe(false);

    // Once resolved it is no longer open to resolve.
    const twice = await runCli(['resolve', payoutId, '--as', 'failed', '--note', 'changed my mind', '--config', cfg]);
    expect(twice.code).toBe(2);
    expect(events(work, payoutId).filter((e) => e.type === 'resolved-manually')).toHaveLength(1);
  }, 90_000);

  it('StarPago EXCEPTION ("transaction abnormal") goes to needs_review at once and is resolved by merchant reference', async () => {
    const work = path.join(dir, 'exception-work');
    const cfg = config('exception', work, { starpago: {} });
    const refs = [refFor('starpago', 'EX', 1), refFor('starpago', 'EX', 2)];
    const file = sheetFile('exception.csv', providerSheet('starpago', [{ ref: refs[0]!, ending: '1111' }, { ref: refs[1]!, ending: '0006' }]));
    const r = await runCli(['run', file, '--config', cfg, '--json', '--provider', 'starpago']);
    expect(r.code, r.stderr).toBe(3);
    const b = json(r.stdout).batches[0]!;
    expect(b.counts).toMatchObject({ succeeded: 1, needs_review: 1 });
    const review = await readCsv(path.join(work, 'reports', b.id, 'review.csv'));
    expect(review).toEqual([expect.objectContaining({ merchant_reference: refs[1], raw_status: 'EXCEPTION' })]);

    const note = 'StarPago support confirmed the transfer was cancelled (case 7781)';
    const ok = await runCli(['resolve', refs[1]!, '--as', 'failed', '--note', note, '--config', cfg]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/resolved as failed; reports rewritten/);
    const results = await readCsv(b.reports.results_csv!);
    expect(results.map((x) => x.payout_status)).toEqual(['succeeded', 'failed']);
    expect(fs.existsSync(path.join(work, 'reports', b.id, 'review.csv'))).toBe(false);
    const recon = await readCsv(b.reports.reconciliation_csv!);
    expect(recon.filter((l) => l.section === 'exception').map((l) => l.item)).toEqual(['failed']);
    const audit = events(work, `${b.id}-3`).filter((e) => e.type === 'resolved-manually');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ from_status: 'needs_review', to_status: 'failed' });
  }, 60_000);
});

describe('promise 4: late reversals re-checked by run-once', () => {
  for (const provider of reversible) {
    it(`${provider}: a paid payout reversed later turns reversed within the window, throttled by reversalCheckEveryMinutes`, async () => {
      const sandbox = sandboxes[provider];
      const work = path.join(dir, `reversal-${provider}`);
      const refs = [refFor(provider, 'LR', 1), refFor(provider, 'LR', 2)];
      const rows = [{ ref: refs[0]!, ending: '1111' }, { ref: refs[1]!, ending: '1111' }];
      fs.mkdirSync(path.join(work, 'inbox', provider), { recursive: true });
      fs.writeFileSync(path.join(work, 'inbox', provider, 'late.csv'), providerSheet(provider, rows));
      const base = { [provider]: {} };
      const throttled = config(`rev-${provider}-slow`, work, base, { reversalWindowHours: 1, reversalCheckEveryMinutes: 60 });
      const closedWindow = config(`rev-${provider}-closed`, work, base, { reversalWindowHours: 0.00001, reversalCheckEveryMinutes: 0.001 });
      const eager = config(`rev-${provider}-eager`, work, base, { reversalWindowHours: 1, reversalCheckEveryMinutes: 0.001 });

      const first = await runCli(['run-once', '--config', throttled, '--json']);
      expect(first.code, first.stderr).toBe(0);
      const b = json(first.stdout).batches[0]!;
      expect(b.counts.succeeded).toBe(2);

      // The provider's sandbox returns the paid payout (as its own 'reverse' outcome would, later).
      expect(await sandboxForce(sandbox.url, refs[1]!, 'reversed')).toBe(200);
      await waitFor('the sandbox to reverse the payout', async () => (await sandboxPayouts(sandbox.url)).find((p) => p.reference === refs[1] && p.state === 'reversed'), 60_000);

      // Outside the window: nobody asks.
      let queries = (await sandboxStats(sandbox.url)).byKind.query;
      expect((await runCli(['run-once', '--config', closedWindow])).code).toBe(0);
      expect((await sandboxStats(sandbox.url)).byKind.query).toBe(queries);
      // Inside the window but checked less than reversalCheckEveryMinutes ago: nobody asks yet.
      expect((await runCli(['run-once', '--config', throttled])).code).toBe(0);
      expect((await sandboxStats(sandbox.url)).byKind.query).toBe(queries);
      expect((await readCsv(b.reports.results_csv!)).map((x) => x.payout_status)).toEqual(['succeeded', 'succeeded']);

      // Due: succeeded rows are asked again, the reversal is journaled and the reports rewritten.
      expect((await runCli(['run-once', '--config', eager])).code).toBe(0);
      queries = (await sandboxStats(sandbox.url)).byKind.query - queries;
      expect(queries).toBe(2); // both succeeded rows were re-asked
      const results = await readCsv(b.reports.results_csv!);
      expect(results.map((x) => x.payout_status)).toEqual(['succeeded', 'reversed']);
      // The provider's own code for a returned payout is kept, and it is not the paid row's.
      expect(results[1]!.raw_status).not.toBe('');
      expect(results[1]!.raw_status).not.toBe(results[0]!.raw_status);
      const recon = await readCsv(b.reports.reconciliation_csv!);
      const exception = recon.filter((l) => l.section === 'exception');
      expect(exception).toEqual([expect.objectContaining({ item: 'reversed', rows: '1' })]);
      expect(exception[0]!.detail).toContain(refs[1]);
      expect(recon.find((l) => l.section === 'status' && l.item === 'reversed')?.rows).toBe('1');
      expect(recon.find((l) => l.section === 'invariant')?.item).toBe('holds');
      const status = json((await runCli(['status', b.id, '--config', eager, '--json'])).stdout).batches[0]!;
      expect(status.counts).toMatchObject({ succeeded: 1, reversed: 1 });
      expect(events(work, `${b.id}-3`).map((e) => e.type)).toContain('late-reversal');
      expect(await logText(work)).toMatch(/late reversals found/);
    }, 90_000);
  }
});

describe('promise 5: limits and the balance check hold a batch until approved', () => {
  it('maxRows, maxRowAmount and maxFileTotal each hold a batch (exit 3, nothing sent) until `paybatch approve`', async () => {
    const work = path.join(dir, 'limits-work');
    const cfg = config('limits', work, { vexora: {} }, { limits: { maxRows: 2, maxRowAmount: { ARS: '5000' }, maxFileTotal: { ARS: '8000' } } });
    const many = ['a', 'b', 'c'].map((t, i) => refFor('vexora', `LM${t}`, i));
    const big = [refFor('vexora', 'LB', 1)];
    const total = [refFor('vexora', 'LT', 1), refFor('vexora', 'LT', 2)];
    const files = [
      sheetFile('too-many.csv', providerSheet('vexora', many.map((ref) => ({ ref })))),
      sheetFile('too-big-row.csv', providerSheet('vexora', [{ ref: big[0]!, amount: '6000' }])),
      sheetFile('too-much.csv', providerSheet('vexora', total.map((ref) => ({ ref, amount: '4500' })))),
    ];
    const r = await runCli(['run', ...files, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(3);
    const batches = json(r.stdout).batches;
    expect(batches.map((x) => x.state)).toEqual(['held', 'held', 'held']);
    const reasons: RegExp[] = [/3 rows exceed limits\.maxRows 2/, /row\(s\) 2 exceed limits\.maxRowAmount/, /ARS total 9000\.00 ARS exceeds limits\.maxFileTotal 8000/];
    for (const [i, b] of batches.entries()) {
      const recon = await readCsv(b.reports.reconciliation_csv!);
      expect(recon.find((l) => l.section === 'batch' && l.item === 'hold_reason')?.detail).toMatch(reasons[i]!);
      expect(recon.find((l) => l.section === 'batch' && l.item === 'state')?.detail).toBe('held');
      const results = await readCsv(b.reports.results_csv!);
      expect(results.every((x) => x.payout_status === 'pending' && x.submitted_at === '')).toBe(true);
    }
    const sent = (await sandboxStats(sandboxes.vexora.url)).createRequests;
    for (const ref of [...many, ...big, ...total]) expect(sent[ref]).toBeUndefined();

    // run-once does not send a held batch.
    const idle = await runCli(['run-once', '--config', cfg, '--json']);
    expect(idle.code).toBe(0);
    for (const ref of [...many, ...big, ...total]) expect((await sandboxStats(sandboxes.vexora.url)).createRequests[ref]).toBeUndefined();

    // Approving one releases that one only.
    const [held, bigRow] = batches;
    expect((await runCli(['approve', 'no-such-batch', '--config', cfg])).code).toBe(2);
    const approve = await runCli(['approve', held!.id, '--config', cfg]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toMatch(/approved/);
    const go = await runCli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    const done = json(go.stdout).batches.find((x) => x.id === held!.id)!;
    expect(done).toMatchObject({ state: 'completed' });
    expect(done.counts.succeeded).toBe(3);
    const after = (await sandboxStats(sandboxes.vexora.url)).createRequests;
    for (const ref of many) expect(after[ref]).toBe(1);
    for (const ref of [...big, ...total]) expect(after[ref]).toBeUndefined();
    const status = json((await runCli(['status', '--config', cfg, '--json'])).stdout).batches;
    expect(status.filter((x) => x.state === 'held').map((x) => x.id).sort()).toEqual([bigRow!.id, batches[2]!.id].sort());
    // A batch that is not held has nothing to approve.
    expect((await runCli(['approve', held!.id, '--config', cfg])).code).toBe(2);
    expect(events(work, `${held!.id}-2`).map((e) => e.type)).toContain('submit-start');
  }, 90_000);

  it('a total above the provider balance holds the batch until approved (StarPago)', async () => {
    const work = path.join(dir, 'balance-work');
    const cfg = config('balance', work, { starpago: {} });
    const refs = [refFor('starpago', 'BL', 1), refFor('starpago', 'BL', 2)];
    const file = sheetFile('balance.csv', providerSheet('starpago', refs.map((ref) => ({ ref, amount: '80.00' }))));
    await sandboxSettings(sandboxes.starpago.url, { balances: { MXN: '100.00' } });
    try {
      const r = await runCli(['run', file, '--config', cfg, '--json', '--provider', 'starpago']);
      expect(r.code, r.stderr).toBe(3);
      const b = json(r.stdout).batches[0]!;
      expect(b.state).toBe('held');
      const recon = await readCsv(b.reports.reconciliation_csv!);
      // (The sandbox's available balance is the setting less what earlier tests paid and froze.)
      const reason = recon.find((l) => l.item === 'hold_reason')?.detail ?? '';
      const m = /MXN total 160\.00 MXN exceeds the available balance (-?[\d.]+) MXN/.exec(reason);
      expect(m, reason).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(100);
      expect(recon.find((l) => l.section === 'balance' && l.item === 'balance_before')?.amount).toBe(m![1]);
      const sent = (await sandboxStats(sandboxes.starpago.url)).createRequests;
      for (const ref of refs) expect(sent[ref]).toBeUndefined();

      await sandboxSettings(sandboxes.starpago.url, { balances: { MXN: '2500000.00' } }); // funds arrive
      expect((await runCli(['approve', b.id, '--config', cfg])).code).toBe(0);
      const go = await runCli(['run-once', '--config', cfg, '--json']);
      expect(go.code, go.stderr).toBe(0);
      expect(json(go.stdout).batches[0]).toMatchObject({ id: b.id, state: 'completed' });
      const after = (await sandboxStats(sandboxes.starpago.url)).createRequests;
      for (const ref of refs) expect(after[ref]).toBe(1);
    } finally {
      await sandboxSettings(sandboxes.starpago.url, { balances: { MXN: '2500000.00' } });
    }
  }, 60_000);
});

describe('promise 6: one owner per work folder', () => {
  it('a second watch, run-once or run on the same folder exits 2 naming the owner; a SIGKILLed owner’s lock is taken over at once', async () => {
    const work = path.join(dir, 'lock-work');
    const cfg = config('lock', work, { vexora: {} });
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    let killed = false;
    try {
      await waitFor('watch to start', () => out.includes('watching') || undefined);
      const file = sheetFile('lock.csv', providerSheet('vexora', [{ ref: refFor('vexora', 'LK', 1) }]));
      const contenders = await Promise.all([
        runCli(['watch', '--config', cfg]),
        runCli(['run-once', '--config', cfg]),
        runCli(['run', file, '--config', cfg]),
      ]);
      for (const c of contenders) {
        expect(c.code).toBe(2);
        expect(c.stderr).toContain(`in use by paybatch watch (pid ${watch.pid}`);
        expect(c.stderr).toMatch(/only one run-once\/watch\/run may own it at a time/);
      }
      // Reading the journal does not need the lock.
      expect((await runCli(['status', '--config', cfg])).code).toBe(0);

      watch.kill('SIGKILL');
      await new Promise((r) => watch.once('exit', r));
      killed = true;
      const started = Date.now();
      const next = await runCli(['run', file, '--config', cfg, '--json']);
      expect(next.code, next.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(json(next.stdout).batches[0]!.counts.succeeded).toBe(1);
      // And a new daemon takes the folder over as well.
      const again = spawnCli(['watch', '--config', cfg]);
      let out2 = '';
      again.stdout!.on('data', (d) => (out2 += d));
      again.stderr!.on('data', (d) => (out2 += d));
      try {
        await waitFor('a new watch to start', () => out2.includes('watching') || undefined, 60_000);
        expect(out2).not.toMatch(/in use by/);
      } finally {
        again.kill('SIGTERM');
        await new Promise((r) => again.once('exit', r));
      }
    } finally {
      if (!killed) {
        watch.kill('SIGKILL');
        await new Promise((r) => watch.once('exit', r));
      }
    }
  }, 60_000);
});
