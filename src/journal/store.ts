// The durable journal (DESIGN §3): every row is written here before any money moves; every state change is
// one transaction with one append-only event; the allowed transitions are a table checked on every change.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from './schema.ts';
import { prepareChunkWriter } from './chunk-writer.js';
import { rowTuple } from './bulk-writer.ts';

export type PayoutStatus =
  | 'validated'
  | 'queued'
  | 'submitting'
  | 'submitted'
  | 'unknown'
  | 'succeeded'
  | 'failed'
  | 'reversed'
  | 'needs_review'
  | 'invalid'
  | 'duplicate';

export type BatchState = 'received' | 'rejected' | 'held' | 'submitting' | 'polling' | 'stopped' | 'completed';

/** The row state machine (DESIGN §3). needs_review is left only by `paybatch resolve`. */
export const allowedTransitions: Record<PayoutStatus, readonly PayoutStatus[]> = {
  // validated/queued → failed: the provider refused the payee set-up (prepare), so nothing was paid.
  validated: ['queued', 'submitting', 'invalid', 'failed'],
  queued: ['submitting', 'invalid', 'failed'],
  submitting: ['submitted', 'succeeded', 'failed', 'reversed', 'queued', 'unknown', 'needs_review'],
  submitted: ['succeeded', 'failed', 'reversed', 'needs_review'],
  unknown: ['submitted', 'succeeded', 'failed', 'reversed', 'queued', 'needs_review'],
  succeeded: ['reversed'],
  needs_review: ['succeeded', 'failed'],
  failed: [],
  reversed: [],
  invalid: [],
  duplicate: [],
};

/** Rows the engine still has to act on. */
export const OPEN_STATUSES: readonly PayoutStatus[] = ['validated', 'queued', 'submitting', 'submitted', 'unknown'];

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
}

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
  reports: Record<string, string | null> | null;
  errorsCsv: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  lastReversalCheckAt: number | null;
}

export interface PayoutRecord {
  id: string;
  batchId: string;
  rowNumber: number;
  provider: string;
  merchantReference: string | null;
  status: PayoutStatus;
  amountMinor: bigint | null;
  currency: string | null;
  original: string[];
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

export interface RowErrorRecord {
  rowNumber: number | null;
  column: string;
  value: string;
  rule: string;
  message: string;
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

const PATCH_COLUMNS: Record<keyof PayoutPatch, string> = {
  providerReference: 'provider_reference',
  rawStatus: 'raw_status',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  submittedAt: 'submitted_at',
  completedAt: 'completed_at',
  paidAmountMinor: 'paid_amount_minor',
  feeMinor: 'fee_minor',
  createAttempts: 'create_attempts',
  polls: 'polls',
  nextCheckAt: 'next_check_at',
  lastCreateAt: 'last_create_at',
  deadlineAt: 'deadline_at',
  prepared: 'prepared_json',
  payeeKey: 'payee_key',
};

function toDb(key: keyof PayoutPatch, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (key === 'prepared') return JSON.stringify(value);
  return value;
}

const big = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));

type Row = Record<string, unknown>;

/** A payout id is '<batch>-<row>'; batch ids contain dashes too, so split at the last one. */
export function splitPayoutId(id: string): [string, number] | undefined {
  const at = id.lastIndexOf('-');
  const row = Number(id.slice(at + 1));
  return at > 0 && Number.isInteger(row) ? [id.slice(0, at), row] : undefined;
}

/** A row's fields: its trimmed, non-empty original cells under their canonical column names. */
function fieldsOf(original: string[], columns: [string, number][]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, index] of columns) {
    const v = (original[index] ?? '').trim();
    if (v !== '') fields[name] = v;
  }
  return fields;
}

