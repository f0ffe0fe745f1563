// The journal contract suite (src/journal/contract.ts): what any journal must keep true, run against every
// implementation (journal-sqlite.test.ts; the PostgreSQL journal runs the same suite). Every call is awaited,
// so an async journal runs it unchanged; real storage only, no mocks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Journal, NewPayout, PayoutStatus } from '../../src/journal/store.ts';
import { IllegalTransitionError, PAYOUT_STATUSES } from '../../src/journal/store.ts';
import type { RowProblem } from '../../src/validate/problem.ts';

/** A journal can be, or become, async: the suite awaits everything. */
type Awaitable<T> = T | Promise<T>;

export interface JournalSubject {
  /**
   * Opens the journal kept at `place`, a fresh empty folder per test. Opening the same place again gives a second
   * handle on the same journal, as a second process (or a restart) would.
   */
  open(place: string): Awaitable<Journal>;
  /** Optional capabilities the implementation offers (contract.ts): claims (shared journals), bulkWriter. */
  capabilities: { claims: boolean; bulkWriter: boolean };
}

const PROVIDER = 'vexora';
const HEADER = ['reference', 'amount', 'currency', 'account', 'email'];
const COLUMNS: [string, number][] = [['reference', 0], ['amount', 1], ['currency', 2], ['account_number', 3], ['email', 4]];

function row(n: number, over: Partial<NewPayout> = {}): NewPayout {
  const original = [`R-${n}`, `${n}.00`, 'ARS', `0001-${n}`, `payee${n}@example.com`];
  return {
    rowNumber: n,
    merchantReference: original[0]!,
    status: 'validated',
    amountMinor: BigInt(n * 100),
    currency: 'ARS',
    original,
    fields: {},
    errorMessage: null,
    ...over,
  };
}

const problem = (file: string, rowNumber: number | null, rule: string, message = `${rule} here`): RowProblem => ({
  file,
  row: rowNumber,
  column: rowNumber === null ? '' : 'amount',
  value: rowNumber === null ? '' : '12.345',
  rule,
  message,
});

/**
 * The row state machine of DESIGN §3, written out here rather than read from states.ts, so a change to the
 * table is a change to the contract. Staying in a status is allowed (bookkeeping with an event).
 */
const ALLOWED: Record<PayoutStatus, readonly PayoutStatus[]> = {
  validated: ['queued', 'submitting', 'invalid', 'failed', 'cancelled'],
  queued: ['submitting', 'invalid', 'failed', 'cancelled'],
  submitting: ['submitted', 'succeeded', 'failed', 'reversed', 'queued', 'unknown', 'needs_review'],
  submitted: ['succeeded', 'failed', 'reversed', 'needs_review'],
  unknown: ['submitted', 'succeeded', 'failed', 'reversed', 'queued', 'needs_review'],
  succeeded: ['reversed'],
  needs_review: ['succeeded', 'failed'],
  failed: [],
  reversed: [],
  invalid: [],
  duplicate: [],
  cancelled: [],
};
const allowed = (from: PayoutStatus, to: PayoutStatus) => from === to || ALLOWED[from].includes(to);

/** How a payout reaches each status from `validated` through the table (duplicate: by its reference). */
const PATHS: Record<Exclude<PayoutStatus, 'duplicate'>, PayoutStatus[]> = {
  validated: [],
  queued: ['queued'],
  submitting: ['submitting'],
  submitted: ['submitting', 'submitted'],
  unknown: ['submitting', 'unknown'],
  succeeded: ['submitting', 'succeeded'],
  failed: ['failed'],
  reversed: ['submitting', 'succeeded', 'reversed'],
  needs_review: ['submitting', 'needs_review'],
  invalid: ['invalid'],
  cancelled: ['cancelled'],
};

async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

