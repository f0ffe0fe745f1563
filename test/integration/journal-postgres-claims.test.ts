// Two processes, one PostgreSQL journal (DESIGN §11): claims are exclusive, a process whose lease expired can
// record nothing on a row another took over, a live process's requests in flight are never recovered under it,
// the request budget is shared, first opens migrate once, and the password never shows. Real server, no mocks.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JournalError, LeaseLostError, type NewPayout } from '../../src/journal/store.ts';
import { migrations } from '../../src/journal/postgres/schema.ts';
import { PostgresJournal, type PostgresJournalOptions } from '../../src/journal/postgres/store.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const storeModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/journal/postgres/store.ts');

let server: TestPostgres;
let databases = 0;
const opened: PostgresJournal[] = [];

beforeAll(async () => {
  server = await startPostgres();
});
afterEach(() => {
  for (const j of opened.splice(0)) j.close();
});
afterAll(async () => {
  await server?.stop();
});

async function freshDatabase(): Promise<string> {
  const name = `claims_${process.pid}_${++databases}`;
  await server.createDatabase(name);
  return server.url(name);
}

function open(url: string, options: Partial<PostgresJournalOptions> = {}): PostgresJournal {
  const j = new PostgresJournal(url, { leaseSeconds: 30, command: 'claims test', ...options });
  opened.push(j);
  return j;
}

