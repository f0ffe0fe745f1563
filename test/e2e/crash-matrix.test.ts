// Issue 6, promise 1: no payout is created twice, for every provider and every crash point.
// A paybatch run is killed with SIGKILL at a crash point (src/engine/crash.ts), restarted until it exits,
// and the provider's sandbox — in its own process, with its duplicate check OFF so that a second create
// really makes a second payout — is asked how many payouts each merchant reference got.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, startSandboxProcess, tempDir, type SandboxProcess } from '../helpers/cli.ts';
import {
  allProviders,
  clearFaults,
  openJournal,
  resubmitsOnNotFound,
  runConfig,
  runToExit,
  sandboxConfig,
  maxCreatedOf,
  moduleOf,
  runUntilSettled,
  statsOf,
  writeSheet,
  type ProviderId,
} from '../helpers/providers.ts';

type CrashPoint = 'after-submitting-commit' | 'after-request-sent' | 'after-answer-before-commit' | 'during-report-writing' | 'after-prepare-checkpoint';

const ROWS = 8;
/** In-flight delay of every create during the after-request-sent scenario: the kill lands 150 ms in. */
const IN_FLIGHT_MS = 1500;

/** Every provider is killed at every runner point; providers that set payees up (`prepare`) also mid set-up. */
function pointsOf(id: ProviderId): CrashPoint[] {
  const points: CrashPoint[] = ['after-submitting-commit', 'after-request-sent', 'after-answer-before-commit', 'during-report-writing'];
  if (moduleOf(id).capabilities.prepare) points.push('after-prepare-checkpoint');
  return points;
}

/**
 * Which pass of the point kills the process. The runner points are passed once per row (the third row);
 * reports are written once per `run`, at its end, so the report point can only be the first pass.
 */
const passOf = (point: CrashPoint) => (point === 'during-report-writing' ? 1 : 3);

const abbreviation: Record<CrashPoint, string> = {
  'after-submitting-commit': 'asc',
  'after-request-sent': 'ars',
  'after-answer-before-commit': 'aab',
  'during-report-writing': 'drw',
  'after-prepare-checkpoint': 'apc',
};

const FINAL = new Set(['succeeded', 'failed', 'reversed', 'needs_review']);

let dir: string;
const passed: string[] = [];
let planned = 0;
let maxCreated = 0;

beforeAll(() => {
  dir = tempDir('paybatch-crash-matrix-');
});

afterAll(() => {
  console.log(`crash matrix: ${passed.length}/${planned} crash points × providers passed; max payouts created per reference: ${maxCreated}`);
});

