// The journal contract (DESIGN §3, §11): what the engine, the CLI and the reports need from a journal, and
// what any implementation must keep true — every row written before any money moves, every state change
// checked against the transition table (states.ts) and written with one event in one transaction. The
// SQLite journal (sqlite/) and the PostgreSQL journal (postgres/) implement it; test/contract/journal-contract.ts
// is the suite every implementation passes.
//
// How the PostgreSQL journal (postgres/, DESIGN §11) fits. The contract stays synchronous, as SQLite is
// (better-sqlite3 commits before a call returns): a worker thread owns the `pg` connections, and each call blocks
// on Atomics.wait until the worker posts its answer, read with receiveMessageOnPort (postgres/bridge.ts). A call
// is one round trip, its statements pipelined (postgres/session.ts); the lease's heartbeat runs in the worker on
// a connection of its own, so a busy main thread keeps its lease. The engine runs unchanged against both.
// What the engine calls per row, the hot paths to keep to one round trip each:
//   - ingest: insertRows (1,000 rows a call; PostgreSQL: one statement over arrays) or bulkWriter (SQLite only:
//     a worker thread);
//   - per create: later(transition to submitting), then later(recordAttempt + transition), getPayee;
//   - per poll: duePayouts (1,000 a call), later(recordAttempt + getPayout + transition | touch);
//   (`later` is group commit: the changes of many rows in one transaction, see Transactions.)
//   - per pass: counts, nextDueAt, payoutsOf(…, 1);
//   - reports: iteratePayouts and iterateRowErrors, streamed (a batch may have 100,000 rows; never all in memory).
// Everything else runs once per batch or per command. With a shared journal the engine also claims rows
// (`claims`, below) before acting on them.
import type { RowProblem } from '../validate/problem.ts';
import type { BatchState, PayoutStatus } from './states.ts';

export interface BatchRecord {
  id: string;
  fileName: string;
  fileSha256: string;
  fileBytes: number;
  provider: string;
  state: BatchState;
  sourcePath: string | null;
  archivedPath: string | null;
  format: string | null;
  header: string[];
  amountColumn: number | null;
  maskColumns: number[];
  /** Canonical column name → index in the sheet. */
  columns: [string, number][];
  rowCount: number;
  holdReason: string | null;
  approvedAt: string | null;
  stopReason: string | null;
  balances: { currency: string; beforeMinor: string | null; afterMinor: string | null }[];
  /** USD rates per currency (decimal text) the provider declared when the batch was read; null: none. */
  usdRates: Record<string, string> | null;
  reports: Record<string, string | null> | null;
  errorsCsv: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  lastReversalCheckAt: number | null;
  /**
   * Who released the file (DESIGN §12, four eyes): the `run --by` name (default the OS user), the inbox file's
   * owner, or the console user who uploaded it; null for batches journaled before it was recorded.
   */
  releasedBy: string | null;
  /** The OS user that released it (`run`'s process user, the inbox file's owner); null for a console upload. */
  releasedOsUser: string | null;
  /**
   * When the batch was released to be sent (ISO-8601 UTC): went to `submitting` without a hold, or was approved.
   * Set once; what `releasedTotals` counts a batch's rows by. Null while held or never released.
   */
  releasedAt: string | null;
  /**
   * When `paybatch cancel` was asked (ISO-8601 UTC). From then on nothing more is sent for the batch; its state
   * becomes `cancelled` once no row is open. Null: not cancelled.
   */
  cancelledAt: string | null;
}

export type NewBatch = Pick<BatchRecord, 'id' | 'fileName' | 'fileSha256' | 'fileBytes' | 'provider'> & {
  sourcePath: string;
  format: string;
  /** Stored as given; absent: null. */
  releasedBy?: string | null;
  releasedOsUser?: string | null;
};

export type BatchPatch = Partial<
  Pick<
    BatchRecord,
    | 'state'
    | 'header'
    | 'amountColumn'
    | 'maskColumns'
    | 'columns'
    | 'rowCount'
    | 'holdReason'
    | 'approvedAt'
    | 'stopReason'
    | 'balances'
    | 'usdRates'
    | 'errorsCsv'
    | 'archivedPath'
    | 'completedAt'
    | 'lastReversalCheckAt'
    | 'releasedAt'
    | 'cancelledAt'
  > & { reports: Record<string, string | null> }
>;