function payoutFromRow(r: Row, columns: [string, number][]): PayoutRecord {
  const original = JSON.parse(r.original_json as string) as string[];
  return {
    id: `${r.batch_id as string}-${r.row_number as number}`,
    batchId: r.batch_id as string,
    rowNumber: r.row_number as number,
    provider: r.provider as string,
    merchantReference: (r.merchant_reference as string) ?? null,
    status: r.status as PayoutStatus,
    amountMinor: big(r.amount_minor),
    currency: (r.currency as string) ?? null,
    original,
    fields: fieldsOf(original, columns),
    payeeKey: (r.payee_key as string) ?? null,
    prepared: r.prepared_json ? JSON.parse(r.prepared_json as string) : null,
    providerReference: (r.provider_reference as string) ?? null,
    rawStatus: (r.raw_status as string) ?? null,
    errorCode: (r.error_code as string) ?? null,
    errorMessage: (r.error_message as string) ?? null,
    submittedAt: (r.submitted_at as string) ?? null,
    completedAt: (r.completed_at as string) ?? null,
    paidAmountMinor: big(r.paid_amount_minor),
    feeMinor: big(r.fee_minor),
    createAttempts: r.create_attempts as number,
    polls: r.polls as number,
    nextCheckAt: (r.next_check_at as number) ?? null,
    lastCreateAt: (r.last_create_at as number) ?? null,
    deadlineAt: (r.deadline_at as number) ?? null,
  };
}

function batchFromRow(r: Row): BatchRecord {
  return {
    id: r.id as string,
    fileName: r.file_name as string,
    fileSha256: r.file_sha256 as string,
    fileBytes: r.file_bytes as number,
    provider: r.provider as string,
    state: r.state as BatchState,
    sourcePath: (r.source_path as string) ?? null,
    archivedPath: (r.archived_path as string) ?? null,
    format: (r.format as string) ?? null,
    header: JSON.parse(r.header_json as string),
    amountColumn: (r.amount_column as number) ?? null,
    maskColumns: JSON.parse(r.mask_columns_json as string),
    columns: JSON.parse(r.columns_json as string),
    rowCount: r.row_count as number,
    holdReason: (r.hold_reason as string) ?? null,
    approvedAt: (r.approved_at as string) ?? null,
    stopReason: (r.stop_reason as string) ?? null,
    balances: r.balances_json ? JSON.parse(r.balances_json as string) : [],
    reports: r.reports_json ? JSON.parse(r.reports_json as string) : null,
    errorsCsv: (r.errors_csv as string) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    completedAt: (r.completed_at as string) ?? null,
    lastReversalCheckAt: (r.last_reversal_check_at as number) ?? null,
  };
}

const now = () => new Date().toISOString();

/** JSON for audit details: bigint amounts as their digits. */
const detailJson = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