function failure(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks this thread (timers, I/O and all), as a long synchronous stretch of work would. */
const blockThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const row = (n: number): NewPayout => ({
  rowNumber: n,
  merchantReference: `R-${n}`,
  status: 'validated',
  amountMinor: BigInt(n * 100),
  currency: 'ARS',
  original: [`R-${n}`, `${n}.00`, 'ARS'],
  fields: {},
});

function batchOf(j: PostgresJournal, id: string, rows: number): void {
  j.createBatch({ id, fileName: `${id}.csv`, fileSha256: `sha-${id}`, fileBytes: 1, provider: 'vexora', sourcePath: `/in/${id}.csv`, format: 'csv' });
  j.updateBatch(id, { header: ['reference', 'amount', 'currency'], columns: [['reference', 0], ['amount', 1], ['currency', 2]] });
  j.insertRows(id, 'vexora', Array.from({ length: rows }, (_, i) => row(i + 2)), []);
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('two processes on one PostgreSQL journal', () => {
  it('a row is in one process’s hands: the other neither gets it nor changes it, until it is released', async () => {
    const url = await freshDatabase();
    const a = open(url);
    const b = open(url);
    batchOf(a, 'b1', 10);
    const mine = a.claims!.claim('b1', ['validated'], 4);
    const theirs = b.claims!.claim('b1', ['validated'], 10);
    expect(mine.map((p) => p.rowNumber)).toEqual([2, 3, 4, 5]);
    expect(theirs.map((p) => p.rowNumber)).toEqual([6, 7, 8, 9, 10, 11]);
    const err = failure(() => b.transition('b1-2', 'submitting', {}, { type: 'submit-start' }));
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(failure(() => b.touch('b1-2', { polls: 9 }))).toBeInstanceOf(LeaseLostError);
    expect(b.getPayout('b1-2')).toMatchObject({ status: 'validated', polls: 0 });
    expect(b.eventsOf({ payoutId: 'b1-2' })).toEqual([]);
    expect(b.claims!.processes().map((p) => [p.holder, p.rowsClaimed])).toEqual([
      [a.holder, 4],
      [b.holder, 6],
    ]);
    a.claims!.release(['b1-2']);
    b.transition('b1-2', 'queued', {}, { type: 'queued' });
    // A row reaching a status that is not open is no one's any more.
    a.transition('b1-3', 'failed', {}, { type: 'prepare-refused' });
    expect(a.claims!.processes().find((p) => p.holder === a.holder)?.rowsClaimed).toBe(2);
  });

  it('a process whose lease expired records nothing on a row another took over; its every write is refused', async () => {
    const url = await freshDatabase();
    const stalled = open(url, { leaseSeconds: 1, heartbeat: false });
    const survivor = open(url);
    batchOf(survivor, 'b1', 2);
    expect(stalled.claims!.claim('b1', ['validated'], 1).map((p) => p.id)).toEqual(['b1-2']);
    stalled.transition('b1-2', 'submitting', { createAttempts: 1 }, { type: 'submit-start' });
    await sleep(1500);
    // The survivor takes over: the row in flight becomes unknown, to be asked (rule 3), and is now the survivor's.
    expect(survivor.recoverInFlight()).toBe(1);
    expect(survivor.claims!.claimDue('b1', Date.now(), 10).map((p) => p.id)).toEqual(['b1-2']);
    const before = survivor.getPayout('b1-2');
    const err = failure(() => stalled.transition('b1-2', 'succeeded', { rawStatus: 'PAID' }, { type: 'submit-accepted' }));
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(survivor.getPayout('b1-2')).toEqual(before);
    expect(before).toMatchObject({ status: 'unknown', rawStatus: null });
    expect(survivor.eventsOf({ payoutId: 'b1-2', type: 'submit-accepted' })).toEqual([]);
    // Fenced for good: other writes and the heartbeat are refused too; reads still answer.
    expect(failure(() => stalled.event('late', 'b1', null, null, null))).toBeInstanceOf(LeaseLostError);
    expect(failure(() => stalled.claims!.renew())).toBeInstanceOf(LeaseLostError);
    expect(stalled.getPayout('b1-3')?.status).toBe('validated');
    // In a group commit too: the refused write answers its own error, the read beside it its answer.
    const refused = stalled.later(() => stalled.event('late', 'b1', null, null, null));
    const read = stalled.later(() => stalled.getPayout('b1-3')?.status);
    await expect(refused).rejects.toBeInstanceOf(LeaseLostError);
    await expect(read).resolves.toBe('validated');
    expect(survivor.claims!.processes().map((p) => p.holder)).toEqual([survivor.holder]);
  });

  it('a transaction whose lease expires before its commit commits nothing', async () => {
    const url = await freshDatabase();
    const stalling = open(url, { leaseSeconds: 1, heartbeat: false });
    const other = open(url);
    batchOf(other, 'b1', 1);
    const err = failure(() =>
      stalling.atomically(() => {
        stalling.transition('b1-2', 'queued', {}, { type: 'queued' });
        blockThread(1500);
        stalling.recordAttempt('b1-2', 'prepare', new Date().toISOString(), 'ready');
      }),
    );
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(other.getPayout('b1-2')?.status).toBe('validated');
    expect(other.attemptsOf('b1-2')).toEqual([]);
    expect(other.eventsOf({ payoutId: 'b1-2' })).toEqual([]);
  });

  it('a live process’s requests in flight are never recovered, even while its main thread is blocked', async () => {
    const url = await freshDatabase();
    const live = open(url, { leaseSeconds: 1 });
    const other = open(url);
    batchOf(live, 'b1', 2);
    live.claims!.claim('b1', ['validated'], 2);
    live.transition('b1-2', 'submitting', {}, { type: 'submit-start' });
    // Longer than the lease, with no event loop on this thread: the worker's heartbeat keeps the lease.
    blockThread(1600);
    expect(other.recoverInFlight()).toBe(0);
    expect(other.getPayout('b1-2')?.status).toBe('submitting');
    expect(other.claims!.claim('b1', ['validated', 'submitting'], 10)).toEqual([]);
    live.transition('b1-2', 'submitted', { nextCheckAt: 0 }, { type: 'submit-accepted' });
    // Closing gives back what is not in flight; a row left submitting stays covered by the lease until it expires.
    live.claims!.claim('b1', ['submitted'], 10);
    live.transition('b1-3', 'submitting', {}, { type: 'submit-start' });
    live.close();
    expect(other.claims!.processes().map((p) => p.holder)).toEqual([other.holder]);
    expect(other.claims!.claimDue('b1', Date.now(), 10).map((p) => p.id)).toEqual(['b1-2']);
    expect(other.recoverInFlight()).toBe(0);
    await sleep(1200);
    expect(other.recoverInFlight()).toBe(1);
  });

  it('a statement the server refuses inside a group commit is undone alone; the rest of the group is kept', async () => {
    const url = await freshDatabase();
    const j = open(url);
    batchOf(j, 'b1', 2);
    const kept = j.later(() => j.transition('b1-2', 'queued', {}, { type: 'queued' }));
    // The server refuses it (a second batch for the same bytes): the transaction would be spoiled without its savepoint.
    const refused = j.later(() => {
      j.event('before-the-refusal', 'b1', null, null, null);
      j.createBatch({ id: 'b2', fileName: 'b.csv', fileSha256: 'sha-b1', fileBytes: 1, provider: 'vexora', sourcePath: '/in/b.csv', format: 'csv' });
    });
    const after = j.later(() => j.transition('b1-3', 'queued', {}, { type: 'queued' }));
    await expect(refused).rejects.toThrow(/duplicate key/);
    await Promise.all([kept, after]);
    expect(j.payoutsOf('b1', ['queued']).map((p) => p.id)).toEqual(['b1-2', 'b1-3']);
    expect(j.eventsOf({ type: 'before-the-refusal' })).toEqual([]);
    expect(j.getBatch('b2')).toBeUndefined();
  });

  it('a batch being read by a live process is not discarded under it', async () => {
    const url = await freshDatabase();
    const reader = open(url);
    const other = open(url);
    batchOf(reader, 'b1', 2);
    expect(other.discardUnsentBatch('b1')).toBe(false);
    expect(other.getBatch('b1')?.id).toBe('b1');
    reader.close();
    expect(other.discardUnsentBatch('b1')).toBe(true);
    expect(other.getBatch('b1')).toBeUndefined();
  });

  it('a callback marks a row due now, whoever holds it', async () => {
    const url = await freshDatabase();
    const holder = open(url);
    const other = open(url);
    batchOf(holder, 'b1', 1);
    holder.claims!.claim('b1', ['validated'], 1);
    holder.transition('b1-2', 'submitting', {}, { type: 'submit-start' });
    holder.transition('b1-2', 'submitted', { nextCheckAt: Date.now() + 3_600_000 }, { type: 'submit-accepted' });
    const before = Date.now();
    other.claims!.markDue('b1-2');
    const p = holder.getPayout('b1-2')!;
    expect(p.nextCheckAt).toBeGreaterThanOrEqual(before);
    expect(p.nextCheckAt).toBeLessThanOrEqual(Date.now());
    expect(holder.claims!.claimDue('b1', Date.now(), 10).map((x) => x.id)).toEqual(['b1-2']);
  });

  it('the request budget is shared: two processes together never get more than burst + rate × time', async () => {
    const url = await freshDatabase();
    const a = open(url);
    const b = open(url);
    const [perSecond, burst] = [20, 5];
    const started = performance.now();
    let granted = 0;
    for (let i = 0; performance.now() - started < 1000; i++) {
      granted += (i % 2 ? a : b).claims!.takeTokens('vexora:acct-1', 3, perSecond, burst);
      await sleep(5);
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    expect(granted).toBeLessThanOrEqual(burst + perSecond * elapsedSeconds);
    // And the budget is spent, not starved: at most a couple of tokens lost to rounding.
    expect(granted).toBeGreaterThanOrEqual(burst + perSecond * (elapsedSeconds - 0.2));
    expect(a.claims!.takeTokens('another-account', 100, 1, 7)).toBe(7);
  });

  it('two processes opening a fresh database at once migrate it once, and both work', async () => {
    const url = await freshDatabase();
    const script = `
      import { PostgresJournal } from ${JSON.stringify(storeModule)};
      const j = new PostgresJournal(process.env.URL, { leaseSeconds: 30, command: 'first open' });
      j.claimMeta('opened-by-' + process.pid, 'yes');
      j.close();
      console.log('opened');`;
    const child = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (out += d));
        c.on('close', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([child(), child()]);
    expect(results.map((r) => r.out.trim())).toEqual(['opened', 'opened']);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    const versions = await admin(url, async (c) => (await c.query('SELECT version FROM paybatch.schema_migrations ORDER BY version')).rows.map((r) => r.version));
    expect(versions).toEqual(migrations.map((_, i) => i + 1));
    expect(open(url).eventsOf({ type: 'journal-meta' })).toHaveLength(2);
  });

  it('a wrong password is one JournalError line naming the server, never the password', async () => {
    const url = new URL(await freshDatabase());
    url.password = 'Wr0ng-S3cret-p@ss';
    const err = failure(() => open(url.toString()));
    expect(err).toBeInstanceOf(JournalError);
    const message = (err as Error).message;
    expect(message).toContain(`${url.hostname}:${url.port}${url.pathname}`);
    expect(message).not.toContain('Wr0ng-S3cret');
    expect(message).not.toContain(encodeURIComponent('Wr0ng-S3cret-p@ss'));
    expect(message).not.toContain('\n');
    expect(JSON.stringify(err)).not.toContain('Wr0ng-S3cret');
  });

  it('a server that is gone, or never answers, is a JournalError within the timeout, not a hang', async () => {
    const url = await freshDatabase();
    // Nothing listens there.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    expect(failure(() => open(`postgres://paybatch:secret@127.0.0.1:${closedPort}/journal`))).toBeInstanceOf(JournalError);
    // Accepts the connection and says nothing.
    const silent = net.createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const started = performance.now();
    const err = failure(() => open(`postgres://paybatch:secret@127.0.0.1:${(silent.address() as net.AddressInfo).port}/journal`, { timeoutSeconds: 1 }));
    expect(err).toBeInstanceOf(JournalError);
    expect((err as Error).message).toContain('did not answer within 1 s');
    expect(performance.now() - started).toBeLessThan(5000);
    silent.close();
    // The server ends the journal's connections: the next call says so.
    const j = open(url);
    await admin(url, (c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'));
    const lost = failure(() => j.getPayout('b1-2'));
    expect(lost).toBeInstanceOf(JournalError);
    expect((lost as Error).message).toContain(url.replace(/:[^:@/]+@/, '@'));
  });

  it('the delivery outbox: recorded once, claimed by one process at a time, retried, given up', async () => {
    const url = await freshDatabase();
    const a = open(url);
    const b = open(url);
    const at = Date.now();
    expect(a.enqueueDelivery({ id: 'e1:email', event: 'batch.completed', batchId: 'b1', channel: 'email', payload: { to: ['f@x'], total: 12n }, nextAttemptAt: at })).toBe(true);
    expect(b.enqueueDelivery({ id: 'e1:email', event: 'batch.completed', batchId: 'b1', channel: 'email', payload: {} })).toBe(false);
    a.enqueueDelivery({ id: 'e1:webhook', event: 'batch.completed', batchId: 'b1', channel: 'webhook', payload: {}, nextAttemptAt: at });
    const mine = a.dueDeliveries(at, 1);
    expect(mine.map((d) => d.id)).toEqual(['e1:email']);
    expect(mine[0]!.payload).toEqual({ to: ['f@x'], total: '12' });
    expect(b.dueDeliveries(at, 10).map((d) => d.id)).toEqual(['e1:webhook']);
    a.markDeliveryFailed('e1:email', 'SMTP 451', at + 30_000);
    expect(a.getDelivery('e1:email')).toMatchObject({ attempts: 1, lastError: 'SMTP 451', nextAttemptAt: at + 30_000, gaveUpAt: null });
    // Rescheduled, and the webhook is b's while b sends it.
    expect(a.dueDeliveries(at, 10)).toEqual([]);
    b.markDelivered('e1:webhook');
    expect(b.dueDeliveries(at + 30_000, 10).map((d) => d.id)).toEqual(['e1:email']);
    b.markDeliveryFailed('e1:email', 'SMTP 550', null);
    expect(a.deliveriesPending()).toBe(0);
    expect(a.deliveriesGivenUp(5).map((d) => [d.id, d.attempts, d.lastError])).toEqual([['e1:email', 2, 'SMTP 550']]);
    expect(a.getDelivery('e1:webhook')).toMatchObject({ attempts: 1, deliveredAt: expect.any(String) });
  });
});