export interface PayoutRecord {
  /** '<batch id>-<row number>' (see splitPayoutId). */
  id: string;
  batchId: string;
  rowNumber: number;
  provider: string;
  merchantReference: string | null;
  status: PayoutStatus;
  amountMinor: bigint | null;
  currency: string | null;
  original: string[];
  /** The row's trimmed, non-empty cells under their canonical names (through the batch's `columns`). */
  fields: Record<string, string>;
  payeeKey: string | null;
  prepared: Record<string, string> | null;
  providerReference: string | null;
  rawStatus: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  submittedAt: string | null;
  completedAt: string | null;
  paidAmountMinor: bigint | null;
  feeMinor: bigint | null;
  createAttempts: number;
  polls: number;
  nextCheckAt: number | null;
  lastCreateAt: number | null;
  deadlineAt: number | null;
}

/** A journaled row as ingest produces it. */
export interface NewPayout {
  rowNumber: number;
  merchantReference: string | null;
  status: 'validated' | 'invalid';
  amountMinor: bigint | null;
  currency: string | null;
  original: string[];
  fields: Record<string, string>;
  errorMessage?: string | null;
}

export type PayoutPatch = Partial<
  Pick<
    PayoutRecord,
    | 'providerReference'
    | 'rawStatus'
    | 'errorCode'
    | 'errorMessage'
    | 'submittedAt'
    | 'completedAt'
    | 'paidAmountMinor'
    | 'feeMinor'
    | 'createAttempts'
    | 'polls'
    | 'nextCheckAt'
    | 'lastCreateAt'
    | 'deadlineAt'
    | 'prepared'
    | 'payeeKey'
  >
>;

/** The event written with a change: its type and what the audit trail should say about it. */
export interface EventNote {
  type: string;
  detail?: unknown;
}

/** One row of the append-only audit trail; `detail` as written (bigint amounts as their digits). */
export interface JournalEvent {
  at: string;
  batchId: string | null;
  payoutId: string | null;
  type: string;
  from: string | null;
  to: string | null;
  detail: unknown;
}

export type AttemptKind = 'create' | 'query' | 'prepare';

export interface AttemptRecord {
  payoutId: string;
  kind: AttemptKind;
  startedAt: string;
  finishedAt: string | null;
  outcome: string | null;
  detail: unknown;
}

export interface PayeeEntry {
  prepared: Record<string, string>;
  /** false: checkpointed part-way (e.g. registered, bank account not yet added). */
  ready: boolean;
}

export interface BatchNote {
  kind: string;
  note: string;
  at: string;
}

export interface IntakeWait {
  path: string;
  provider: string;
  reason: string;
  at: string;
}

export interface EmptyCellRow {
  id: string;
  rowNumber: number;
  amountMinor: bigint | null;
  currency: string | null;
}

/** A row that pays what a payout of another batch already paid (or may have). */
export interface PaidLookalike {
  rowNumber: number;
  reference: string | null;
  earlierBatch: string;
  earlierRow: number;
  earlierReference: string | null;
  earlierStatus: PayoutStatus;
}

export interface BatchStore {
  /** Records a sheet as received (state `received`), with a `batch-received` event. A file's SHA-256 is one batch. */
  createBatch(batch: NewBatch): BatchRecord;
  getBatch(id: string): BatchRecord | undefined;
  findBatchBySha(sha256: string): BatchRecord | undefined;
  /** The latest batch reading (or holding) the sheet at `sourcePath`. */
  batchBySourcePath(sourcePath: string): BatchRecord | undefined;
  /** Oldest first. */
  listBatches(): BatchRecord[];
  countBatches(): number;
  /**
   * Writes `event` (or `batch-state` when the state changes and no event is given) in the same transaction.
   * With `from`, only while the batch is in one of those states (two processes may race to complete a batch):
   * answers whether it was changed.
   */
  updateBatch(id: string, patch: BatchPatch, event?: EventNote, from?: readonly BatchState[]): boolean;
  /**
   * Forgets a batch whose reading was interrupted (its rows and problems; its events stay), so its sheet can be
   * read again. Refused once any row left validated/invalid/duplicate. Answers false (nothing forgotten) when a
   * shared journal's batch is being read by another live process (see PayoutClaims).
   */
  discardUnsentBatch(id: string): boolean;
}