export class Journal {
  readonly db: Database.Database;
  private readonly writeChunk: ReturnType<typeof prepareChunkWriter>;
  private readonly insertEvent: Database.Statement;
  private readonly selectPayout: Database.Statement;
  private readonly insertAttempt: Database.Statement;
  private readonly selectColumns: Database.Statement;
  /** Column maps per batch (fixed once the batch is journaled). */
  private readonly columnsCache = new Map<string, [string, number][]>();

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const existed = fs.existsSync(file);
    this.db = new Database(file);
    if (!existed) fs.chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 10000');
    this.migrate();
    this.writeChunk = prepareChunkWriter(this.db);
    this.insertEvent = this.db.prepare(
      'INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectPayout = this.db.prepare('SELECT * FROM payouts WHERE batch_id = ? AND row_number = ?');
    this.insertAttempt = this.db.prepare('INSERT INTO attempts (payout_id, kind, started_at, finished_at, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
    this.selectColumns = this.db.prepare('SELECT columns_json FROM batches WHERE id = ?');
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < migrations.length; v++) {
      this.db.transaction(() => {
        this.db.exec(migrations[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  event(type: string, batchId: string | null, payoutId: string | null, from: string | null, to: string | null, detail?: unknown): void {
    this.insertEvent.run(now(), batchId, payoutId, type, from, to, detail === undefined ? null : detailJson(detail));
  }

  // ---- batches ----

  findBatchBySha(sha256: string): BatchRecord | undefined {
    const r = this.db.prepare('SELECT * FROM batches WHERE file_sha256 = ?').get(sha256) as Row | undefined;
    return r ? batchFromRow(r) : undefined;
  }

  getBatch(id: string): BatchRecord | undefined {
    const r = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as Row | undefined;
    return r ? batchFromRow(r) : undefined;
  }

  listBatches(): BatchRecord[] {
    return (this.db.prepare('SELECT * FROM batches ORDER BY created_at, id').all() as Row[]).map(batchFromRow);
  }

  createBatch(b: { id: string; fileName: string; fileSha256: string; fileBytes: number; provider: string; sourcePath: string; format: string }): BatchRecord {
    const at = now();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO batches (id, file_name, file_sha256, file_bytes, provider, state, source_path, format, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'received', ?, ?, ?, ?)`,
        )
        .run(b.id, b.fileName, b.fileSha256, b.fileBytes, b.provider, b.sourcePath, b.format, at, at);
      this.event('batch-received', b.id, null, null, 'received', { file: b.fileName, sha256: b.fileSha256 });
    })();
    return this.getBatch(b.id)!;
  }

  updateBatch(
    id: string,
    patch: Partial<{
      state: BatchState;
      header: string[];
      amountColumn: number | null;
      maskColumns: number[];
      columns: [string, number][];
      rowCount: number;
      holdReason: string | null;
      approvedAt: string | null;
      stopReason: string | null;
      balances: BatchRecord['balances'];
      reports: Record<string, string | null>;
      errorsCsv: string | null;
      archivedPath: string | null;
      completedAt: string | null;
      lastReversalCheckAt: number | null;
    }>,
    event?: { type: string; detail?: unknown },
  ): void {
    const map: Record<string, [string, (v: unknown) => unknown]> = {
      state: ['state', (v) => v],
      header: ['header_json', (v) => JSON.stringify(v)],
      amountColumn: ['amount_column', (v) => v],
      maskColumns: ['mask_columns_json', (v) => JSON.stringify(v)],
      columns: ['columns_json', (v) => JSON.stringify(v)],
      rowCount: ['row_count', (v) => v],
      holdReason: ['hold_reason', (v) => v],
      approvedAt: ['approved_at', (v) => v],
      stopReason: ['stop_reason', (v) => v],
      balances: ['balances_json', (v) => JSON.stringify(v)],
      reports: ['reports_json', (v) => JSON.stringify(v)],
      errorsCsv: ['errors_csv', (v) => v],
      archivedPath: ['archived_path', (v) => v],
      completedAt: ['completed_at', (v) => v],
      lastReversalCheckAt: ['last_reversal_check_at', (v) => v],
    };
    const sets: string[] = ['updated_at = ?'];
    const values: unknown[] = [now()];
    for (const [k, v] of Object.entries(patch)) {
      const [column, convert] = map[k];
      sets.push(`${column} = ?`);
      values.push(v === null || v === undefined ? null : convert(v));
    }
    this.db.transaction(() => {
      const before = this.getBatch(id);
      if (!before) throw new Error(`no batch ${id}`);
      this.db.prepare(`UPDATE batches SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
      if (event || (patch.state && patch.state !== before.state))
        this.event(event?.type ?? 'batch-state', id, null, before.state, patch.state ?? before.state, event?.detail);
    })();
  }

  /**
   * Forgets a batch whose reading was interrupted, so its sheet can be read again from the start. Allowed only
   * while nothing of it has been sent (every row validated, invalid or duplicate).
   */
  discardUnsentBatch(id: string): void {
    this.db.transaction(() => {
      const sent = this.db
        .prepare(`SELECT COUNT(*) n FROM payouts WHERE batch_id = ? AND status NOT IN ('validated','invalid','duplicate')`)
        .get(id) as { n: number };
      if (sent.n > 0) throw new Error(`batch ${id} has rows that were sent: it cannot be read again`);
      this.db.prepare('DELETE FROM row_errors WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM payouts WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM batches WHERE id = ?').run(id);
      this.event('batch-ingest-restarted', id, null, 'received', null, { reason: 'reading was interrupted; the sheet is read again' });
    })();
  }

  // ---- rows ----

  /**
   * Journals a chunk of rows in one transaction. A reference already used by another payout of this provider
   * (an earlier batch, or earlier in this file) is journaled as `duplicate` and never sent.
   */
  insertRows(batchId: string, provider: string, rows: NewPayout[], errors: RowErrorRecord[]): { duplicates: number } {
    return { duplicates: this.writeChunk(batchId, provider, rows.map(rowTuple), errors, now()) };
  }

  /** Which payout already holds this reference (for the duplicate's message). */
  payoutByReference(provider: string, reference: string): PayoutRecord | undefined {
    const r = this.db
      .prepare(`SELECT * FROM payouts WHERE provider = ? AND merchant_reference = ? AND status NOT IN ('invalid','duplicate')`)
      .get(provider, reference) as Row | undefined;
    return r ? this.payout(r) : undefined;
  }

  getPayout(id: string): PayoutRecord | undefined {
    const key = splitPayoutId(id);
    const r = key ? (this.selectPayout.get(key[0], key[1]) as Row | undefined) : undefined;
    return r ? this.payout(r) : undefined;
  }

  private payout(r: Row): PayoutRecord {
    const batchId = r.batch_id as string;
    let columns = this.columnsCache.get(batchId);
    if (!columns) {
      const b = this.selectColumns.get(batchId) as { columns_json: string } | undefined;
      columns = b ? (JSON.parse(b.columns_json) as [string, number][]) : [];
      if (columns.length) this.columnsCache.set(batchId, columns);
    }
    return payoutFromRow(r, columns);
  }

  payoutsOf(batchId: string, statuses?: readonly PayoutStatus[], limit = -1): PayoutRecord[] {
    const where = statuses ? `AND status IN (${statuses.map(() => '?').join(',')})` : '';
    return (
      this.db
        .prepare(`SELECT * FROM payouts WHERE batch_id = ? ${where} ORDER BY row_number LIMIT ?`)
        .all(batchId, ...(statuses ?? []), limit) as Row[]
    ).map((r) => this.payout(r));
  }

  *iteratePayouts(batchId: string): Generator<PayoutRecord> {
    for (const r of this.db.prepare('SELECT * FROM payouts WHERE batch_id = ? ORDER BY row_number').iterate(batchId))
      yield this.payout(r as Row);
  }

  *iterateRowErrors(batchId: string): Generator<RowErrorRecord> {
    for (const r of this.db
      .prepare('SELECT * FROM row_errors WHERE batch_id = ? ORDER BY row_number, rowid')
      .iterate(batchId) as IterableIterator<Row>)
      yield { rowNumber: r.row_number as number | null, column: r.column_name as string, value: r.value as string, rule: r.rule as string, message: r.message as string };
  }

  countRowErrors(batchId: string): number {
    return (this.db.prepare('SELECT COUNT(*) n FROM row_errors WHERE batch_id = ?').get(batchId) as { n: number }).n;
  }

  counts(batchId: string): Record<PayoutStatus, number> {
    const out = Object.fromEntries(Object.keys(allowedTransitions).map((s) => [s, 0])) as Record<PayoutStatus, number>;
    for (const r of this.db.prepare('SELECT status, COUNT(*) n FROM payouts WHERE batch_id = ? GROUP BY status').all(batchId) as {
      status: PayoutStatus;
      n: number;
    }[])
      out[r.status] = r.n;
    return out;
  }

  /** Rows to check now: submitted/unknown whose next check is due. */
  duePayouts(batchId: string, at: number, limit: number): PayoutRecord[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM payouts WHERE batch_id = ? AND status IN ('submitted','unknown') AND COALESCE(next_check_at, 0) <= ?
           ORDER BY next_check_at LIMIT ?`,
        )
        .all(batchId, at, limit) as Row[]
    ).map((r) => this.payout(r));
  }

  nextDueAt(batchId: string): number | null {
    const r = this.db
      .prepare(`SELECT MIN(COALESCE(next_check_at, 0)) t FROM payouts WHERE batch_id = ? AND status IN ('submitted','unknown')`)
      .get(batchId) as { t: number | null };
    return r.t;
  }

  /**
   * One state change: checked against the transition table, written with its event in one transaction.
   * `from` guards against a concurrent change (a callback and a poll racing): the change applies only if
   * the row is still in one of those states.
   */
  transition(
    id: string,
    to: PayoutStatus,
    patch: PayoutPatch,
    event: { type: string; detail?: unknown },
    from?: readonly PayoutStatus[],
  ): PayoutRecord {
    return this.db.transaction(() => {
      const current = this.getPayout(id);
      if (!current) throw new Error(`no payout ${id}`);
      if (from && !from.includes(current.status))
        throw new IllegalTransitionError(`payout ${id} is ${current.status}, expected ${from.join('/')}`);
      if (current.status !== to && !allowedTransitions[current.status].includes(to))
        throw new IllegalTransitionError(`payout ${id}: ${current.status} → ${to} is not allowed`);
      this.applyPatch(id, patch, to);
      this.event(event.type, current.batchId, id, current.status, to, event.detail);
      return this.getPayout(id)!;
    })();
  }

  /** Bookkeeping that is not a state change (next check time, poll count): no event. */
  touch(id: string, patch: PayoutPatch): void {
    this.applyPatch(id, patch);
  }

  private applyPatch(id: string, patch: PayoutPatch, status?: PayoutStatus): void {
    const sets: string[] = ['updated_at = ?'];
    const values: unknown[] = [now()];
    if (status) {
      sets.push('status = ?');
      values.push(status);
    }
    for (const [k, v] of Object.entries(patch) as [keyof PayoutPatch, unknown][]) {
      if (v === undefined) continue;
      sets.push(`${PATCH_COLUMNS[k]} = ?`);
      values.push(toDb(k, v));
    }
    const [batchId, row] = splitPayoutId(id) ?? ['', -1];
    this.db.prepare(`UPDATE payouts SET ${sets.join(', ')} WHERE batch_id = ? AND row_number = ?`).run(...values, batchId, row);
  }

  /** Restart rule (DESIGN §3 rule 2): every row caught in `submitting` may have been sent: it is `unknown`. */
  recoverInFlight(): number {
    const rows = this.db.prepare(`SELECT batch_id || '-' || row_number AS id FROM payouts WHERE status = 'submitting'`).all() as { id: string }[];
    for (const { id } of rows)
      this.transition(id, 'unknown', { nextCheckAt: 0 }, { type: 'recovered-in-flight', detail: { reason: 'process stopped while submitting' } });
    return rows.length;
  }

  // ---- attempts, payees, callbacks ----

  /** An attempt recorded whole, in the same transaction as the change it led to. */
  recordAttempt(payoutId: string, kind: 'create' | 'query' | 'prepare', startedAt: string, outcome: string, detail?: unknown): void {
    this.insertAttempt.run(payoutId, kind, startedAt, now(), outcome, detail === undefined ? null : detailJson(detail));
  }

  /** Runs `fn` as one transaction (one commit), nesting the journal's own transactions inside it. */
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
    this.db.transaction(() => this.event('journal-synced', null, null, null, null))();
  }

  getPayee(provider: string, key: string): { prepared: Record<string, string>; ready: boolean } | undefined {
    const r = this.db.prepare('SELECT prepared_json, state FROM payees WHERE provider = ? AND payee_key = ?').get(provider, key) as
      | { prepared_json: string; state: string }
      | undefined;
    return r ? { prepared: JSON.parse(r.prepared_json), ready: r.state === 'ready' } : undefined;
  }

  putPayee(provider: string, key: string, prepared: Record<string, string>, ready: boolean): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO payees (provider, payee_key, prepared_json, state, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(provider, payee_key) DO UPDATE SET prepared_json = excluded.prepared_json, state = excluded.state,
             updated_at = excluded.updated_at`,
        )
        .run(provider, key, JSON.stringify(prepared), ready ? 'ready' : 'partial', now());
      this.event(ready ? 'payee-prepared' : 'payee-checkpoint', null, null, null, null, { provider, payeeKey: key });
    })();
  }

  /** Records a callback body digest; false when it was seen before (a replay). */
  rememberCallback(provider: string, digest: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO callbacks_seen (digest, provider, at) VALUES (?, ?, ?)').run(digest, provider, now()).changes === 1;
  }

  /** Payouts of a batch whose reference matches, for callbacks (any batch of the provider). */
  findPayoutForCallback(provider: string, merchantReference: string, providerReference?: string): PayoutRecord | undefined {
    if (merchantReference) {
      const p = this.payoutByReference(provider, merchantReference);
      if (p) return p;
    }
    if (providerReference) {
      const r = this.db.prepare('SELECT * FROM payouts WHERE provider = ? AND provider_reference = ?').get(provider, providerReference) as Row | undefined;
      if (r) return this.payout(r);
    }
    return undefined;
  }
}
