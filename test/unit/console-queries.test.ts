// What the console and /metrics read from the journal (ConsoleQueries, SQLite): keyset pages of rows, exact
// sums per currency and status, and totals over every batch for the metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, type NewPayout, type PayoutStatus } from '../../src/journal/store.ts';

let dir: string;
let journal: Journal;

/** A batch of `n` rows; row i (sheet rows 2…n+1) ends in `finalOf(i)`. */
function batch(id: string, n: number, finalOf: (i: number) => PayoutStatus | 'validated', amount = (i: number) => BigInt(100 + i)) {
  journal.createBatch({ id, fileName: `${id}.csv`, fileSha256: id.padEnd(64, '0'), fileBytes: 1, provider: 'vexora', sourcePath: `/x/${id}.csv`, format: 'csv' });
  journal.updateBatch(id, { header: ['reference', 'amount'], columns: [['reference', 0], ['amount', 1]], rowCount: n, state: 'submitting' });
  const rows: NewPayout[] = Array.from({ length: n }, (_, k) => ({
    rowNumber: k + 2,
    merchantReference: `${id}-R${k + 1}`,
    status: 'validated',
    amountMinor: amount(k + 1),
    currency: 'ARS',
    original: [`${id}-R${k + 1}`, String(amount(k + 1))],
    fields: {},
  }));
  journal.insertRows(id, 'vexora', rows, []);
  journal.atomically(() => {
    for (const r of rows) {
      const to = finalOf(r.rowNumber - 1);
      if (to === 'validated') continue;
      const pid = `${id}-${r.rowNumber}`;
      journal.transition(pid, 'submitting', {}, { type: 't' });
      journal.recordAttempt(pid, 'create', new Date().toISOString(), to === 'queued' ? 'notSent' : 'accepted', to === 'queued' ? { kind: 'notSent', throttled: true } : undefined);
      journal.transition(pid, to, {}, { type: 't' });
    }
  });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-console-queries-'));
  journal = new Journal(path.join(dir, 'journal.sqlite'));
  batch('B1', 1000, (i) => (i % 10 === 0 ? 'failed' : 'succeeded'));
  batch('B2', 5, (i) => (i <= 2 ? 'queued' : 'validated'));
});
afterAll(() => {
  journal.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('console queries (SQLite journal)', () => {
  it('pages rows by keyset, forward and back, with or without a status filter', () => {
    const first = journal.pageOfPayouts('B1', null, { after: 0 }, 100);
    expect(first.map((p) => p.rowNumber)).toEqual(Array.from({ length: 100 }, (_, k) => k + 2));
    const next = journal.pageOfPayouts('B1', null, { after: first.at(-1)!.rowNumber }, 100);
    expect(next[0]!.rowNumber).toBe(102);
    expect(journal.pageOfPayouts('B1', null, { before: next[0]!.rowNumber }, 100).map((p) => p.rowNumber)).toEqual(first.map((p) => p.rowNumber));
    const failed = journal.pageOfPayouts('B1', ['failed'], { after: 0 }, 100);
    expect(failed).toHaveLength(100);
    expect(failed.every((p) => p.status === 'failed')).toBe(true);
    expect(failed.map((p) => p.rowNumber).slice(0, 3)).toEqual([11, 21, 31]);
    expect(journal.pageOfPayouts('B1', ['failed'], { after: failed.at(-1)!.rowNumber }, 100)).toHaveLength(0);
    const late = journal.pageOfPayouts('B1', ['succeeded', 'failed'], { after: 995 }, 100);
    expect(late.map((p) => p.rowNumber)).toEqual([996, 997, 998, 999, 1000, 1001]);
  });

  it('sums amounts exactly per currency and status', () => {
    const totals = journal.amountTotals('B1');
    const failed = totals.find((t) => t.status === 'failed')!;
    expect(failed).toEqual({ currency: 'ARS', status: 'failed', rows: 100, amountMinor: BigInt(Array.from({ length: 100 }, (_, k) => 100 + (k + 1) * 10).reduce((a, b) => a + b, 0)) });
    expect(totals.reduce((a, t) => a + t.amountMinor, 0n)).toBe(BigInt(Array.from({ length: 1000 }, (_, k) => 101 + k).reduce((a, b) => a + b, 0)));
  });

  it('answers the metrics over every batch; the attempts tally only grows', () => {
    expect(journal.payoutTotals().sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { provider: 'vexora', status: 'failed', rows: 100 },
      { provider: 'vexora', status: 'queued', rows: 2 },
      { provider: 'vexora', status: 'succeeded', rows: 900 },
      { provider: 'vexora', status: 'validated', rows: 3 },
    ]);
    expect(journal.rowsWaiting()).toEqual([{ provider: 'vexora', rows: 5 }]);
    const tally = journal.attemptTotals();
    expect(tally).toContainEqual({ provider: 'vexora', outcome: 'accepted', throttled: false, requests: 1000 });
    expect(tally).toContainEqual({ provider: 'vexora', outcome: 'notSent', throttled: true, requests: 2 });
    journal.recordAttempt('B1-2', 'query', new Date().toISOString(), 'status');
    expect(journal.attemptTotals()).toContainEqual({ provider: 'vexora', outcome: 'status', throttled: false, requests: 1 });
    expect(journal.attemptTotals()).toContainEqual({ provider: 'vexora', outcome: 'accepted', throttled: false, requests: 1000 });
    journal.updateBatch('B2', { state: 'cancelled' });
    expect(journal.rowsWaiting()).toEqual([]);
  });
});
