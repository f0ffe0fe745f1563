// Issue 6, promise 2: an unknown outcome is never guessed, for every provider.
// A create the provider may have acted on (500 after creating, connection dropped after creating, no answer
// before the timeout) is resolved only by asking the provider by merchant reference; nothing is sent twice.
// A create refused before anything was created (500 before creating) is sent again with the same reference
// only by providers whose duplicate check makes that safe; the others leave it to a person
// (`needs_review`, then `paybatch resolve`, audited).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, startSandboxProcess, tempDir, type SandboxProcess } from '../helpers/cli.ts';
import {
  allProviders,
  batchOf,
  openJournal,
  resubmitsOnNotFound,
  runConfig,
  runToExit,
  sandboxConfig,
  statsOf,
  writeSheet,
  type ProviderId,
} from '../helpers/providers.ts';

const TIMEOUT_SECONDS = 2;

let dir: string;

beforeAll(() => {
  dir = tempDir('paybatch-unknown-');
});

for (const id of allProviders) {
  describe.sequential(`${id}: unknown outcomes`, () => {
    let sandbox: SandboxProcess;

    beforeAll(async () => {
      // Duplicate check off: a second create for a reference would really be a second payout.
      sandbox = await startSandboxProcess(id, sandboxConfig(dir, id, { settleAfterSeconds: 0.3, duplicateCheck: false }));
    }, 30_000);

    afterAll(async () => {
      await sandbox?.stop();
    });

    const resubmits = resubmitsOnNotFound(id);

    it(
      resubmits
        ? `${id}: resolves error-after, drop-after and hang-after by query; sends an error-before row again with the same reference`
        : `${id}: resolves error-after, drop-after and hang-after by query; leaves an error-before row to review, never sending it again`,
      async () => {
        const scenario = `UO-${id}`;
        const work = path.join(dir, scenario);
        const sheet = writeSheet(dir, id, 4, scenario);
        const [errorAfter, dropAfter, hangAfter, errorBefore] = sheet.references as [string, string, string, string];
        const cfg = runConfig(path.join(dir, `${scenario}.json`), id, work, sandbox.url, { timeoutSeconds: TIMEOUT_SECONDS });
        await sandbox.faults([
          { kind: 'error-after', onCreate: true, reference: errorAfter },
          { kind: 'drop-after', onCreate: true, reference: dropAfter },
          { kind: 'hang-after', onCreate: true, reference: hangAfter, delayMs: TIMEOUT_SECONDS * 1000 + 1500 },
          { kind: 'error-before', onCreate: true, reference: errorBefore },
        ]);
        const before = await statsOf(sandbox.url);

        const r = await runCli(['run', sheet.file, '--config', cfg, '--json'], { timeoutMs: 60_000 });
        const batch = batchOf(r);
        expect(batch.counts.pending).toBe(0);

        const stats = await statsOf(sandbox.url);
        const journal = openJournal(work);
        try {
          // The three "may have been created" answers: created once, asked about, never sent again.
          for (const ref of [errorAfter, dropAfter, hangAfter]) {
            expect(stats.created[ref], `payouts created for ${ref}`).toBe(1);
            expect(stats.createRequests[ref], `create requests for ${ref}`).toBe(1);
            const payout = journal.payout(ref)!;
            expect(payout.status).toBe('succeeded');
            expect(payout.createAttempts).toBe(1);
            const creates = journal.attempts(payout.id).filter((a) => a.kind === 'create');
            expect(creates.map((a) => a.outcome)).toEqual(['unknown']);
            const types = journal.events(payout.id).map((e) => e.type);
            expect(types).toContain('submit-unknown');
            expect(types.indexOf('submit-unknown')).toBeLessThan(types.indexOf('unknown-resolved'));
            expect(types).not.toContain('resubmit-after-not-found');
          }

          const eb = journal.payout(errorBefore)!;
          const ebCreates = journal.attempts(eb.id).filter((a) => a.kind === 'create');
          const ebEvents = journal.events(eb.id).map((e) => e.type);
          expect(ebCreates[0]?.outcome).toBe('unknown'); // a 5xx is never read as "not created"
          // The sandbox counts per reference only creates that reached its create logic; the 5xx answered
          // before it. Every create request is in byKind.create.
          const createCalls = stats.byKind.create - before.byKind.create;
          if (resubmits) {
            expect(eb.status).toBe('succeeded');
            expect(stats.created[errorBefore]).toBe(1);
            expect(stats.createRequests[errorBefore]).toBe(1);
            expect(ebCreates).toHaveLength(2); // the refused one, then the one sent again
            expect(ebCreates[1]?.outcome).toBe('accepted');
            expect(ebEvents).toContain('resubmit-after-not-found');
            expect(createCalls).toBe(5);
            expect(batch.counts).toMatchObject({ succeeded: 4, needs_review: 0 });
            expect(r.code).toBe(0);
          } else {
            expect(eb.status).toBe('needs_review');
            expect(stats.created[errorBefore] ?? 0).toBe(0);
            expect(stats.createRequests[errorBefore] ?? 0).toBe(0);
            expect(ebCreates).toHaveLength(1); // never sent again
            expect(ebEvents).toContain('unknown-not-found');
            expect(ebEvents).not.toContain('resubmit-after-not-found');
            expect(createCalls).toBe(4);
            expect(batch.counts).toMatchObject({ succeeded: 3, needs_review: 1 });
            expect(r.code).toBe(3);
          }
        } finally {
          journal.close();
        }

        const results = await readCsv(batch.reports.results_csv!);
        expect(results.map((row) => row.payout_status)).toEqual(['succeeded', 'succeeded', 'succeeded', resubmits ? 'succeeded' : 'needs_review']);
        const reviewCsv = path.join(path.dirname(batch.reports.results_csv!), 'review.csv');
        if (resubmits) {
          expect(fs.existsSync(reviewCsv)).toBe(false);
          return;
        }

        // review.csv lists the row; `paybatch resolve` moves it out, audited, and rewrites the reports.
        const review = await readCsv(reviewCsv);
        expect(review.map((row) => row.merchant_reference)).toEqual([errorBefore]);

        const resolved = await runCli(['resolve', errorBefore, '--as', 'failed', '--note', 'checked with provider', '--config', cfg, '--json']);
        expect(resolved.code, resolved.stderr).toBe(0);
        expect(batchOf(resolved).counts).toMatchObject({ succeeded: 3, failed: 1, needs_review: 0, pending: 0 });

        const status = await runCli(['status', '--config', cfg, '--json']);
        expect(batchOf(status).counts).toMatchObject({ succeeded: 3, failed: 1, needs_review: 0 });

        const audit = openJournal(work);
        try {
          const payout = audit.payout(errorBefore)!;
          expect(payout.status).toBe('failed');
          const event = audit.events(payout.id).find((e) => e.type === 'resolved-manually');
          expect(event).toMatchObject({ from: 'needs_review', to: 'failed' });
          expect(JSON.parse(event!.detail!)).toMatchObject({ as: 'failed', note: 'checked with provider' });
        } finally {
          audit.close();
        }

        const after = await readCsv(batch.reports.results_csv!);
        expect(after.map((row) => row.payout_status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
        expect(after[3]!.error_message).toContain('checked with provider');
        expect(fs.existsSync(reviewCsv)).toBe(false); // nothing is left to review
        // Resolving by hand sends nothing.
        expect((await statsOf(sandbox.url)).byKind.create).toBe(stats.byKind.create);
      },
      90_000,
    );

    it(`${id}: a row recovered after a kill that the provider keeps pending goes to review at the poll deadline`, async () => {
      const scenario = `UO-${id}-dl`;
      const work = path.join(dir, scenario);
      // Accounts ending 0003: the sandbox creates the payout and never settles it.
      const sheet = writeSheet(dir, id, 2, scenario, '0003');
      const deadlineHours = 0.0006; // about 2 seconds
      const cfg = runConfig(path.join(dir, `${scenario}.json`), id, work, sandbox.url, {
        poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, deadlineHours },
        // One create at a time: the kill then catches exactly the first row in flight, never a second create
        // still on its way to the provider (which would be recovered and left to review without a payout).
        rate: { perSecond: 50, concurrency: 1 },
      });
      // Killed right after the provider answered the first create: that row is in `submitting` in the journal.
      const crashed = await runToExit(['run', sheet.file, '--config', cfg], { env: { PAYBATCH_CRASH_AT: 'after-answer-before-commit:1' } });
      expect(crashed.signal).toBe('SIGKILL');

      const r = await runToExit(['run', sheet.file, '--config', cfg, '--json'], { timeoutMs: 30_000 });
      expect(r.code).toBe(3);
      const batch = batchOf(r);
      expect(batch.counts).toMatchObject({ needs_review: 2, pending: 0, succeeded: 0, failed: 0 });

      const stats = await statsOf(sandbox.url);
      const journal = openJournal(work);
      try {
        let recovered = 0;
        for (const ref of sheet.references) {
          expect(stats.created[ref], `payouts created for ${ref}`).toBe(1);
          const payout = journal.payout(ref)!;
          expect(payout.createAttempts).toBe(1);
          const types = journal.events(payout.id).map((e) => e.type);
          if (types.includes('recovered-in-flight')) recovered++;
          expect(types.at(-1)).toBe('poll-deadline');
        }
        expect(recovered).toBeGreaterThanOrEqual(1);
      } finally {
        journal.close();
      }
      const review = await readCsv(path.join(path.dirname(batch.reports.results_csv!), 'review.csv'));
      expect(review.map((row) => row.merchant_reference)).toEqual(sheet.references);
    }, 60_000);
  });
}
