// The SQLite journal (DESIGN §3): one file, WAL, synchronous=FULL, one process per work folder. Every state
// change is one transaction with one append-only event. Each concern lives in its own file; this one opens
// the file and answers the Journal contract (contract.ts) with them.
import type Database from 'better-sqlite3';
import type { BulkRowWriter, Journal } from '../contract.ts';
import { SqliteAudit } from './audit.ts';
import { SqliteBatches } from './batches.ts';
import { SqliteConsoleQueries } from './console-queries.ts';
import { BulkWriter } from './bulk-writer.ts';
import { SqliteDeliveries } from './deliveries.ts';
import { SqliteDuplicateChecks } from './fingerprints.ts';
import { SqliteFolderRecords } from './folder.ts';
import { closeDatabase, openDatabase, type OpenedDatabase } from './open.ts';
import { SqlitePayees } from './payees.ts';
import { SqlitePayouts } from './payouts.ts';
import { SqliteReleaseLedger } from './releases.ts';

/**
 * Group commit: changes handed to `later` wait at most this long (or until this many are waiting) and are then
 * committed together. One synced commit costs a disk flush (0.2–2 ms, blocking this thread): at 1,000 requests/s
 * one commit per change was most of the main thread; a few milliseconds of delay makes it one commit per group.
 */
const GROUP_DELAY_MS = 10;
const GROUP_MAX = 256;

interface Deferred {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class SqliteJournal implements Journal {
  readonly db: Database.Database;
  private readonly opened: OpenedDatabase;
  private readonly audit: SqliteAudit;
  private readonly batches: SqliteBatches;
  private readonly payouts: SqlitePayouts;
  private readonly payees: SqlitePayees;
  private readonly folder: SqliteFolderRecords;
  private readonly duplicates: SqliteDuplicateChecks;
  private readonly releases: SqliteReleaseLedger;
  private readonly deliveries: SqliteDeliveries;
  private readonly consoleQueries: SqliteConsoleQueries;

  constructor(readonly file: string) {
    this.opened = openDatabase(file);
    const db = (this.db = this.opened.db);
    this.audit = new SqliteAudit(db);
    this.batches = new SqliteBatches(db, this.audit);
    this.payouts = new SqlitePayouts(db, this.audit);
    this.payees = new SqlitePayees(db, this.audit);
    this.folder = new SqliteFolderRecords(db, this.audit);
    this.duplicates = new SqliteDuplicateChecks(db);
    this.releases = new SqliteReleaseLedger(db);
    this.deliveries = new SqliteDeliveries(db, this.audit);
    this.consoleQueries = new SqliteConsoleQueries(db);
  }

  /** No claims: the work-folder lock makes every row this process's (see PayoutClaims). */
  readonly claims = undefined;

  close(): void {
    this.flush();
    closeDatabase(this.opened);
  }

  // ---- transactions ----

  atomically<T>(fn: () => T): T {
    this.flush();
    return this.db.transaction(fn)();
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
      this.db.transaction(() => {
        for (const change of group) {
          // Each change in its own savepoint: one that throws is undone alone and answers its own error.
          try {
            results.push({ ok: true, value: this.db.transaction(change.fn)() });
          } catch (error) {
            results.push({ ok: false, value: error });
          }
        }
      })();
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

  /** Journaling a whole sheet: commits without waiting for the disk; `endBulk` makes all of it durable at once. */
  beginBulk(): void {
    this.flush();
    this.db.pragma('synchronous = NORMAL');
  }

  endBulk(): void {
    this.flush();
    this.db.pragma('synchronous = FULL');
    // A FULL commit syncs the write-ahead log, and with it every row journaled in bulk before it.
    this.db.transaction(() => this.audit.event('journal-synced', null, null, null, null))();
  }

  /** A worker thread with its own connection to the same file. */
  bulkWriter(): BulkRowWriter {
    return new BulkWriter(this.file);
  }

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
  readonly getPayee: Journal['getPayee'] = (provider, key) => this.settled() && this.payees.getPayee(provider, key);
  readonly putPayee: Journal['putPayee'] = (provider, key, prepared, ready) => this.settled() && this.payees.putPayee(provider, key, prepared, ready);
  readonly rememberCallback: Journal['rememberCallback'] = (provider, digest) => this.settled() && this.payees.rememberCallback(provider, digest);

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
  readonly enqueueDelivery: Journal['enqueueDelivery'] = (d) => this.settled() && this.deliveries.enqueueDelivery(d);
  readonly dueDeliveries: Journal['dueDeliveries'] = (at, limit) => this.settled() && this.deliveries.dueDeliveries(at, limit);
  readonly markDelivered: Journal['markDelivered'] = (id) => this.settled() && this.deliveries.markDelivered(id);
  readonly markDeliveryFailed: Journal['markDeliveryFailed'] = (id, error, nextAttemptAt) => this.settled() && this.deliveries.markDeliveryFailed(id, error, nextAttemptAt);
  readonly deliveriesPending: Journal['deliveriesPending'] = () => this.settled() && this.deliveries.deliveriesPending();
  readonly deliveriesGivenUp: Journal['deliveriesGivenUp'] = (limit) => this.settled() && this.deliveries.deliveriesGivenUp(limit);
  readonly getDelivery: Journal['getDelivery'] = (id) => this.settled() && this.deliveries.getDelivery(id);
  // ---- the console and /metrics ----
  readonly pageOfPayouts: Journal['pageOfPayouts'] = (batchId, statuses, from, limit) => this.settled() && this.payouts.pageOfPayouts(batchId, statuses, from, limit);
  readonly amountTotals: Journal['amountTotals'] = (batchId) => this.settled() && this.consoleQueries.amountTotals(batchId);
  readonly payoutTotals: Journal['payoutTotals'] = () => this.settled() && this.consoleQueries.payoutTotals();
  readonly rowsWaiting: Journal['rowsWaiting'] = () => this.settled() && this.consoleQueries.rowsWaiting();
  readonly attemptTotals: Journal['attemptTotals'] = () => this.settled() && this.consoleQueries.attemptTotals();
}

/** Opens (creating or migrating) the SQLite journal at `file`. */
export function openSqliteJournal(file: string): Journal {
  return new SqliteJournal(file);
}
