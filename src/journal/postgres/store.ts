// The shared journal (DESIGN §11): one PostgreSQL database for any number of processes. It answers the same
// synchronous contract as the SQLite journal (contract.ts): a worker thread owns the connections and this thread
// blocks on each answer (bridge.ts). Each concern lives in its own file; this one opens the journal and answers
// the contract with them, with claims (PayoutClaims) and the delivery outbox.
import { randomUUID } from 'node:crypto';
import type { DeliveryOutbox, Journal, PayoutClaims } from '../contract.ts';
import { PostgresAudit } from './audit.ts';
import { PostgresBatches } from './batches.ts';
import { Bridge, describeUrl } from './bridge.ts';
import { PostgresClaims } from './claims.ts';
import { PostgresConsoleQueries } from './console-queries.ts';
import { PostgresDeliveries } from './deliveries.ts';
import { PostgresDuplicateChecks } from './fingerprints.ts';
import { PostgresFolderRecords } from './folder.ts';
import { migrate, registerProcess } from './open.ts';
import { PostgresPayouts } from './payouts.ts';
import { PostgresReleaseLedger } from './releases.ts';
import { Session } from './session.ts';

/** Group commit, as the SQLite journal's (sqlite/store.ts): a change waits at most this long, or for this many. */
const GROUP_DELAY_MS = 10;
const GROUP_MAX = 256;

export interface PostgresJournalOptions {
  /** How long a claim outlives the last heartbeat (workers.leaseSeconds). */
  leaseSeconds: number;
  /** What this process runs (status shows it), e.g. "paybatch watch". */
  command: string;
  /** false: no heartbeat timer, so the lease expires unless renewed by hand (tests of a stalled process). */
  heartbeat?: boolean;
  /** How long any call waits for the server before it is a JournalError (default 30). */
  timeoutSeconds?: number;
}

interface Deferred {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class PostgresJournal implements Journal, DeliveryOutbox {
  /** This journal's lease identity (one per opened journal). */
  readonly holder = randomUUID();
  private readonly bridge: Bridge;
  private readonly session: Session;
  private readonly audit: PostgresAudit;
  private readonly batches: PostgresBatches;
  private readonly payouts: PostgresPayouts;
  private readonly folder: PostgresFolderRecords;
  private readonly duplicates: PostgresDuplicateChecks;
  private readonly deliveries: PostgresDeliveries;
  private readonly claimStore: PostgresClaims;
  private readonly releases: PostgresReleaseLedger;
  private readonly consoleQueries: PostgresConsoleQueries;
  private closed = false;

  /** `url`: postgres://user:password@host:port/db; the password is never shown (errors name describeUrl's form). */
  constructor(url: string, options: PostgresJournalOptions) {
    this.bridge = new Bridge(url, { holder: this.holder, leaseSeconds: options.leaseSeconds, heartbeat: options.heartbeat ?? true }, `the journal ${describeUrl(url)}`, (options.timeoutSeconds ?? 30) * 1000);
    const session = (this.session = new Session(this.bridge));
    try {
      this.bridge.call({ type: 'open' });
      migrate(session);
      registerProcess(session, this.holder, options.command, options.leaseSeconds);
      // The first renewal starts the heartbeat.
      this.bridge.call({ type: 'renew' });
    } catch (err) {
      this.bridge.end();
      throw err;
    }
    this.audit = new PostgresAudit(session, this.holder);
    this.batches = new PostgresBatches(session, this.holder);
    this.payouts = new PostgresPayouts(session, this.holder);
    this.folder = new PostgresFolderRecords(session);
    this.duplicates = new PostgresDuplicateChecks(session);
    this.deliveries = new PostgresDeliveries(session, this.holder, this.audit);
    this.consoleQueries = new PostgresConsoleQueries(session);
    this.claimStore = new PostgresClaims(session, this.bridge, this.holder);
    this.releases = new PostgresReleaseLedger(session);
  }

