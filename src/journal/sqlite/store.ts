// The SQLite journal (DESIGN §3): one file, WAL, synchronous=FULL, one process per work folder. Every state
// change is one transaction with one append-only event. Each concern lives in its own file; this one opens
// the file and answers the Journal contract (contract.ts) with them.
import type Database from 'better-sqlite3';
import type { BulkRowWriter, Journal } from '../contract.ts';
import { SqliteAudit } from './audit.ts';
import { SqliteBatches } from './batches.ts';
import { BulkWriter } from './bulk-writer.ts';
import { SqliteDuplicateChecks } from './fingerprints.ts';
import { SqliteFolderRecords } from './folder.ts';
import { closeDatabase, openDatabase, type OpenedDatabase } from './open.ts';
import { SqlitePayees } from './payees.ts';
import { SqlitePayouts } from './payouts.ts';

export class SqliteJournal implements Journal {
  readonly db: Database.Database;
  private readonly opened: OpenedDatabase;
  private readonly audit: SqliteAudit;
  private readonly batches: SqliteBatches;
  private readonly payouts: SqlitePayouts;
  private readonly payees: SqlitePayees;
  private readonly folder: SqliteFolderRecords;
  private readonly duplicates: SqliteDuplicateChecks;

  constructor(readonly file: string) {
    this.opened = openDatabase(file);
    const db = (this.db = this.opened.db);
    this.audit = new SqliteAudit(db);
    this.batches = new SqliteBatches(db, this.audit);
    this.payouts = new SqlitePayouts(db, this.audit);
    this.payees = new SqlitePayees(db, this.audit);
    this.folder = new SqliteFolderRecords(db, this.audit);
    this.duplicates = new SqliteDuplicateChecks(db);
  }

  /** No claims: the work-folder lock makes every row this process's (see PayoutClaims). */
  readonly claims = undefined;

  close(): void {
    closeDatabase(this.opened);
  }

  // ---- transactions ----

  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Journaling a whole sheet: commits without waiting for the disk; `endBulk` makes all of it durable at once. */
  beginBulk(): void {
    this.db.pragma('synchronous = NORMAL');
  }

  endBulk(): void {
    this.db.pragma('synchronous = FULL');
    // A FULL commit syncs the write-ahead log, and with it every row journaled in bulk before it.
    this.db.transaction(() => this.audit.event('journal-synced', null, null, null, null))();
  }

  /** A worker thread with its own connection to the same file. */
  bulkWriter(): BulkRowWriter {
    return new BulkWriter(this.file);
  }

  // ---- the audit trail ----
  readonly event: Journal['event'] = (type, batchId, payoutId, from, to, detail) => this.audit.event(type, batchId, payoutId, from, to, detail);
  readonly recordAttempt: Journal['recordAttempt'] = (payoutId, kind, startedAt, outcome, detail) =>
    this.audit.recordAttempt(payoutId, kind, startedAt, outcome, detail);
  readonly eventsOf: Journal['eventsOf'] = (filter) => this.audit.eventsOf(filter);
  readonly attemptsOf: Journal['attemptsOf'] = (payoutId) => this.audit.attemptsOf(payoutId);

  // ---- batches ----
  readonly createBatch: Journal['createBatch'] = (batch) => this.batches.createBatch(batch);
  readonly getBatch: Journal['getBatch'] = (id) => this.batches.getBatch(id);
  readonly findBatchBySha: Journal['findBatchBySha'] = (sha256) => this.batches.findBatchBySha(sha256);
  readonly batchBySourcePath: Journal['batchBySourcePath'] = (sourcePath) => this.batches.batchBySourcePath(sourcePath);
  readonly listBatches: Journal['listBatches'] = () => this.batches.listBatches();
  readonly countBatches: Journal['countBatches'] = () => this.batches.countBatches();
  readonly updateBatch: Journal['updateBatch'] = (id, patch, event) => this.batches.updateBatch(id, patch, event);
  readonly discardUnsentBatch: Journal['discardUnsentBatch'] = (id) => this.batches.discardUnsentBatch(id);