async function collect<T>(items: Iterable<T> | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeJournalContract(name: string, subject: JournalSubject): void {
  describe(`the journal contract: ${name}`, () => {
    const opened: Journal[] = [];
    const places: string[] = [];

    afterEach(async () => {
      for (const j of opened.splice(0)) await j.close();
      for (const p of places.splice(0)) fs.rmSync(p, { recursive: true, force: true });
    });

    async function open(place: string): Promise<Journal> {
      const j = await subject.open(place);
      opened.push(j);
      return j;
    }

    async function fresh(): Promise<{ j: Journal; place: string }> {
      const place = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-journal-contract-'));
      places.push(place);
      return { j: await open(place), place };
    }

    async function batch(j: Journal, id: string, rows: NewPayout[] = [], problems: RowProblem[] = [], provider = PROVIDER) {
      await j.createBatch({ id, fileName: `${id}.csv`, fileSha256: `sha-${id}`, fileBytes: 100, provider, sourcePath: `/work/inbox/${id}.csv`, format: 'csv' });
      await j.updateBatch(id, { header: HEADER, columns: COLUMNS });
      return j.insertRows(id, provider, rows, problems);
    }

    async function walk(j: Journal, id: string, to: PayoutStatus[]) {
      for (const status of to) await j.transition(id, status, {}, { type: `to-${status}` });
    }

    describe('batches', () => {
      it('a received batch is stored whole, found by id, SHA-256 and source path, with a batch-received event', async () => {
        const { j } = await fresh();
        const created = await j.createBatch({ id: '20261121-aaaa-1', fileName: 'pay.csv', fileSha256: 'abc', fileBytes: 42, provider: PROVIDER, sourcePath: '/in/pay.csv', format: 'csv' });
        expect(created).toMatchObject({ id: '20261121-aaaa-1', fileName: 'pay.csv', fileSha256: 'abc', fileBytes: 42, provider: PROVIDER, state: 'received', sourcePath: '/in/pay.csv', format: 'csv' });
        expect(created).toMatchObject({ header: [], columns: [], maskColumns: [], rowCount: 0, balances: [], reports: null, archivedPath: null, holdReason: null, completedAt: null, lastReversalCheckAt: null });
        expect(await j.getBatch('20261121-aaaa-1')).toEqual(created);
        expect(await j.findBatchBySha('abc')).toEqual(created);
        expect(await j.batchBySourcePath('/in/pay.csv')).toEqual(created);
        expect(await j.getBatch('nope')).toBeUndefined();
        expect(await j.findBatchBySha('nope')).toBeUndefined();
        const events = await j.eventsOf({ batchId: '20261121-aaaa-1' });
        expect(events).toEqual([expect.objectContaining({ type: 'batch-received', from: null, to: 'received', payoutId: null, detail: { file: 'pay.csv', sha256: 'abc' } })]);
      });

      it('the same bytes are one batch: a second batch with the same SHA-256 (or id) is refused', async () => {
        const { j } = await fresh();
        await batch(j, 'b1');
        expect(await failure(() => j.createBatch({ id: 'b2', fileName: 'x.csv', fileSha256: 'sha-b1', fileBytes: 1, provider: PROVIDER, sourcePath: '/x', format: 'csv' }))).toBeInstanceOf(Error);
        expect(await failure(() => j.createBatch({ id: 'b1', fileName: 'x.csv', fileSha256: 'other', fileBytes: 1, provider: PROVIDER, sourcePath: '/x', format: 'csv' }))).toBeInstanceOf(Error);
        expect(await j.countBatches()).toBe(1);
      });

      it('batches are listed oldest first and counted; the latest batch of a source path is the one found', async () => {
        const { j } = await fresh();
        expect(await j.listBatches()).toEqual([]);
        expect(await j.countBatches()).toBe(0);
        await j.createBatch({ id: 'zz', fileName: 'a.csv', fileSha256: 's1', fileBytes: 1, provider: PROVIDER, sourcePath: '/in/a.csv', format: 'csv' });
        await sleep(5);
        await j.createBatch({ id: 'aa', fileName: 'a.csv', fileSha256: 's2', fileBytes: 1, provider: PROVIDER, sourcePath: '/in/a.csv', format: 'xlsx' });
        expect((await j.listBatches()).map((b) => b.id)).toEqual(['zz', 'aa']);
        expect(await j.countBatches()).toBe(2);
        expect((await j.batchBySourcePath('/in/a.csv'))?.id).toBe('aa');
      });

      it('updateBatch patches fields (null clears) and writes one event for a state change or a named event, none otherwise', async () => {
        const { j } = await fresh();
        await batch(j, 'b1');
        const before = (await j.eventsOf({ batchId: 'b1' })).length;
        await j.updateBatch('b1', { rowCount: 3, maskColumns: [3], amountColumn: 1, balances: [{ currency: 'ARS', beforeMinor: '100', afterMinor: null }], reports: { results_csv: '/r.csv', errors_csv: null }, holdReason: 'over the limit' });
        expect(await j.eventsOf({ batchId: 'b1' })).toHaveLength(before);
        await j.updateBatch('b1', { state: 'held' });
        await j.updateBatch('b1', { state: 'held' });
        await j.updateBatch('b1', { holdReason: null, approvedAt: '2026-11-21T10:00:00.000Z' }, { type: 'batch-approved', detail: { by: 'ops', amountMinor: 12n } });
        const b = (await j.getBatch('b1'))!;
        expect(b).toMatchObject({ state: 'held', header: HEADER, columns: COLUMNS, rowCount: 3, maskColumns: [3], amountColumn: 1, holdReason: null, approvedAt: '2026-11-21T10:00:00.000Z' });
        expect(b.balances).toEqual([{ currency: 'ARS', beforeMinor: '100', afterMinor: null }]);
        expect(b.reports).toEqual({ results_csv: '/r.csv', errors_csv: null });
        const events = (await j.eventsOf({ batchId: 'b1' })).slice(before);
        expect(events.map((e) => [e.type, e.from, e.to])).toEqual([
          ['batch-state', 'received', 'held'],
          ['batch-approved', 'held', 'held'],
        ]);
        expect(events[1]!.detail).toEqual({ by: 'ops', amountMinor: '12' });
        expect(await failure(() => j.updateBatch('nope', { state: 'held' }))).toBeInstanceOf(Error);
      });

      it('a batch whose reading was interrupted is forgotten whole (rows, problems, reference holds) but its events stay', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3)], [problem('b1.csv', 3, 'amount-decimals')]);
        await j.discardUnsentBatch('b1');
        expect(await j.getBatch('b1')).toBeUndefined();
        expect(await j.getPayout('b1-2')).toBeUndefined();
        expect(await j.countRowErrors('b1')).toBe(0);
        expect((await j.eventsOf({ batchId: 'b1' })).map((e) => e.type)).toEqual(['batch-received', 'batch-ingest-restarted']);
        // Read again: its references are free for it.
        expect(await batch(j, 'b1', [row(2), row(3)])).toEqual({ duplicates: 0 });
        expect((await j.counts('b1')).validated).toBe(2);
      });

      it('a batch with a row that was sent cannot be forgotten, and nothing of it is removed', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3)]);
        await j.transition('b1-3', 'submitting', {}, { type: 'submit-started' });
        expect(await failure(() => j.discardUnsentBatch('b1'))).toBeInstanceOf(Error);
        expect((await j.getBatch('b1'))?.id).toBe('b1');
        expect((await j.getPayout('b1-3'))?.status).toBe('submitting');
        expect((await j.eventsOf({ type: 'batch-ingest-restarted' })).length).toBe(0);
      });
    });

    describe('payouts', () => {
      it('rows are journaled with their cells, read back through the batch columns, by id "<batch>-<row>"', async () => {
        const { j } = await fresh();
        const r = row(2, { original: ['R-2', ' 2.00 ', 'ARS', '', 'a@example.com'] });
        expect(await batch(j, '20261121-ab-cd', [r])).toEqual({ duplicates: 0 });
        const p = (await j.getPayout('20261121-ab-cd-2'))!;
        expect(p).toMatchObject({
          id: '20261121-ab-cd-2', batchId: '20261121-ab-cd', rowNumber: 2, provider: PROVIDER, merchantReference: 'R-2', status: 'validated',
          amountMinor: 200n, currency: 'ARS', original: ['R-2', ' 2.00 ', 'ARS', '', 'a@example.com'], errorMessage: null, errorCode: null,
          providerReference: null, prepared: null, payeeKey: null, createAttempts: 0, polls: 0, nextCheckAt: null, paidAmountMinor: null, feeMinor: null,
        });
        // Trimmed, empty cells absent.
        expect(p.fields).toEqual({ reference: 'R-2', amount: '2.00', currency: 'ARS', email: 'a@example.com' });
        expect(await j.getPayout('20261121-ab-cd-9')).toBeUndefined();
        expect(await j.getPayout('garbage')).toBeUndefined();
      });

      it('an invalid row is journaled with its message and its problems; problems read back file-level first, then by row', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3, { status: 'invalid', amountMinor: null, errorMessage: 'amount: too many decimals' })], [problem('b1.csv', 3, 'amount-decimals'), problem('b1.csv', 3, 'second')]);
        await j.insertRows('b1', PROVIDER, [], [problem('b1.csv', null, 'missing-column'), problem('b1.csv', 2, 'late')]);
        expect(await j.getPayout('b1-3')).toMatchObject({ status: 'invalid', amountMinor: null, errorMessage: 'amount: too many decimals' });
        expect(await j.countRowErrors('b1')).toBe(4);
        expect(await j.countRowErrors('other')).toBe(0);
        const problems = await collect(j.iterateRowErrors('b1'));
        expect(problems.map((p) => [p.row, p.rule])).toEqual([[null, 'missing-column'], [2, 'late'], [3, 'amount-decimals'], [3, 'second']]);
        expect(problems[2]).toEqual({ file: 'b1.csv', row: 3, column: 'amount', value: '12.345', rule: 'amount-decimals', message: 'amount-decimals here' });
      });

      it('a reference is paid once per provider: reused (earlier batch or same call) it is journaled duplicate, never sent', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3, { status: 'invalid' }), row(4, { merchantReference: null })]);
        const second = await batch(j, 'b2', [row(2), row(3), row(4, { merchantReference: null }), row(5), row(6, { merchantReference: 'R-5' })]);
        expect(second).toEqual({ duplicates: 2 });
        expect(await j.getPayout('b2-2')).toMatchObject({ status: 'duplicate', errorCode: 'DUPLICATE_REFERENCE', amountMinor: 200n });
        expect((await j.getPayout('b2-2'))!.errorMessage).toContain('R-2');
        expect((await j.getPayout('b2-6'))!.status).toBe('duplicate');
        // An invalid row holds no reference; rows without one never collide.
        expect((await j.getPayout('b2-3'))!.status).toBe('validated');
        expect((await j.getPayout('b2-4'))!.status).toBe('validated');
        // Another provider has its own references.
        expect(await batch(j, 'b3', [row(2)], [], 'starpay')).toEqual({ duplicates: 0 });
        expect((await j.payoutByReference(PROVIDER, 'R-2'))?.id).toBe('b1-2');
        expect((await j.payoutByReference('starpay', 'R-2'))?.id).toBe('b3-2');
      });

      it('a chunk that cannot be journaled whole journals nothing', async () => {
        const { j } = await fresh();
        await batch(j, 'b1');
        expect(await failure(() => j.insertRows('b1', PROVIDER, [row(5), row(6), row(5, { merchantReference: 'other' })], [problem('b1.csv', 5, 'x')]))).toBeInstanceOf(Error);
        expect(await j.getPayout('b1-5')).toBeUndefined();
        expect(await j.getPayout('b1-6')).toBeUndefined();
        expect(await j.countRowErrors('b1')).toBe(0);
      });

      it('counts name every status; payoutsOf filters by status and pages in row order', async () => {
        const { j } = await fresh();
        await batch(j, 'b0', [row(9)]);
        await batch(j, 'b1', [row(5), row(3), row(4, { status: 'invalid' }), row(2), row(6, { merchantReference: 'R-9' })]);
        const counts = await j.counts('b1');
        expect(Object.keys(counts).sort()).toEqual([...PAYOUT_STATUSES].sort());
        expect(counts).toMatchObject({ validated: 3, invalid: 1, duplicate: 1, queued: 0, submitted: 0, needs_review: 0 });
        expect(Object.values(await j.counts('nope')).every((n) => n === 0)).toBe(true);
        expect((await j.payoutsOf('b1')).map((p) => p.rowNumber)).toEqual([2, 3, 4, 5, 6]);
        expect((await j.payoutsOf('b1', ['validated'])).map((p) => p.rowNumber)).toEqual([2, 3, 5]);
        expect((await j.payoutsOf('b1', ['validated', 'invalid'], 2)).map((p) => p.rowNumber)).toEqual([2, 3]);
        expect((await j.payoutsOf('b1', ['validated'], 1)).map((p) => p.rowNumber)).toEqual([2]);
        expect(await j.payoutsOf('b1', ['queued'])).toEqual([]);
      });

      it('iteratePayouts streams every row of a batch in row order, whatever order they were journaled in', async () => {
        const { j } = await fresh();
        const rows = Array.from({ length: 1500 }, (_, i) => row(i + 2));
        await batch(j, 'b1', rows.slice(1000).reverse());
        await j.insertRows('b1', PROVIDER, rows.slice(0, 1000), []);
        await batch(j, 'b2', [row(20000)]);
        const seen = await collect(j.iteratePayouts('b1'));
        expect(seen).toHaveLength(1500);
        expect(seen.every((p, i) => p.rowNumber === i + 2 && p.batchId === 'b1')).toBe(true);
        expect(seen[0]!.fields.email).toBe('payee2@example.com');
      });

      it('the transition table: every allowed change applies with one event; every other is refused and changes nothing', async () => {
        const { j } = await fresh();
        await batch(j, 'seed', [row(1)]);
        let next = 2;
        await batch(j, 'b1');
        /** A fresh row of b1 in `status`. */
        const rowIn = async (status: PayoutStatus): Promise<string> => {
          const n = next++;
          if (status === 'duplicate') {
            await j.insertRows('b1', PROVIDER, [row(n, { merchantReference: 'R-1' })], []);
          } else {
            await j.insertRows('b1', PROVIDER, [row(n)], []);
            await walk(j, `b1-${n}`, PATHS[status]);
          }
          expect((await j.getPayout(`b1-${n}`))!.status).toBe(status);
          return `b1-${n}`;
        };
        for (const from of PAYOUT_STATUSES) {
          const refused = await rowIn(from);
          for (const to of PAYOUT_STATUSES) {
            if (allowed(from, to)) {
              const id = await rowIn(from);
              const events = (await j.eventsOf({ payoutId: id })).length;
              await j.transition(id, to, { errorMessage: `${from}→${to}` }, { type: 'table-check', detail: { from, to } });
              expect(await j.getPayout(id), `${from} → ${to}`).toMatchObject({ id, status: to, errorMessage: `${from}→${to}` });
              const written = (await j.eventsOf({ payoutId: id })).slice(events);
              expect(written.map((e) => [e.type, e.from, e.to, e.batchId]), `${from} → ${to}`).toEqual([['table-check', from, to, 'b1']]);
              expect(written[0]!.detail).toEqual({ from, to });
            } else {
              const events = (await j.eventsOf({ payoutId: refused })).length;
              const err = await failure(() => j.transition(refused, to, { errorMessage: 'must not be written' }, { type: 'table-check' }));
              expect(err, `${from} → ${to}`).toBeInstanceOf(IllegalTransitionError);
              expect((err as Error).message).toBe(`payout ${refused}: ${from} → ${to} is not allowed`);
              const p = (await j.getPayout(refused))!;
              expect(p.status, `${from} → ${to}`).toBe(from);
              expect(p.errorMessage, `${from} → ${to}`).not.toBe('must not be written');
              expect(await j.eventsOf({ payoutId: refused }), `${from} → ${to}`).toHaveLength(events);
            }
          }
        }
      });

      it('a change guarded by the states it expects is refused when the row has moved on (a callback and a poll racing)', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await walk(j, 'b1-2', ['submitting', 'submitted', 'succeeded']);
        const events = (await j.eventsOf({ payoutId: 'b1-2' })).length;
        const err = await failure(() => j.transition('b1-2', 'failed', {}, { type: 'poll-final' }, ['submitted', 'unknown']));
        expect(err).toBeInstanceOf(IllegalTransitionError);
        expect((err as Error).message).toBe('payout b1-2 is succeeded, expected submitted/unknown');
        expect((await j.getPayout('b1-2'))!.status).toBe('succeeded');
        expect(await j.eventsOf({ payoutId: 'b1-2' })).toHaveLength(events);
        expect(await failure(() => j.transition('b1-99', 'queued', {}, { type: 'x' }))).toBeInstanceOf(Error);
      });

      it('a change carries its patch: amounts as exact bigints, prepared data, times; undefined leaves a field, null clears it', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await j.transition('b1-2', 'submitting', { createAttempts: 1, lastCreateAt: 1_700_000_000_000 }, { type: 'submit-started' });
        const paid = 123_456_789_012_345_678_901n;
        await j.transition(
          'b1-2',
          'succeeded',
          { providerReference: 'PR-1', rawStatus: 'PAID', paidAmountMinor: paid, feeMinor: 0n, submittedAt: '2026-11-21T10:00:00.000Z', completedAt: '2026-11-21T10:01:00.000Z', deadlineAt: 5 },
          { type: 'submit-accepted', detail: { raw: 'PAID', paid } },
        );
        const p = await j.getPayout('b1-2');
        expect(p).toMatchObject({ status: 'succeeded', providerReference: 'PR-1', rawStatus: 'PAID', paidAmountMinor: paid, feeMinor: 0n, createAttempts: 1, lastCreateAt: 1_700_000_000_000, deadlineAt: 5 });
        expect((await j.eventsOf({ payoutId: 'b1-2', type: 'submit-accepted' }))[0]!.detail).toEqual({ raw: 'PAID', paid: paid.toString() });
        await j.touch('b1-2', { prepared: { customerNo: 'C-1', accountToken: 'T-1' }, payeeKey: 'payee-1', providerReference: undefined, rawStatus: null, polls: 3 });
        expect(await j.getPayout('b1-2')).toMatchObject({ prepared: { customerNo: 'C-1', accountToken: 'T-1' }, payeeKey: 'payee-1', providerReference: 'PR-1', rawStatus: null, polls: 3, status: 'succeeded' });
      });

      it('a guarded touch changes a row only while it is in the states given (a stale poll answer changes nothing)', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await walk(j, 'b1-2', ['submitting', 'submitted']);
        expect(await j.touch('b1-2', { polls: 1, nextCheckAt: 42 }, ['submitted', 'unknown'])).toBe(true);
        await j.transition('b1-2', 'succeeded', { rawStatus: 'PAID' }, { type: 'poll-final' }, ['submitted']);
        expect(await j.touch('b1-2', { polls: 2, nextCheckAt: 99 }, ['submitted', 'unknown'])).toBe(false);
        expect(await j.getPayout('b1-2')).toMatchObject({ status: 'succeeded', polls: 1, nextCheckAt: 42 });
        expect(await j.touch('b1-99', { polls: 1 })).toBe(false);
      });

      it('touch is bookkeeping: no event and no change of status', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await walk(j, 'b1-2', ['submitting', 'submitted']);
        const events = (await j.eventsOf({})).length;
        await j.touch('b1-2', { polls: 1, nextCheckAt: 42 });
        expect(await j.getPayout('b1-2')).toMatchObject({ status: 'submitted', polls: 1, nextCheckAt: 42 });
        expect(await j.eventsOf({})).toHaveLength(events);
      });

      it('staying in the same status is allowed bookkeeping with an event', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await walk(j, 'b1-2', ['submitting', 'submitted']);
        await j.transition('b1-2', 'submitted', { rawStatus: 'PROCESSING' }, { type: 'poll-pending' });
        expect((await j.eventsOf({ payoutId: 'b1-2' })).at(-1)).toMatchObject({ type: 'poll-pending', from: 'submitted', to: 'submitted' });
      });

      it('rows due for a check: submitted/unknown whose next check has come (none set: now), soonest first, paged', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3), row(4), row(5), row(6), row(7)]);
        const plan: [number, PayoutStatus[], number | null][] = [
          [2, ['submitting', 'submitted'], 500],
          [3, ['submitting', 'submitted'], 100],
          [4, ['submitting', 'submitted'], null],
          [5, ['submitting', 'submitted'], 900],
          [6, ['submitting', 'unknown'], 50],
          [7, ['queued'], 0],
        ];
        for (const [n, steps, at] of plan) {
          await walk(j, `b1-${n}`, steps);
          await j.touch(`b1-${n}`, { nextCheckAt: at });
        }
        expect((await j.duePayouts('b1', 600, 10)).map((p) => p.rowNumber)).toEqual([4, 6, 3, 2]);
        expect((await j.duePayouts('b1', 600, 2)).map((p) => p.rowNumber)).toEqual([4, 6]);
        expect(await j.nextDueAt('b1')).toBe(0);
        await j.transition('b1-4', 'succeeded', {}, { type: 'poll-final' });
        expect(await j.nextDueAt('b1')).toBe(50);
        expect(await j.nextDueAt('nope')).toBeNull();
        expect(await j.duePayouts('b1', 10, 10)).toEqual([]);
      });

      it('after a stop, every row caught submitting becomes unknown (to be asked, never resent), once', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3), row(4)]);
        await batch(j, 'b2', [row(5)]);
        await walk(j, 'b1-2', ['submitting']);
        await walk(j, 'b1-3', ['submitting', 'submitted']);
        await walk(j, 'b2-5', ['submitting']);
        expect(await j.recoverInFlight()).toBe(2);
        for (const id of ['b1-2', 'b2-5']) {
          expect(await j.getPayout(id)).toMatchObject({ status: 'unknown', nextCheckAt: 0 });
          expect((await j.eventsOf({ payoutId: id })).at(-1)).toMatchObject({ type: 'recovered-in-flight', from: 'submitting', to: 'unknown' });
        }
        expect((await j.getPayout('b1-3'))!.status).toBe('submitted');
        expect(await j.recoverInFlight()).toBe(0);
      });

      it('a callback finds its payout by merchant reference, else by the provider reference', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3, { status: 'invalid' })]);
        await walk(j, 'b1-2', ['submitting']);
        await j.transition('b1-2', 'submitted', { providerReference: 'PR-77' }, { type: 'submit-accepted' });
        expect((await j.findPayoutForCallback(PROVIDER, 'R-2'))?.id).toBe('b1-2');
        expect((await j.findPayoutForCallback(PROVIDER, '', 'PR-77'))?.id).toBe('b1-2');
        expect((await j.findPayoutForCallback(PROVIDER, 'R-unknown', 'PR-77'))?.id).toBe('b1-2');
        expect(await j.findPayoutForCallback(PROVIDER, 'R-3')).toBeUndefined();
        expect(await j.findPayoutForCallback('starpay', 'R-2', 'PR-77')).toBeUndefined();
        expect(await j.payoutByReference(PROVIDER, 'R-3')).toBeUndefined();
      });
    });

    describe('attempts and events', () => {
      it('attempts are recorded whole, in order, details as written (bigints as digits)', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await j.recordAttempt('b1-2', 'prepare', '2026-11-21T10:00:00.000Z', 'ready');
        await j.recordAttempt('b1-2', 'create', '2026-11-21T10:00:01.000Z', 'accepted', { reading: { raw: 'OK', paidAmountMinor: 200n } });
        const attempts = await j.attemptsOf('b1-2');
        expect(attempts.map((a) => [a.kind, a.startedAt, a.outcome, a.detail])).toEqual([
          ['prepare', '2026-11-21T10:00:00.000Z', 'ready', null],
          ['create', '2026-11-21T10:00:01.000Z', 'accepted', { reading: { raw: 'OK', paidAmountMinor: '200' } }],
        ]);
        expect(attempts.every((a) => a.payoutId === 'b1-2' && typeof a.finishedAt === 'string')).toBe(true);
        expect(await j.attemptsOf('b1-3')).toEqual([]);
      });

      it('free events are kept in the order written, found by batch, payout and type', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await j.event('batch-file-read', 'b1', null, null, null, { sha256: 'x', bytes: 10n });
        await j.event('callback-received', 'b1', 'b1-2', 'validated', 'validated', { rawStatus: 'PAID' });
        await j.event('callback-received', 'b1', 'b1-2', 'validated', 'validated');
        expect((await j.eventsOf({ batchId: 'b1' })).map((e) => e.type)).toEqual(['batch-received', 'batch-file-read', 'callback-received', 'callback-received']);
        const calls = await j.eventsOf({ payoutId: 'b1-2', type: 'callback-received' });
        expect(calls.map((e) => e.detail)).toEqual([{ rawStatus: 'PAID' }, null]);
        expect((await j.eventsOf({ type: 'batch-file-read' }))[0]).toMatchObject({ batchId: 'b1', payoutId: null, detail: { sha256: 'x', bytes: '10' } });
        expect(typeof calls[0]!.at).toBe('string');
      });

      // `fn` runs the journal's own calls inside the transaction; an async journal's atomically takes an async
      // `fn` (contract.ts), which its run of this suite awaits inside.
      it('atomically is all or nothing: an attempt and the change it led to are both kept, or neither', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await walk(j, 'b1-2', ['submitting']);
        const events = (await j.eventsOf({ payoutId: 'b1-2' })).length;
        const err = await failure(() =>
          j.atomically(() => {
            j.recordAttempt('b1-2', 'create', new Date().toISOString(), 'accepted');
            j.transition('b1-2', 'submitted', { providerReference: 'PR-1' }, { type: 'submit-accepted' });
            throw new Error('the process died here');
          }),
        );
        expect((err as Error).message).toBe('the process died here');
        expect(await j.getPayout('b1-2')).toMatchObject({ status: 'submitting', providerReference: null });
        expect(await j.attemptsOf('b1-2')).toEqual([]);
        expect(await j.eventsOf({ payoutId: 'b1-2' })).toHaveLength(events);
        const answer = await j.atomically(() => {
          j.recordAttempt('b1-2', 'create', new Date().toISOString(), 'accepted');
          j.transition('b1-2', 'submitted', { providerReference: 'PR-1' }, { type: 'submit-accepted' });
          return 'kept';
        });
        expect(answer).toBe('kept');
        expect((await j.getPayout('b1-2'))!.status).toBe('submitted');
        expect(await j.attemptsOf('b1-2')).toHaveLength(1);
      });
      // Group commit (contract.ts, Transactions.later): the engine hands over `submitting` before a request and
      // the answers after it; many rows' changes share one commit.
      it('later commits a group of changes: each all or nothing, answered once durable, visible to a second handle', async () => {
        const { j, place } = await fresh();
        await batch(j, 'b1', [row(2), row(3), row(4)]);
        await walk(j, 'b1-3', ['submitting']);
        const submitting = j.later(() => {
          j.transition('b1-2', 'submitting', { createAttempts: 1 }, { type: 'submit-start' });
          return 'b1-2 submitting';
        });
        const refused = j.later(() => {
          j.recordAttempt('b1-3', 'create', new Date().toISOString(), 'accepted');
          j.transition('b1-3', 'submitted', { providerReference: 'PR-3' }, { type: 'submit-accepted' });
          throw new Error('this change fails alone');
        });
        const queued = j.later(() => j.transition('b1-4', 'queued', { errorMessage: 'not sent' }, { type: 'submit-not-sent' }));
        expect(await submitting).toBe('b1-2 submitting');
        expect(((await failure(() => refused)) as Error).message).toBe('this change fails alone');
        await queued;
        const other = await open(place);
        expect((await other.getPayout('b1-2'))!).toMatchObject({ status: 'submitting', createAttempts: 1 });
        expect((await other.getPayout('b1-3'))!).toMatchObject({ status: 'submitting', providerReference: null });
        expect(await other.attemptsOf('b1-3')).toEqual([]);
        expect((await other.getPayout('b1-4'))!.status).toBe('queued');
        expect((await other.eventsOf({ payoutId: 'b1-2' })).map((e) => [e.type, e.from, e.to])).toEqual([['submit-start', 'validated', 'submitting']]);
      });

      it('a change handed to later is seen by every call made after it, before its commit is answered', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2)]);
        const pending = j.later(() => j.transition('b1-2', 'submitting', {}, { type: 'submit-start' }));
        expect((await j.getPayout('b1-2'))!.status).toBe('submitting');
        expect((await j.counts('b1')).submitting).toBe(1);
        await pending;
        const stale = j.later(() => j.transition('b1-2', 'submitting', {}, { type: 'submit-start' }, ['validated', 'queued']));
        expect(await failure(() => stale)).toBeInstanceOf(IllegalTransitionError);
        await j.flush();
        expect(await j.eventsOf({ payoutId: 'b1-2', type: 'submit-start' })).toHaveLength(1);
      });
    });

    describe('payees and callbacks', () => {
      it('a payee is cached per provider: checkpointed part-way, then ready, each with its event', async () => {
        const { j } = await fresh();
        expect(await j.getPayee('yuansfer', 'k1')).toBeUndefined();
        await j.putPayee('yuansfer', 'k1', { customerNo: 'C1' }, false);
        expect(await j.getPayee('yuansfer', 'k1')).toEqual({ prepared: { customerNo: 'C1' }, ready: false });
        await j.putPayee('yuansfer', 'k1', { customerNo: 'C1', accountToken: 'T1' }, true);
        expect(await j.getPayee('yuansfer', 'k1')).toEqual({ prepared: { customerNo: 'C1', accountToken: 'T1' }, ready: true });
        expect(await j.getPayee('starpay', 'k1')).toBeUndefined();
        const events = [...(await j.eventsOf({ type: 'payee-checkpoint' })), ...(await j.eventsOf({ type: 'payee-prepared' }))];
        expect(events.map((e) => [e.type, e.detail])).toEqual([
          ['payee-checkpoint', { provider: 'yuansfer', payeeKey: 'k1' }],
          ['payee-prepared', { provider: 'yuansfer', payeeKey: 'k1' }],
        ]);
      });

      it('a callback body seen before is a replay', async () => {
        const { j } = await fresh();
        expect(await j.rememberCallback(PROVIDER, 'digest-1')).toBe(true);
        expect(await j.rememberCallback(PROVIDER, 'digest-1')).toBe(false);
        expect(await j.rememberCallback(PROVIDER, 'digest-2')).toBe(true);
      });
    });

    describe('the work folder: journal id, notes, waiting sheets', () => {
      it('a meta key is set once: the first value is kept, whoever asks, with one event', async () => {
        const { j, place } = await fresh();
        expect(await j.getMeta('journal_id')).toBeUndefined();
        expect(await j.claimMeta('journal_id', 'id-A')).toBe('id-A');
        const other = await open(place);
        expect(await other.claimMeta('journal_id', 'id-B')).toBe('id-A');
        expect(await j.getMeta('journal_id')).toBe('id-A');
        expect((await j.eventsOf({ type: 'journal-meta' })).map((e) => e.detail)).toEqual([{ key: 'journal_id', value: 'id-A' }]);
      });

      it('notes on a batch are kept in the order added, with an event each', async () => {
        const { j } = await fresh();
        await batch(j, 'b1');
        await j.addBatchNote('b1', 'file-changed', 'first');
        await j.addBatchNote('b1', 'changed-while-read', 'second');
        expect((await j.batchNotes('b1')).map((n) => [n.kind, n.note])).toEqual([['file-changed', 'first'], ['changed-while-read', 'second']]);
        expect(typeof (await j.batchNotes('b1'))[0]!.at).toBe('string');
        expect(await j.batchNotes('b2')).toEqual([]);
        expect((await j.eventsOf({ batchId: 'b1', type: 'batch-note' })).map((e) => e.detail)).toEqual([{ kind: 'file-changed', note: 'first' }, { kind: 'changed-while-read', note: 'second' }]);
      });

      it('a sheet waiting for its configuration is recorded once per path (the latest reason), listed by path, cleared when taken', async () => {
        const { j } = await fresh();
        await j.recordIntakeWait('inbox/starpay/b.csv', 'starpay', 'no secret');
        await j.recordIntakeWait('inbox/vexora/a.csv', 'vexora', 'bad key');
        await j.recordIntakeWait('inbox/starpay/b.csv', 'starpay', 'still no secret');
        expect((await j.intakeWaits()).map((w) => [w.path, w.provider, w.reason])).toEqual([
          ['inbox/starpay/b.csv', 'starpay', 'still no secret'],
          ['inbox/vexora/a.csv', 'vexora', 'bad key'],
        ]);
        await j.clearIntakeWait('inbox/starpay/b.csv');
        await j.clearIntakeWait('inbox/never.csv');
        expect((await j.intakeWaits()).map((w) => w.path)).toEqual(['inbox/vexora/a.csv']);
      });
    });

    describe('duplicate payments and required references', () => {
      it('a row paying the same account, amount and currency as a payout sent from another batch is found; unsent ones are not', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3), row(4)]);
        expect(await j.recordFingerprints('b1', [3])).toBe(3);
        await walk(j, 'b1-2', ['submitting', 'submitted']);
        await walk(j, 'b1-3', ['submitting', 'succeeded']);
        // The same accounts written differently (spaces, dashes, case), new references; row 4's twin was never sent.
        await batch(j, 'b2', [
          row(12, { merchantReference: 'N-12', amountMinor: 200n, original: ['N-12', '2.00', 'ARS', ' 0001 2 ', 'x@example.com'] }),
          row(13, { merchantReference: 'N-13', amountMinor: 300n, original: ['N-13', '3.00', 'ARS', '00013', 'y@example.com'] }),
          row(14, { merchantReference: 'N-14', amountMinor: 400n, original: ['N-14', '4.00', 'ARS', '0001-4', 'z@example.com'] }),
          row(15, { merchantReference: 'N-15', amountMinor: 999n, original: ['N-15', '9.99', 'ARS', '0001-2', 'w@example.com'] }),
        ]);
        expect(await j.recordFingerprints('b2', [3])).toBe(4);
        const since = new Date(Date.now() - 60_000).toISOString();
        expect(await j.paidLookalikes('b2', since, 10)).toEqual([
          { rowNumber: 12, reference: 'N-12', earlierBatch: 'b1', earlierRow: 2, earlierReference: 'R-2', earlierStatus: 'submitted' },
          { rowNumber: 13, reference: 'N-13', earlierBatch: 'b1', earlierRow: 3, earlierReference: 'R-3', earlierStatus: 'succeeded' },
        ]);
        expect(await j.paidLookalikes('b2', since, 1)).toHaveLength(1);
        expect(await j.paidLookalikes('b2', new Date(Date.now() + 60_000).toISOString(), 10)).toEqual([]);
      });

      it('fingerprints replace what a batch had; rows with no identifier and rows not valid are skipped; bad columns refused', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3, { original: ['R-3', '3.00', 'ARS', ' ', 'e'] }), row(4, { status: 'invalid' })]);
        expect(await j.recordFingerprints('b1', [3])).toBe(1);
        expect(await j.recordFingerprints('b1', [3])).toBe(1);
        expect(await j.recordFingerprints('b1', [3, 4])).toBe(2);
        expect(await j.recordFingerprints('b1', [])).toBe(0);
        expect(await failure(() => j.recordFingerprints('b1', [-1]))).toBeInstanceOf(Error);
        expect(await failure(() => j.recordFingerprints('b1', [1.5]))).toBeInstanceOf(Error);
      });

      it('valid rows with an empty or blank cell are listed in row order (a reference where one is required)', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [
          row(2),
          row(3, { merchantReference: null, original: ['', '3.00', 'ARS', 'a', 'e'] }),
          row(4, { merchantReference: null, original: [' \t', '4.00', 'ARS', 'a', 'e'] }),
          row(5, { merchantReference: null, status: 'invalid', original: ['', 'x', 'ARS', 'a', 'e'] }),
          row(6, { merchantReference: null, original: ['\r\n', '6.00', 'ARS', 'a', 'e'] }),
        ]);
        expect(await j.validRowsWithEmptyCell('b1', 0)).toEqual([
          { id: 'b1-3', rowNumber: 3, amountMinor: 300n, currency: 'ARS' },
          { id: 'b1-4', rowNumber: 4, amountMinor: 400n, currency: 'ARS' },
          { id: 'b1-6', rowNumber: 6, amountMinor: 600n, currency: 'ARS' },
        ]);
        expect(await j.validRowsWithEmptyCell('b1', 9)).toHaveLength(4);
        expect(await failure(() => j.validRowsWithEmptyCell('b1', -1))).toBeInstanceOf(Error);
      });
    });

    describe('controls: releaser, release time, cancel, what was released per day', () => {
      it('a batch keeps who released it (name and OS user, each may be null), and when it was released and cancelled', async () => {
        const { j, place } = await fresh();
        const made = await j.createBatch({ id: 'b1', fileName: 'b1.csv', fileSha256: 's1', fileBytes: 1, provider: PROVIDER, sourcePath: '/in/b1.csv', format: 'csv', releasedBy: 'ana', releasedOsUser: 'ana.os' });
        expect(made).toMatchObject({ releasedBy: 'ana', releasedOsUser: 'ana.os', releasedAt: null, cancelledAt: null });
        const upload = await j.createBatch({ id: 'b2', fileName: 'b2.csv', fileSha256: 's2', fileBytes: 1, provider: PROVIDER, sourcePath: '/in/b2.csv', format: 'csv', releasedBy: 'maria', releasedOsUser: null });
        expect(upload).toMatchObject({ releasedBy: 'maria', releasedOsUser: null });
        const unnamed = await j.createBatch({ id: 'b3', fileName: 'b3.csv', fileSha256: 's3', fileBytes: 1, provider: PROVIDER, sourcePath: '/in/b3.csv', format: 'csv' });
        expect(unnamed).toMatchObject({ releasedBy: null, releasedOsUser: null });
        await j.updateBatch('b1', { state: 'submitting', releasedAt: '2026-11-21T10:00:00.000Z' });
        await j.updateBatch('b1', { cancelledAt: '2026-11-21T10:05:00.000Z' }, { type: 'batch-cancelled', detail: { by: 'ops', note: 'wrong file' } });
        const again = await open(place);
        expect(await again.getBatch('b1')).toMatchObject({ state: 'submitting', releasedBy: 'ana', releasedOsUser: 'ana.os', releasedAt: '2026-11-21T10:00:00.000Z', cancelledAt: '2026-11-21T10:05:00.000Z' });
        expect((await again.eventsOf({ batchId: 'b1', type: 'batch-cancelled' })).map((e) => e.detail)).toEqual([{ by: 'ops', note: 'wrong file' }]);
      });

      it('releasedTotals sums, per currency and exactly, the rows paid or maybe paid of batches released in [from, to), for one provider', async () => {
        const { j } = await fresh();
        const big = 9_007_199_254_740_993n; // beyond a float's exact integers
        // b1: released inside the window, every status once.
        await batch(j, 'b1', [row(2), row(3), row(4), row(5), row(6), row(7), row(8, { currency: 'USD', amountMinor: big }), row(9, { status: 'invalid' }), row(10, { amountMinor: null })]);
        await walk(j, 'b1-3', ['submitting', 'submitted']);
        await walk(j, 'b1-4', ['submitting', 'succeeded']);
        await walk(j, 'b1-5', ['submitting', 'needs_review']);
        await walk(j, 'b1-6', ['failed']);
        await walk(j, 'b1-7', ['cancelled']);
        await j.updateBatch('b1', { state: 'submitting', releasedAt: '2026-11-21T03:00:00.000Z' });
        // b2: its reference R-2 is taken by b1, so that row is a duplicate; R-11 counts.
        await batch(j, 'b2', [row(2), row(11)]);
        await walk(j, 'b2-11', ['submitting', 'succeeded', 'reversed']);
        await j.updateBatch('b2', { state: 'completed', releasedAt: '2026-11-22T02:59:59.999Z' });
        // Not counted: held (never released), released on the window's end, another provider's.
        await batch(j, 'b3', [row(12)]);
        await j.updateBatch('b3', { state: 'held' });
        await batch(j, 'b4', [row(13)]);
        await j.updateBatch('b4', { state: 'submitting', releasedAt: '2026-11-22T03:00:00.000Z' });
        await batch(j, 'b5', [row(14)], [], 'starpago');
        await j.updateBatch('b5', { state: 'submitting', releasedAt: '2026-11-21T12:00:00.000Z' });

        const from = '2026-11-21T03:00:00.000Z';
        const to = '2026-11-22T03:00:00.000Z';
        // ARS: rows 2 (validated), 3 (submitted), 4 (succeeded), 5 (needs_review) of b1, and 11 (reversed) of b2.
        expect(await j.releasedTotals(PROVIDER, from, to)).toEqual([
          { currency: 'ARS', amountMinor: 200n + 300n + 400n + 500n + 1100n },
          { currency: 'USD', amountMinor: big },
        ]);
        expect(await j.releasedTotals('starpago', from, to)).toEqual([{ currency: 'ARS', amountMinor: 1400n }]);
        expect(await j.releasedTotals(PROVIDER, to, '2026-11-23T03:00:00.000Z')).toEqual([{ currency: 'ARS', amountMinor: 1300n }]);
        expect(await j.releasedTotals(PROVIDER, '2026-11-20T03:00:00.000Z', from)).toEqual([]);
        expect(await j.releasedTotals('yuansfer', from, to)).toEqual([]);
        // A released row that fails or is cancelled later frees its share of the day.
        await walk(j, 'b1-2', ['cancelled']);
        await j.transition('b1-3', 'failed', {}, { type: 'to-failed' });
        expect((await j.releasedTotals(PROVIDER, from, to))[0]).toEqual({ currency: 'ARS', amountMinor: 400n + 500n + 1100n });
      });
    });

    describe('the delivery outbox', () => {
      const delivery = (id: string, over: Record<string, unknown> = {}) => ({ id, event: 'batch.completed', batchId: 'b1', channel: 'email' as const, payload: { to: ['f@example.com'], n: 1 }, ...over });

      it('a delivery is recorded once per id (a known id is ignored, its payload kept), due from its first attempt time, oldest first', async () => {
        const { j } = await fresh();
        const t = Date.now();
        expect(await j.enqueueDelivery(delivery('e1.email', { nextAttemptAt: t - 10 }))).toBe(true);
        expect(await j.enqueueDelivery(delivery('e1.email', { payload: { other: true } }))).toBe(false);
        expect(await j.enqueueDelivery(delivery('e1.webhook', { channel: 'webhook', nextAttemptAt: t - 5 }))).toBe(true);
        expect(await j.enqueueDelivery(delivery('e2.email', { nextAttemptAt: t + 60_000 }))).toBe(true);
        expect(await j.getDelivery('e1.email')).toMatchObject({ id: 'e1.email', event: 'batch.completed', batchId: 'b1', channel: 'email', payload: { to: ['f@example.com'], n: 1 }, attempts: 0, nextAttemptAt: t - 10, deliveredAt: null, gaveUpAt: null, lastError: null });
        expect(await j.getDelivery('nope')).toBeUndefined();
        expect((await j.dueDeliveries(t, 10)).map((d) => d.id)).toEqual(['e1.email', 'e1.webhook']);
        expect(await j.dueDeliveries(t, 1)).toHaveLength(1);
        expect((await j.dueDeliveries(t + 60_000, 10)).map((d) => d.id)).toEqual(['e1.email', 'e1.webhook', 'e2.email']);
        expect(await j.deliveriesPending()).toBe(3);
        expect((await j.eventsOf({ type: 'delivery-queued' })).map((e) => (e.detail as { id: string }).id)).toEqual(['e1.email', 'e1.webhook', 'e2.email']);
      });

      it('a failed attempt is tried again at its next time; a delivered one is never due again, nor enqueued again', async () => {
        const { j, place } = await fresh();
        const t = Date.now();
        await j.enqueueDelivery(delivery('e1.email', { nextAttemptAt: t - 10 }));
        await j.markDeliveryFailed('e1.email', '451 try later', t + 1000);
        expect(await j.dueDeliveries(t, 10)).toEqual([]);
        expect(await j.getDelivery('e1.email')).toMatchObject({ attempts: 1, nextAttemptAt: t + 1000, lastError: '451 try later', gaveUpAt: null });
        expect((await j.dueDeliveries(t + 1000, 10)).map((d) => d.id)).toEqual(['e1.email']);
        await j.markDelivered('e1.email');
        const other = await open(place);
        const done = (await other.getDelivery('e1.email'))!;
        expect(done).toMatchObject({ attempts: 2, gaveUpAt: null });
        expect(done.deliveredAt).not.toBeNull();
        expect(await other.dueDeliveries(t + 3_600_000, 10)).toEqual([]);
        expect(await other.deliveriesPending()).toBe(0);
        expect(await other.enqueueDelivery(delivery('e1.email'))).toBe(false);
        // A late answer of another attempt changes nothing once delivered.
        await other.markDeliveryFailed('e1.email', 'late', null);
        expect(await other.getDelivery('e1.email')).toMatchObject({ gaveUpAt: null, attempts: 2 });
        expect(await other.eventsOf({ type: 'delivery-sent' })).toHaveLength(1);
      });

      it('a delivery given up is no longer due, is listed newest first with its error, and is not delivered afterwards', async () => {
        const { j } = await fresh();
        const t = Date.now();
        await j.enqueueDelivery(delivery('e1.webhook', { channel: 'webhook', nextAttemptAt: t - 10 }));
        await j.enqueueDelivery(delivery('e2.email', { nextAttemptAt: t - 10 }));
        await j.enqueueDelivery(delivery('e3.email', { nextAttemptAt: t - 10 }));
        await j.markDeliveryFailed('e1.webhook', '404 not found', null);
        await sleep(5);
        await j.markDeliveryFailed('e2.email', '550 no such user', null);
        expect((await j.dueDeliveries(t, 10)).map((d) => d.id)).toEqual(['e3.email']);
        expect(await j.deliveriesPending()).toBe(1);
        const givenUp = await j.deliveriesGivenUp(10);
        expect(givenUp.map((d) => [d.id, d.lastError, d.attempts])).toEqual([['e2.email', '550 no such user', 1], ['e1.webhook', '404 not found', 1]]);
        expect(givenUp[0]!.gaveUpAt).not.toBeNull();
        expect(await j.deliveriesGivenUp(1)).toHaveLength(1);
        await j.markDelivered('e2.email');
        expect((await j.getDelivery('e2.email'))!.deliveredAt).toBeNull();
        expect((await j.eventsOf({ type: 'delivery-given-up' })).map((e) => e.batchId)).toEqual(['b1', 'b1']);
      });
    });

    describe('what the console and /metrics read', () => {
      it('pageOfPayouts pages a batch by keyset in row order, forward and back, filtered by one status or several', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', Array.from({ length: 30 }, (_, k) => row(k + 2)));
        for (let n = 2; n <= 31; n++) if (n % 5 === 0) await walk(j, `b1-${n}`, ['failed']);
        for (const n of [3, 4]) await walk(j, `b1-${n}`, ['queued']);
        const first = await j.pageOfPayouts('b1', null, { after: 0 }, 10);
        expect(first.map((p) => p.rowNumber)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        expect(first[0]).toMatchObject({ id: 'b1-2', merchantReference: 'R-2', amountMinor: 200n, fields: { reference: 'R-2', amount: '2.00' } });
        const next = await j.pageOfPayouts('b1', null, { after: 11 }, 10);
        expect(next.map((p) => p.rowNumber)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
        expect((await j.pageOfPayouts('b1', null, { before: 12 }, 10)).map((p) => p.rowNumber)).toEqual(first.map((p) => p.rowNumber));
        expect((await j.pageOfPayouts('b1', null, { before: 5 }, 10)).map((p) => p.rowNumber)).toEqual([2, 3, 4]);
        expect((await j.pageOfPayouts('b1', null, { after: 29 }, 10)).map((p) => p.rowNumber)).toEqual([30, 31]);
        const failed = await j.pageOfPayouts('b1', ['failed'], { after: 0 }, 3);
        expect(failed.map((p) => [p.rowNumber, p.status])).toEqual([[5, 'failed'], [10, 'failed'], [15, 'failed']]);
        expect((await j.pageOfPayouts('b1', ['failed'], { after: 15 }, 3)).map((p) => p.rowNumber)).toEqual([20, 25, 30]);
        expect((await j.pageOfPayouts('b1', ['failed'], { before: 20 }, 2)).map((p) => p.rowNumber)).toEqual([10, 15]);
        expect((await j.pageOfPayouts('b1', ['queued', 'failed'], { after: 0 }, 4)).map((p) => p.rowNumber)).toEqual([3, 4, 5, 10]);
        expect(await j.pageOfPayouts('b1', ['succeeded'], { after: 0 }, 10)).toEqual([]);
        expect(await j.pageOfPayouts('nope', null, { after: 0 }, 10)).toEqual([]);
      });

      it('amountTotals sums exactly per currency and status (beyond 2^53); rows without an amount count with currency null', async () => {
        const { j } = await fresh();
        const big = 9_007_199_254_740_993n; // 2^53 + 1: a double would round it
        await batch(j, 'b1', [
          row(2, { amountMinor: big }),
          row(3, { amountMinor: 7n }),
          row(4, { currency: 'USD', amountMinor: 5n }),
          row(5, { status: 'invalid', amountMinor: null, currency: null, errorMessage: 'bad amount' }),
        ]);
        await batch(j, 'b2', [row(6, { merchantReference: 'other' })]);
        await walk(j, 'b1-3', ['failed']);
        const key = (t: { currency: string | null; status: string }) => `${t.currency ?? '~'}/${t.status}`;
        const totals = (await j.amountTotals('b1')).sort((a, b) => (key(a) < key(b) ? -1 : 1));
        expect(totals).toEqual([
          { currency: 'ARS', status: 'failed', rows: 1, amountMinor: 7n },
          { currency: 'ARS', status: 'validated', rows: 1, amountMinor: big },
          { currency: 'USD', status: 'validated', rows: 1, amountMinor: 5n },
          { currency: null, status: 'invalid', rows: 1, amountMinor: 0n },
        ]);
        await batch(j, 'b3', [row(7, { amountMinor: big }), row(8, { amountMinor: big })]);
        expect(await j.amountTotals('b3')).toEqual([{ currency: 'ARS', status: 'validated', rows: 2, amountMinor: 2n * big }]);
        expect(await j.amountTotals('nope')).toEqual([]);
      });

      it('payoutTotals and rowsWaiting count over every batch; rowsWaiting only in batches that may still send', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3), row(4)]);
        await batch(j, 'b2', [row(5), row(6)], [], 'starpay');
        await batch(j, 'b3', [row(7)]);
        await walk(j, 'b1-2', ['submitting', 'succeeded']);
        await walk(j, 'b1-3', ['queued']);
        await j.updateBatch('b1', { state: 'submitting' });
        await j.updateBatch('b2', { state: 'held' });
        const byKey = <T extends { provider: string }>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
        expect(byKey(await j.payoutTotals(), (t) => `${t.provider}/${t.status}`)).toEqual([
          { provider: 'starpay', status: 'validated', rows: 2 },
          { provider: PROVIDER, status: 'queued', rows: 1 },
          { provider: PROVIDER, status: 'succeeded', rows: 1 },
          { provider: PROVIDER, status: 'validated', rows: 2 },
        ]);
        expect(byKey(await j.rowsWaiting(), (t) => t.provider)).toEqual([
          { provider: 'starpay', rows: 2 },
          { provider: PROVIDER, rows: 2 },
        ]);
        await j.updateBatch('b2', { state: 'cancelled' });
        expect(await j.rowsWaiting()).toEqual([{ provider: PROVIDER, rows: 2 }]);
      });

      it('attemptTotals counts every attempt per provider, outcome and throttled, for every handle, and only grows', async () => {
        const { j, place } = await fresh();
        await batch(j, 'b1', [row(2), row(3)]);
        const at = new Date().toISOString();
        await j.recordAttempt('b1-2', 'create', at, 'accepted');
        await j.recordAttempt('b1-3', 'create', at, 'notSent', { kind: 'notSent', throttled: true });
        await j.atomically(() => j.recordAttempt('b1-3', 'create', at, 'notSent', { kind: 'notSent', throttled: false }));
        const sorted = async (x: Journal) =>
          (await x.attemptTotals()).sort((a, b) => `${a.outcome}/${a.throttled}`.localeCompare(`${b.outcome}/${b.throttled}`));
        expect(await sorted(j)).toEqual([
          { provider: PROVIDER, outcome: 'accepted', throttled: false, requests: 1 },
          { provider: PROVIDER, outcome: 'notSent', throttled: false, requests: 1 },
          { provider: PROVIDER, outcome: 'notSent', throttled: true, requests: 1 },
        ]);
        const other = await open(place);
        await other.recordAttempt('b1-2', 'query', at, 'status');
        await other.recordAttempt('b1-3', 'query', at, 'status');
        await j.recordAttempt('b1-2', 'create', at, 'accepted');
        const expected = [
          { provider: PROVIDER, outcome: 'accepted', throttled: false, requests: 2 },
          { provider: PROVIDER, outcome: 'notSent', throttled: false, requests: 1 },
          { provider: PROVIDER, outcome: 'notSent', throttled: true, requests: 1 },
          { provider: PROVIDER, outcome: 'status', throttled: false, requests: 2 },
        ];
        expect(await sorted(other)).toEqual(expected);
        await j.close();
        expect(await sorted(other)).toEqual(expected);
        await other.close();
        expect(await sorted(await open(place))).toEqual(expected);
      });
    });

    describe('crash safety, as the API shows it', () => {
      it('submitting is committed before transition returns: another process sees it, and recovers it as unknown', async () => {
        const { j, place } = await fresh();
        await batch(j, 'b1', [row(2)]);
        await j.transition('b1-2', 'submitting', { createAttempts: 1 }, { type: 'submit-started' });
        const restarted = await open(place);
        expect(await restarted.getPayout('b1-2')).toMatchObject({ status: 'submitting', createAttempts: 1 });
        expect(await restarted.recoverInFlight()).toBe(1);
        expect((await j.getPayout('b1-2'))!.status).toBe('unknown');
      });

      it('a sheet journaled in bulk is durable and visible to others once endBulk returns', async () => {
        const { j, place } = await fresh();
        await batch(j, 'b1');
        await j.beginBulk();
        await j.insertRows('b1', PROVIDER, Array.from({ length: 50 }, (_, i) => row(i + 2)), []);
        await j.endBulk();
        const other = await open(place);
        expect((await other.counts('b1')).validated).toBe(50);
        expect((await other.eventsOf({ type: 'journal-synced' })).length).toBe(1);
      });

      it('everything survives a close and a reopen; close is idempotent', async () => {
        const { j, place } = await fresh();
        await batch(j, 'b1', [row(2)], [problem('b1.csv', 2, 'x')]);
        await walk(j, 'b1-2', ['submitting', 'submitted']);
        await j.putPayee('yuansfer', 'k', { a: '1' }, true);
        await j.claimMeta('journal_id', 'J');
        await j.rememberCallback(PROVIDER, 'd');
        await j.close();
        await j.close();
        const again = await open(place);
        expect((await again.getBatch('b1'))?.columns).toEqual(COLUMNS);
        expect(await again.getPayout('b1-2')).toMatchObject({ status: 'submitted', fields: { reference: 'R-2', amount: '2.00', currency: 'ARS', account_number: '0001-2', email: 'payee2@example.com' } });
        expect(await again.countRowErrors('b1')).toBe(1);
        expect(await again.getPayee('yuansfer', 'k')).toEqual({ prepared: { a: '1' }, ready: true });
        expect(await again.getMeta('journal_id')).toBe('J');
        expect(await again.rememberCallback(PROVIDER, 'd')).toBe(false);
      });
    });

    describe.skipIf(!subject.capabilities.bulkWriter)('the bulk writer (optional capability)', () => {
      it('journals like insertRows: every row, duplicates of earlier batches caught, problems kept', async () => {
        const { j } = await fresh();
        await batch(j, 'b1', [row(2), row(3)]);
        await batch(j, 'b2');
        const writer = j.bulkWriter!();
        const rows = Array.from({ length: 2500 }, (_, i) => row(i + 2));
        for (let at = 0; at < rows.length; at += 1000) await writer.write('b2', PROVIDER, rows.slice(at, at + 1000), at === 0 ? [problem('b2.csv', null, 'header')] : []);
        expect(await writer.end()).toEqual({ duplicates: 2 });
        expect(await j.counts('b2')).toMatchObject({ validated: 2498, duplicate: 2 });
        expect((await collect(j.iterateRowErrors('b2'))).map((p) => p.rule)).toEqual(['header']);
        expect((await j.getPayout('b2-2501'))!.fields.email).toBe('payee2501@example.com');
      });
    });

    describe.skipIf(!subject.capabilities.claims)('claims (shared journals only)', () => {
      it('a row is in one process’s hands at a time: claimed rows are not handed out again until released', async () => {
        const { j, place } = await fresh();
        await batch(j, 'b1', [row(2), row(3), row(4)]);
        const other = await open(place);
        const mine = await j.claims!.claim('b1', ['validated'], 2);
        const theirs = await other.claims!.claim('b1', ['validated'], 5);
        expect(mine).toHaveLength(2);
        expect(theirs.map((p) => p.id)).toEqual(['b1-2', 'b1-3', 'b1-4'].filter((id) => !mine.some((p) => p.id === id)));
        await j.claims!.release();
        // What `other` took stays its own, answered again with what it takes now ("rows this process already holds included").
        expect((await other.claims!.claim('b1', ['validated'], 5)).map((p) => p.id)).toEqual(['b1-2', 'b1-3', 'b1-4']);
        expect(await j.claims!.claim('b1', ['validated'], 5)).toEqual([]);
      });
    });
  });
}
