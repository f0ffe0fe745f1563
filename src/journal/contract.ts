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

/** One currency's total of `releasedTotals`. */
export interface ReleasedTotal {
  currency: string;
  amountMinor: bigint;
}

/** What was released to be paid, per provider and period: `limits.maxDailyTotal` (DESIGN §12) across batches. */
export interface ReleaseLedger {
  /**
   * Per currency, the exact sum (bigint, minor units) of `amountMinor` over the rows of `provider`'s batches whose
   * `releasedAt` is at or after `fromIso` and before `toIso` (ISO-8601 UTC instants as Date#toISOString writes
   * them; the caller turns a calendar day of `timezone` into that window), counting every row that is paid or may
   * still be: any status but `invalid`, `duplicate`, `cancelled` (never sent) and `failed` (the provider's definite
   * no). Rows without an amount or currency are skipped; currencies without rows are left out. Sorted by
   * currency. A batch not released (held, rejected, being read) has no `releasedAt` and counts for nothing. With a
   * shared journal it answers for every process's batches. Asked once per batch before release: sum in the
   * database or stream the rows, never load whole batches (a day may hold 100,000 rows).
   */
  releasedTotals(provider: string, fromIso: string, toIso: string): ReleasedTotal[];
}

/** One notification to send (DESIGN §12): recorded before it is sent, retried until delivered or given up. */
export interface Delivery {
  /** The stable event id (X-Paybatch-Event-Id, the mail's Message-ID): one per event and channel. */
  id: string;
  event: string;
  batchId: string | null;
  channel: 'email' | 'webhook';
  /** What the sender needs, as JSON (recipients, body, attachments to render…). */
  payload: unknown;
  attempts: number;
  /** Epoch ms of the next attempt. */
  nextAttemptAt: number;
  createdAt: string;
  deliveredAt: string | null;
  gaveUpAt: string | null;
  lastError: string | null;
}

/**
 * The delivery outbox (DESIGN §12). With a shared journal, due deliveries are claimed like payouts (one process
 * sends one delivery at a time). Implemented by every journal; the notifier (notify/) is its only writer.
 */
export interface DeliveryOutbox {
  /** Records a delivery unless one with the same id exists; answers whether it was new. */
  enqueueDelivery(d: Pick<Delivery, 'id' | 'event' | 'batchId' | 'channel' | 'payload'> & { nextAttemptAt?: number }): boolean;
  /** Deliveries neither delivered nor given up whose next attempt is at or before `at`, oldest first (claimed, with claims). */
  dueDeliveries(at: number, limit: number): Delivery[];
  /** A confirmed delivery (one more attempt): never sent again. Only an open delivery changes (as below). */
  markDelivered(id: string): void;
  /**
   * A failed attempt (one more attempt, `error` kept as lastError): tried again at `nextAttemptAt`, or given up
   * when it is null. A delivery already delivered or given up stays as it is (a late answer changes nothing).
   */
  markDeliveryFailed(id: string, error: string, nextAttemptAt: number | null): void;
  /** Deliveries neither delivered nor given up. */
  deliveriesPending(): number;
  /** Given up, newest first (status shows them). */
  deliveriesGivenUp(limit: number): Delivery[];
  getDelivery(id: string): Delivery | undefined;
}

/** Rows and their amount for one currency and status of a batch (ConsoleQueries.amountTotals). */
export interface AmountTotal {
  /** null: rows whose currency or amount could not be read (invalid rows); `amountMinor` is then 0. */
  currency: string | null;
  status: PayoutStatus;
  rows: number;
  amountMinor: bigint;
}

/** Rows of one provider in one status, over every batch (ConsoleQueries.payoutTotals). */
export interface PayoutTotal {
  provider: string;
  status: PayoutStatus;
  rows: number;
}

/** Requests made to one provider with one outcome, since the journal began (ConsoleQueries.attemptTotals). */
export interface AttemptTotal {
  provider: string;
  /** The attempt's recorded outcome: the adapter's outcome kind (accepted, rejected, notSent, unknown, status, …). */
  outcome: string;
  /** The provider answered "too many requests" (HTTP 429 or its own code): the attempt's detail has `throttled: true`. */
  throttled: boolean;
  requests: number;
}

/** Where a page of rows starts: after a row number (Next), or before one (Previous). */
export type RowPageFrom = { after: number } | { before: number };

/**
 * What the web console and /metrics read (DESIGN §13). Every method is one query, cheap enough to run on each
 * page view or scrape of a journal holding batches of 100,000 rows: none reads a whole batch's rows into
 * memory, and the metrics group answers every process's work (they read the journal, not this process's
 * counters), so `paybatch console` alone reports what every `watch` and `run` did.
 */