  // ---- payouts and their problems ----
  readonly insertRows: Journal['insertRows'] = (batchId, provider, rows, problems) => this.payouts.insertRows(batchId, provider, rows, problems);
  readonly getPayout: Journal['getPayout'] = (id) => this.payouts.getPayout(id);
  readonly payoutByReference: Journal['payoutByReference'] = (provider, reference) => this.payouts.payoutByReference(provider, reference);
  readonly findPayoutForCallback: Journal['findPayoutForCallback'] = (provider, merchantReference, providerReference) =>
    this.payouts.findPayoutForCallback(provider, merchantReference, providerReference);
  readonly payoutsOf: Journal['payoutsOf'] = (batchId, statuses, limit) => this.payouts.payoutsOf(batchId, statuses, limit);
  readonly iteratePayouts: Journal['iteratePayouts'] = (batchId) => this.payouts.iteratePayouts(batchId);
  readonly counts: Journal['counts'] = (batchId) => this.payouts.counts(batchId);
  readonly duePayouts: Journal['duePayouts'] = (batchId, at, limit) => this.payouts.duePayouts(batchId, at, limit);
  readonly nextDueAt: Journal['nextDueAt'] = (batchId) => this.payouts.nextDueAt(batchId);
  readonly transition: Journal['transition'] = (id, to, patch, event, from) => this.payouts.transition(id, to, patch, event, from);
  readonly touch: Journal['touch'] = (id, patch) => this.payouts.touch(id, patch);
  readonly recoverInFlight: Journal['recoverInFlight'] = () => this.payouts.recoverInFlight();
  readonly iterateRowErrors: Journal['iterateRowErrors'] = (batchId) => this.payouts.iterateRowErrors(batchId);
  readonly countRowErrors: Journal['countRowErrors'] = (batchId) => this.payouts.countRowErrors(batchId);

  // ---- payees, callbacks ----
  readonly getPayee: Journal['getPayee'] = (provider, key) => this.payees.getPayee(provider, key);
  readonly putPayee: Journal['putPayee'] = (provider, key, prepared, ready) => this.payees.putPayee(provider, key, prepared, ready);
  readonly rememberCallback: Journal['rememberCallback'] = (provider, digest) => this.payees.rememberCallback(provider, digest);

  // ---- the work folder's binding, notes, waiting sheets ----
  readonly getMeta: Journal['getMeta'] = (key) => this.folder.getMeta(key);
  readonly claimMeta: Journal['claimMeta'] = (key, value) => this.folder.claimMeta(key, value);
  readonly addBatchNote: Journal['addBatchNote'] = (batchId, kind, note) => this.folder.addBatchNote(batchId, kind, note);
  readonly batchNotes: Journal['batchNotes'] = (batchId) => this.folder.batchNotes(batchId);
  readonly recordIntakeWait: Journal['recordIntakeWait'] = (sheetPath, provider, reason) => this.folder.recordIntakeWait(sheetPath, provider, reason);
  readonly clearIntakeWait: Journal['clearIntakeWait'] = (sheetPath) => this.folder.clearIntakeWait(sheetPath);
  readonly intakeWaits: Journal['intakeWaits'] = () => this.folder.intakeWaits();

  // ---- payment fingerprints, required references ----
  readonly recordFingerprints: Journal['recordFingerprints'] = (batchId, columns) => this.duplicates.recordFingerprints(batchId, columns);
  readonly validRowsWithEmptyCell: Journal['validRowsWithEmptyCell'] = (batchId, column) => this.duplicates.validRowsWithEmptyCell(batchId, column);
  readonly paidLookalikes: Journal['paidLookalikes'] = (batchId, sinceIso, limit) => this.duplicates.paidLookalikes(batchId, sinceIso, limit);
}

/** Opens (creating or migrating) the SQLite journal at `file`. */
export function openSqliteJournal(file: string): Journal {
  return new SqliteJournal(file);
}