  /** Flushes, gives back this process's claims but those `submitting` (their lease covers them), leaves status. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
      this.session.run(
        [
          { text: `UPDATE payouts SET claimed_by = NULL WHERE claimed_by = $1 AND status <> 'submitting'`, values: [this.holder] },
          { text: 'UPDATE deliveries SET claimed_by = NULL WHERE claimed_by = $1', values: [this.holder] },
          // This process's attempts tally goes into the shared shard (in key order: closes at once wait, never deadlock).
          {
            text: `WITH gone AS (DELETE FROM attempt_totals WHERE shard = $1 RETURNING provider, outcome, throttled, requests)
                   INSERT INTO attempt_totals (provider, outcome, throttled, shard, requests)
                   SELECT provider, outcome, throttled, '', requests FROM gone ORDER BY provider, outcome, throttled
                   ON CONFLICT (provider, outcome, throttled, shard) DO UPDATE SET requests = attempt_totals.requests + excluded.requests`,
            values: [this.holder],
          },
          { text: 'UPDATE processes SET closed_at = clock_timestamp() WHERE holder = $1', values: [this.holder] },
        ],
        false,
      );
    } catch {
      // The server is out of reach: the claims and the process row expire with the lease.
    } finally {
      this.bridge.end();
    }
  }

  // ---- transactions ----

  atomically<T>(fn: () => T): T {
    this.flush();
    return this.session.transaction(fn);
  }

  private pending: Deferred[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing = false;

  later<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length >= GROUP_MAX) this.flush();
      else this.flushTimer ??= setTimeout(() => this.flush(), GROUP_DELAY_MS);
    });
  }

  flush(): void {
    // A change of the group calling the journal runs inside the group's transaction, not another flush.
    if (this.flushing || this.pending.length === 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const group = this.pending;
    this.pending = [];
    const results: { ok: boolean; value: unknown }[] = [];
    this.flushing = true;
    try {
      this.session.transaction(() => {
        for (const change of group) {
          // Each change in its own savepoint: one that throws is undone alone and answers its own error.
          try {
            results.push({ ok: true, value: this.session.transaction(change.fn) });
          } catch (error) {
            results.push({ ok: false, value: error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the group is kept.
      for (const change of group) change.reject(error);
      return;
    } finally {
      this.flushing = false;
    }
    group.forEach((change, i) => (results[i]!.ok ? change.resolve(results[i]!.value) : change.reject(results[i]!.value)));
  }

  /** Every other call sees the changes handed to `later` before it: they are committed first. */
  private settled(): true {
    this.flush();
    return true;
  }

  /** Journaling a whole sheet: commits without waiting for the server's disk … */
  beginBulk(): void {
    this.flush();
    this.session.run([{ text: 'SET synchronous_commit = off' }], false);
  }

  /** … and one synchronous commit makes every one of them durable (the WAL is flushed up to it). */
  endBulk(): void {
    this.flush();
    this.session.run([{ text: 'SET synchronous_commit = on' }], false);
    this.audit.event('journal-synced', null, null, null, null);
  }

  // ---- claims (shared journal) ----
  readonly claims: PayoutClaims = {
    holder: this.holder,
    claim: (batchId, statuses, limit) => this.settled() && this.claimStore.claim(batchId, statuses, limit),
    claimDue: (batchId, at, limit) => this.settled() && this.claimStore.claimDue(batchId, at, limit),
    renew: () => this.settled() && this.claimStore.renew(),
    release: (ids) => this.settled() && this.claimStore.release(ids),
    markDue: (payoutId) => this.settled() && this.claimStore.markDue(payoutId),
    processes: () => this.settled() && this.claimStore.processes(),
    takeTokens: (key, want, perSecond, burst) => this.settled() && this.claimStore.takeTokens(key, want, perSecond, burst),
  };