export interface PayoutStore {
  /**
   * Journals rows and their problems in one transaction. A reference already held by another payout of the
   * provider (an earlier batch, or earlier in this call) is journaled `duplicate` (DUPLICATE_REFERENCE), never sent.
   */
  insertRows(batchId: string, provider: string, rows: NewPayout[], problems: RowProblem[]): { duplicates: number };
  getPayout(id: string): PayoutRecord | undefined;
  /** The payout holding `reference` for `provider` (never an invalid or duplicate row). */
  payoutByReference(provider: string, reference: string): PayoutRecord | undefined;
  /** By merchant reference, else by the provider's own reference: callbacks name either. */
  findPayoutForCallback(provider: string, merchantReference: string, providerReference?: string): PayoutRecord | undefined;
  /** In row order; `limit` -1 for all. */
  payoutsOf(batchId: string, statuses?: readonly PayoutStatus[], limit?: number): PayoutRecord[];
  /** Every row of a batch in row order, streamed. */
  iteratePayouts(batchId: string): Iterable<PayoutRecord>;
  /** Rows per status, every status present. */
  counts(batchId: string): Record<PayoutStatus, number>;
  /** submitted/unknown rows whose next check (null: now) is at or before `at`, soonest first. */
  duePayouts(batchId: string, at: number, limit: number): PayoutRecord[];
  /** The soonest next check of the batch's submitted/unknown rows; null when none. */
  nextDueAt(batchId: string): number | null;
  /**
   * One state change: checked with assertTransition (states.ts), applied with `patch` and written with one
   * event (`event.type`, from → to) in one transaction; committed before it returns (inside `atomically` or
   * `later`: with it). The change is guarded by the status checked (SQLite: UPDATE … WHERE status = it), so a
   * row that moved on meanwhile refuses it with IllegalTransitionError. Nothing is read back: read the row if needed.
   */
  transition(id: string, to: PayoutStatus, patch: PayoutPatch, event: EventNote, from?: readonly PayoutStatus[]): void;
  /**
   * Bookkeeping that is not a state change (next check time, poll count, prepared data): no event. With `from`,
   * only while the row is in one of those states. Answers whether the row was changed.
   */
  touch(id: string, patch: PayoutPatch, from?: readonly PayoutStatus[]): boolean;
  /**
   * Restart rule (DESIGN §3 rule 2): every row caught in `submitting` may have been sent; it becomes `unknown`
   * (event `recovered-in-flight`, next check now). With claims: only rows whose lease expired. Answers how many.
   */
  recoverInFlight(): number;
  /** A batch's problems: the whole file's (row null) first, then by row, in the order journaled. */
  iterateRowErrors(batchId: string): Iterable<RowProblem>;
  countRowErrors(batchId: string): number;
}

export interface AuditTrail {
  /** An event that is not a payout's state change (a file read, a callback received). */
  event(type: string, batchId: string | null, payoutId: string | null, from: string | null, to: string | null, detail?: unknown): void;
  /** An attempt recorded whole, after its answer; inside `atomically` with the change it led to. */
  recordAttempt(payoutId: string, kind: AttemptKind, startedAt: string, outcome: string, detail?: unknown): void;
  /** Events in the order written, filtered (all given filters apply). */
  eventsOf(filter: { batchId?: string; payoutId?: string; type?: string }): JournalEvent[];
  attemptsOf(payoutId: string): AttemptRecord[];
}

/** Journals a sheet off the caller's thread; at most a few chunks are in flight (bounded memory). */
export interface BulkRowWriter {
  write(batchId: string, provider: string, rows: NewPayout[], problems: RowProblem[]): Promise<void>;
  /** Waits until every chunk is in the journal; throws if any failed. */
  end(): Promise<{ duplicates: number }>;
  abort(): Promise<void>;
}

export interface Transactions {
  /** Runs `fn` as one transaction (one commit), the journal's own transactions nested inside it. */
  atomically<T>(fn: () => T): T;
  /**
   * Group commit: `fn` (journal calls, all or nothing, as `atomically`) is run with the changes other callers
   * hand over within a few milliseconds, and all of them are committed in one transaction; the answer comes once
   * that commit is durable. A change that throws is undone alone and answers its error; a failed commit answers
   * its error to every change of the group. Any other journal call first commits what is waiting, so every read
   * sees it. A process killed before the commit loses the whole group: callers hand over only changes whose loss
   * is safe — a `submitting` row is awaited before its request leaves (rule 2), and an answer lost with its group
   * leaves the row `submitting`, `unknown` on restart, asked, never resent (rule 3). PostgreSQL: the same queue,
   * one BEGIN … COMMIT per group on one connection.
   */
  later<T>(fn: () => T): Promise<T>;
  /** Commits what `later` holds now (before a report, an exit, or a read outside the journal). */
  flush(): void;
  /** Journaling a whole sheet: commits may wait for the disk later … */
  beginBulk(): void;
  /** … and this makes every one of them durable at once, before anything is sent. */
  endBulk(): void;
  /** Optional capability: a writer for large sheets (SQLite: a worker thread with its own connection). */
  bulkWriter?(): BulkRowWriter;
}