export interface ConsoleQueries {
  /**
   * At most `limit` rows of a batch in row order: those after `from.after`, or the `limit` rows just before
   * `from.before` (still in row order); only rows in `statuses` when given (null: every row). Keyset paging,
   * so page 500 costs what page 1 does. SQLite: the primary key (batch_id, row_number) without a filter or with
   * several statuses (the payout_status `pending` is five journal statuses), walked from the keyset; with one
   * status, a range of payouts_batch_status (batch_id, status, row_number). PostgreSQL: `WHERE batch_id = $1 AND
   * row_number > $2 [AND status = ANY($3)] ORDER BY row_number LIMIT $4` on an index (batch_id, status,
   * row_number) and the primary key (for `before`: `row_number < $2 ORDER BY row_number DESC`, reversed).
   */
  pageOfPayouts(batchId: string, statuses: readonly PayoutStatus[] | null, from: RowPageFrom, limit: number): PayoutRecord[];
  /**
   * Per currency and status of one batch: rows and Σ amount, exact (never a float: SQLite sums the integer
   * text as 64-bit integers; PostgreSQL `SUM(amount_minor::numeric)`). The batch page's invariant line.
   */
  amountTotals(batchId: string): AmountTotal[];
  /** Rows per provider and status over every batch, statuses with no rows left out (`paybatch_payouts`). */
  payoutTotals(): PayoutTotal[];
  /**
   * Rows waiting to be sent (validated or queued) per provider, in batches that may still send them (held,
   * submitting, polling, stopped: not rejected, cancelled or completed) — `paybatch_rows_waiting`.
   */
  rowsWaiting(): { provider: string; rows: number }[];
  /**
   * Attempts per provider, outcome and throttled, since the journal began (`paybatch_provider_requests_total`,
   * `paybatch_rate_limited_total`): totals that only grow. The attempts table grows with every poll, so an
   * implementation keeps a running tally rather than counting it all on every scrape: SQLite remembers the
   * highest attempt id it has counted and adds only the attempts after it (one writer at a time commits ids in
   * order); PostgreSQL keeps a counter table (provider, outcome, throttled) updated by recordAttempt in the same
   * transaction, and answers it.
   */
  attemptTotals(): AttemptTotal[];
}

/** A live process of a shared journal (status --json "processes"). */
export interface ProcessRecord {
  /** Its lease identity (one per opened journal). */
  holder: string;
  host: string;
  pid: number;
  command: string;
  heartbeatAt: string;
  rowsClaimed: number;
}

/** A write by a process whose lease expired, or on a row another live process holds: refused (DESIGN §11). */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/**
 * Claims (DESIGN §11): with a shared journal a row is in one process's hands at a time, taken with
 * `FOR UPDATE SKIP LOCKED` under this process's lease, which a heartbeat renews (the journal runs it itself,
 * every third of `leaseSeconds`, off the main thread). Only a shared journal offers it. The SQLite journal does
 * not: one process owns a work folder and its journal (the work-folder lock), so every row is that process's,
 * and an engine without `claims` acts on every row as it does today.
 *
 * Rules every shared journal keeps:
 * - A claimed row stays this process's until it reaches a status that is not open (the claim is dropped with
 *   that transition), `release`, or the lease expires (the process died or stalled).
 * - Fencing: `transition` and `touch` of a row held by another live process, or by this process after its lease
 *   expired, throw LeaseLostError and change nothing. Rows no one holds may be changed by anyone (CLI commands:
 *   resolve, cancel); the status guard of `transition` keeps those safe.
 * - `recoverInFlight` turns `submitting` rows into `unknown` only when their holder's lease expired (or no one
 *   holds them), and drops those claims: a live process's requests in flight are never touched.
 * - `discardUnsentBatch` is refused (answers false) while the process that reads the batch is alive.
 */
export interface PayoutClaims {
  /** This process's lease identity. */
  readonly holder: string;
  /**
   * Takes up to `limit` rows of `batchId` in `statuses` that no live process holds (rows this process already
   * holds included), in row order; they are now this process's.
   */
  claim(batchId: string, statuses: readonly PayoutStatus[], limit: number): PayoutRecord[];
  /** As `duePayouts`, claiming the rows answered (submitted/unknown, next check at or before `at`). */
  claimDue(batchId: string, at: number, limit: number): PayoutRecord[];
  /** The heartbeat, now (the journal also runs it by itself). Throws LeaseLostError when the lease was lost. */
  renew(): void;
  /** Gives rows back (all of this process's when no ids are given); `submitting` rows are kept (rule 2). */
  release(ids?: readonly string[]): void;
  /** A row a callback named: its next check becomes now, whoever holds it (no other change). */
  markDue(payoutId: string): void;
  /** Live processes (lease not expired), oldest first. */
  processes(): ProcessRecord[];
  /**
   * The deployment's request budget for one provider account (`key`): a token bucket in the journal refilled at
   * `perSecond`, holding at most `burst`. Takes up to `want` tokens; answers how many were granted (0 … want).
   */
  takeTokens(key: string, want: number, perSecond: number, burst: number): number;
}

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