for (const id of allProviders) {
  describe.sequential(`${id}: killed at each crash point, restarted, nothing created twice`, () => {
    let sandbox: SandboxProcess;

    beforeAll(async () => {
      sandbox = await startSandboxProcess(id, sandboxConfig(dir, id, { settleAfterSeconds: 0.3, duplicateCheck: false }));
    }, 30_000);

    afterAll(async () => {
      await sandbox?.stop();
    });

    for (const point of pointsOf(id)) {
      planned++;
      it(`${id} × ${point}`, async () => {
        const scenario = `CM-${id}-${abbreviation[point]}`;
        const work = path.join(dir, scenario);
        const sheet = writeSheet(dir, id, ROWS, scenario);
        // A "not found" is trusted only after the provider's window; the window must outlast a create that is
        // still in flight at the provider, or a provider whose duplicate check is off (as here) pays twice
        // when the row is sent again (DESIGN §3 rule 3). The in-flight scenario therefore widens it.
        const overrides = point === 'after-request-sent' ? { notFoundWindowSeconds: (IN_FLIGHT_MS + 1500) / 1000 } : {};
        const cfg = runConfig(path.join(dir, `${scenario}.json`), id, work, sandbox.url, overrides);
        if (point === 'after-request-sent') await sandbox.faults([{ kind: 'delay', onCreate: true, delayMs: IN_FLIGHT_MS, times: 0 }]);
        try {
          const crashed = await runToExit(['run', sheet.file, '--config', cfg], { env: { PAYBATCH_CRASH_AT: `${point}:${passOf(point)}` } });
          expect(crashed.signal, `the crashed run should die by SIGKILL\nstdout: ${crashed.stdout}\nstderr: ${crashed.stderr}`).toBe('SIGKILL');

          const batch = await runUntilSettled(sheet.file, cfg, 60_000);

          const stats = await statsOf(sandbox.url);
          maxCreated = Math.max(maxCreated, maxCreatedOf(stats, sheet.references));
          for (const ref of sheet.references) expect(stats.created[ref] ?? 0, `payouts created for ${ref}`).toBeLessThanOrEqual(1);

          expect(batch.rows).toBe(ROWS);
          expect(batch.counts.pending).toBe(0);
          expect(batch.state).toBe('completed');
          expect(batch.counts.succeeded + batch.counts.failed + batch.counts.reversed + batch.counts.needs_review).toBe(ROWS);

          const resultsCsv = batch.reports.results_csv;
          expect(resultsCsv && fs.existsSync(resultsCsv)).toBeTruthy();
          const results = await readCsv(resultsCsv!);
          expect(results).toHaveLength(ROWS);
          expect(results.map((row) => row.merchant_reference)).toEqual(sheet.references);
          for (const row of results) {
            expect(FINAL.has(row.payout_status), `${row.merchant_reference} is ${row.payout_status}`).toBe(true);
            // A row reported paid was created exactly once.
            if (row.payout_status === 'succeeded') expect(stats.created[row.merchant_reference]).toBe(1);
            // Every beneficiary settles in the sandbox, so a failed row could only be a guess (rule 3); a row the
            // provider never saw is left to a person, unless the provider makes sending it again safe.
            expect(row.payout_status, `${row.merchant_reference}`).not.toBe('failed');
            if (!stats.created[row.merchant_reference]) expect(row.payout_status, `${row.merchant_reference} was never created`).toBe('needs_review');
          }
          // A writer killed mid-report leaves no temp file behind once the reports are rewritten.
          expect(fs.readdirSync(path.dirname(resultsCsv!)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

          // The kill landed where it was aimed: rows caught in flight were recovered as unknown and asked about.
          const journal = openJournal(work);
          try {
            const recovered = journal.eventCount('recovered-in-flight');
            // Reports are written when every row is final; a payee set-up may race other rows' creates.
            if (point === 'during-report-writing') expect(recovered).toBe(0);
            else if (point !== 'after-prepare-checkpoint') expect(recovered).toBeGreaterThanOrEqual(1);
            if (point === 'after-prepare-checkpoint') expect(journal.eventCount('payee-checkpoint')).toBeGreaterThanOrEqual(3);
            // Where the provider's duplicate check is not relied on, a row is never sent to it twice.
            if (!resubmitsOnNotFound(id))
              for (const ref of sheet.references) {
                // create_attempts counts every `submitting` commit, also one killed before its request left.
                const payout = journal.payout(ref)!;
                const notSent = journal.attempts(payout.id).filter((a) => a.kind === 'create' && a.outcome === 'notSent').length;
                expect(payout.createAttempts - notSent, `creates started for ${ref}`).toBeLessThanOrEqual(1);
              }
          } finally {
            journal.close();
          }

          if (point === 'after-prepare-checkpoint') {
            // The payee set-up resumed from its checkpoint: each payee set up once, with one account each.
            const setUps = moduleOf(id).sandboxKit.payeeSetUps;
            expect(setUps, `${id} declares prepare, so its sandbox kit reports payee set-ups`).toBeDefined();
            const { perPayee, accountsPerPayee } = await setUps!(sandbox.url, scenario);
            expect(perPayee).toHaveLength(ROWS);
            for (const n of perPayee) expect(n).toBe(1);
            for (const n of accountsPerPayee) expect(n).toBe(1);
          }
          passed.push(`${id} × ${point}`);
        } finally {
          if (point === 'after-request-sent') await clearFaults(sandbox.url);
        }
      }, 120_000);
    }
  });
}