/** What a provider's prepare() set up (Yuansfer: customer and bank account), so a payee is set up once. */
export interface PayeeCache {
  getPayee(provider: string, key: string): PayeeEntry | undefined;
  /** Inserts or replaces, with a `payee-prepared` (ready) or `payee-checkpoint` event. */
  putPayee(provider: string, key: string, prepared: Record<string, string>, ready: boolean): void;
}

export interface CallbackDedupe {
  /** Records a callback body digest; false when it was seen before (a replay). */
  rememberCallback(provider: string, digest: string): boolean;
}

/** The work folder's binding (meta: journal_id), notes that outlive a run, sheets waiting for configuration. */
export interface FolderRecords {
  getMeta(key: string): string | undefined;
  /** Sets `key` unless set already (two processes starting at once agree); answers the value kept. */
  claimMeta(key: string, value: string): string;
  addBatchNote(batchId: string, kind: string, note: string): void;
  /** In the order added. */
  batchNotes(batchId: string): BatchNote[];
  /** Inserts or replaces the wait of the sheet at `sheetPath` (relative to the work folder). */
  recordIntakeWait(sheetPath: string, provider: string, reason: string): void;
  clearIntakeWait(sheetPath: string): void;
  /** Sorted by path. */
  intakeWaits(): IntakeWait[];
}

/** The duplicate-payment window and required references (DESIGN §4), answered without reading whole batches. */
export interface DuplicateChecks {
  /**
   * Records what each valid row pays to (provider, currency, amount and its identifier cells by column index,
   * spaces/dashes/tabs dropped, case folded), replacing what was recorded for the batch before; rows whose
   * identifier cells are all empty are skipped. Answers how many were recorded.
   */
  recordFingerprints(batchId: string, identifierColumns: readonly number[]): number;
  /** Valid rows whose cell in `column` is empty or blank, in row order. */
  validRowsWithEmptyCell(batchId: string, column: number): EmptyCellRow[];
  /**
   * Valid rows of `batchId` paying what a payout of another batch of the same provider was sent for (submitting,
   * submitted, unknown, succeeded, needs_review) since `sinceIso`, in row order.
   */
  paidLookalikes(batchId: string, sinceIso: string, limit: number): PaidLookalike[];
}

// The contract's later groups, each in its own file: finance (DESIGN §12), the console (§13), claims (§11).
export * from './contract/finance.ts';
export * from './contract/console.ts';
export * from './contract/claims.ts';
import type { DeliveryOutbox, ReleaseLedger } from './contract/finance.ts';
import type { ConsoleQueries } from './contract/console.ts';
import type { PayoutClaims } from './contract/claims.ts';

export interface Journal
  extends BatchStore,
    PayoutStore,
    AuditTrail,
    Transactions,
    PayeeCache,
    CallbackDedupe,
    FolderRecords,
    DuplicateChecks,
    ReleaseLedger,
    DeliveryOutbox,
    ConsoleQueries {
  /** Present only on a shared journal (see PayoutClaims). */
  readonly claims?: PayoutClaims;
  /** Idempotent. */
  close(): void;
}

/** The journal cannot be opened or used: one clear line, exit 2 (cli/main.ts). */
export class JournalError extends Error {
  override name = 'JournalError';
}

/** A payout id is '<batch>-<row>'; batch ids contain dashes too, so split at the last one. */
export function splitPayoutId(id: string): [string, number] | undefined {
  const at = id.lastIndexOf('-');
  const row = Number(id.slice(at + 1));
  return at > 0 && Number.isInteger(row) ? [id.slice(0, at), row] : undefined;
}

export const payoutIdOf = (batchId: string, rowNumber: number): string => `${batchId}-${rowNumber}`;