  // ---- the audit trail ----
  readonly event: Journal['event'] = (type, batchId, payoutId, from, to, detail) => this.settled() && this.audit.event(type, batchId, payoutId, from, to, detail);
  readonly recordAttempt: Journal['recordAttempt'] = (payoutId, kind, startedAt, outcome, detail) =>
    this.settled() && this.audit.recordAttempt(payoutId, kind, startedAt, outcome, detail);
  readonly eventsOf: Journal['eventsOf'] = (filter) => this.settled() && this.audit.eventsOf(filter);
  readonly attemptsOf: Journal['attemptsOf'] = (payoutId) => this.settled() && this.audit.attemptsOf(payoutId);

  // ---- batches ----
  readonly createBatch: Journal['createBatch'] = (batch) => this.settled() && this.batches.createBatch(batch);
  readonly getBatch: Journal['getBatch'] = (id) => this.settled() && this.batches.getBatch(id);
  readonly findBatchBySha: Journal['findBatchBySha'] = (sha256) => this.settled() && this.batches.findBatchBySha(sha256);
  readonly batchBySourcePath: Journal['batchBySourcePath'] = (sourcePath) => this.settled() && this.batches.batchBySourcePath(sourcePath);
  readonly listBatches: Journal['listBatches'] = () => this.settled() && this.batches.listBatches();
  readonly countBatches: Journal['countBatches'] = () => this.settled() && this.batches.countBatches();
  readonly updateBatch: Journal['updateBatch'] = (id, patch, event, from) => this.settled() && this.batches.updateBatch(id, patch, event, from);
  readonly discardUnsentBatch: Journal['discardUnsentBatch'] = (id) => this.settled() && this.batches.discardUnsentBatch(id);

  // ---- payouts and their problems ----
  readonly insertRows: Journal['insertRows'] = (batchId, provider, rows, problems) => this.settled() && this.payouts.insertRows(batchId, provider, rows, problems);
  readonly getPayout: Journal['getPayout'] = (id) => this.settled() && this.payouts.getPayout(id);
  readonly payoutByReference: Journal['payoutByReference'] = (provider, reference) => this.settled() && this.payouts.payoutByReference(provider, reference);
  readonly findPayoutForCallback: Journal['findPayoutForCallback'] = (provider, merchantReference, providerReference) =>
    this.settled() && this.payouts.findPayoutForCallback(provider, merchantReference, providerReference);
  readonly payoutsOf: Journal['payoutsOf'] = (batchId, statuses, limit) => this.settled() && this.payouts.payoutsOf(batchId, statuses, limit);
  readonly iteratePayouts: Journal['iteratePayouts'] = (batchId) => this.settled() && this.payouts.iteratePayouts(batchId);
  readonly counts: Journal['counts'] = (batchId) => this.settled() && this.payouts.counts(batchId);
  readonly duePayouts: Journal['duePayouts'] = (batchId, at, limit) => this.settled() && this.payouts.duePayouts(batchId, at, limit);
  readonly nextDueAt: Journal['nextDueAt'] = (batchId) => this.settled() && this.payouts.nextDueAt(batchId);
  readonly transition: Journal['transition'] = (id, to, patch, event, from) => this.settled() && this.payouts.transition(id, to, patch, event, from);
  readonly touch: Journal['touch'] = (id, patch, from) => this.settled() && this.payouts.touch(id, patch, from);
  readonly recoverInFlight: Journal['recoverInFlight'] = () => this.settled() && this.payouts.recoverInFlight();
  readonly iterateRowErrors: Journal['iterateRowErrors'] = (batchId) => this.settled() && this.payouts.iterateRowErrors(batchId);
  readonly countRowErrors: Journal['countRowErrors'] = (batchId) => this.settled() && this.payouts.countRowErrors(batchId);

  // ---- payees, callbacks ----
  readonly getPayee: Journal['getPayee'] = (provider, key) => this.settled() && this.folder.getPayee(provider, key);
  readonly putPayee: Journal['putPayee'] = (provider, key, prepared, ready) => this.settled() && this.folder.putPayee(provider, key, prepared, ready);
  readonly rememberCallback: Journal['rememberCallback'] = (provider, digest) => this.settled() && this.folder.rememberCallback(provider, digest);

  // ---- the work folder's binding, notes, waiting sheets ----
  readonly getMeta: Journal['getMeta'] = (key) => this.settled() && this.folder.getMeta(key);
  readonly claimMeta: Journal['claimMeta'] = (key, value) => this.settled() && this.folder.claimMeta(key, value);
  readonly addBatchNote: Journal['addBatchNote'] = (batchId, kind, note) => this.settled() && this.folder.addBatchNote(batchId, kind, note);
  readonly batchNotes: Journal['batchNotes'] = (batchId) => this.settled() && this.folder.batchNotes(batchId);
  readonly recordIntakeWait: Journal['recordIntakeWait'] = (sheetPath, provider, reason) => this.settled() && this.folder.recordIntakeWait(sheetPath, provider, reason);
  readonly clearIntakeWait: Journal['clearIntakeWait'] = (sheetPath) => this.settled() && this.folder.clearIntakeWait(sheetPath);
  readonly intakeWaits: Journal['intakeWaits'] = () => this.settled() && this.folder.intakeWaits();

  // ---- payment fingerprints, required references ----
  readonly recordFingerprints: Journal['recordFingerprints'] = (batchId, columns) => this.settled() && this.duplicates.recordFingerprints(batchId, columns);
  readonly validRowsWithEmptyCell: Journal['validRowsWithEmptyCell'] = (batchId, column) => this.settled() && this.duplicates.validRowsWithEmptyCell(batchId, column);
  readonly paidLookalikes: Journal['paidLookalikes'] = (batchId, sinceIso, limit) => this.settled() && this.duplicates.paidLookalikes(batchId, sinceIso, limit);

  // ---- what was released (daily limits) ----
  readonly releasedTotals: Journal['releasedTotals'] = (provider, fromIso, toIso) => this.settled() && this.releases.releasedTotals(provider, fromIso, toIso);

  // ---- the delivery outbox ----
  readonly enqueueDelivery: DeliveryOutbox['enqueueDelivery'] = (d) => this.settled() && this.deliveries.enqueueDelivery(d);
  readonly dueDeliveries: DeliveryOutbox['dueDeliveries'] = (at, limit) => this.settled() && this.deliveries.dueDeliveries(at, limit);
  readonly markDelivered: DeliveryOutbox['markDelivered'] = (id) => this.settled() && this.deliveries.markDelivered(id);
  readonly markDeliveryFailed: DeliveryOutbox['markDeliveryFailed'] = (id, error, nextAttemptAt) => this.settled() && this.deliveries.markDeliveryFailed(id, error, nextAttemptAt);
  readonly deliveriesPending: DeliveryOutbox['deliveriesPending'] = () => this.settled() && this.deliveries.deliveriesPending();
  readonly deliveriesGivenUp: DeliveryOutbox['deliveriesGivenUp'] = (limit) => this.settled() && this.deliveries.deliveriesGivenUp(limit);
  readonly getDelivery: DeliveryOutbox['getDelivery'] = (id) => this.settled() && this.deliveries.getDelivery(id);

  // ---- what the console and /metrics read ----
  readonly pageOfPayouts: Journal['pageOfPayouts'] = (batchId, statuses, from, limit) => this.settled() && this.consoleQueries.pageOfPayouts(batchId, statuses, from, limit);
  readonly amountTotals: Journal['amountTotals'] = (batchId) => this.settled() && this.consoleQueries.amountTotals(batchId);
  readonly payoutTotals: Journal['payoutTotals'] = () => this.settled() && this.consoleQueries.payoutTotals();
  readonly rowsWaiting: Journal['rowsWaiting'] = () => this.settled() && this.consoleQueries.rowsWaiting();
  readonly attemptTotals: Journal['attemptTotals'] = () => this.settled() && this.consoleQueries.attemptTotals();
}
