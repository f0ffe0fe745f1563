// The durable journal (DESIGN §3): every row is written here before any money moves; every state change is
// one transaction with one append-only event; the allowed transitions are a table checked on every change.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
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

/** Connections that have the paybatch_sha256() SQL function (payment fingerprints). */
const withSha256 = new WeakSet<Database.Database>();

/** JSON for audit details: bigint amounts as their digits. */
const detailJson = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

/** The journal cannot be opened or used: one clear line, exit 2 (cli/main.ts). */
export class JournalError extends Error {
  override name = 'JournalError';
}

const KEEP_IT = 'restore it from a backup (with its -wal file, if any); do not delete it: it records which payouts were sent';

/** One clear line for what SQLite (or the file system) said while opening or using the journal at `file`. */
export function journalError(file: string, err: unknown): Error {
  if (err instanceof JournalError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  const said = err instanceof Error ? err.message : String(err);
  const journal = file ? `the journal ${file}` : 'the journal';
  if (code === 'SQLITE_NOTADB') return new JournalError(`${journal} is not a readable journal (${said}): it is damaged or not a paybatch journal; ${KEEP_IT}`);
  if (code.startsWith('SQLITE_CORRUPT')) return new JournalError(`${journal} is damaged (${said}); ${KEEP_IT}`);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new JournalError(`${journal} cannot be written: the disk is full (${said}); free space and run again`);
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return new JournalError(`${journal} cannot be written (${said}): check the permissions of it and of its folder`);
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOTDIR' || code === 'EISDIR') return new JournalError(`${journal} cannot be opened (${said})`);
  if (code.startsWith('SQLITE_IOERR')) return new JournalError(`${journal} could not be read or written (${said}): check the disk`);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new JournalError(`${journal} is locked by another process (${said})`);
  return err instanceof Error ? err : new Error(said);
}

/** Creates the journal's folder; answers whether the journal file exists already. */
function prepareJournalFile(file: string): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new JournalError(`cannot create the folder of the journal ${file}: ${(err as Error).message}`);
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (!stat.isFile()) throw new JournalError(`the journal ${file} is not a file`);
  return true;
}

const markerPrefix = (file: string) => `${path.basename(file)}.open-`;

/**
 * Markers ("<journal>.open-<pid>", written at open, removed at close) of processes on this host that are no
 * longer running: each is a process that stopped without closing the journal.
 */
function staleOpenMarkers(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = markerPrefix(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let host = '';
    try {
      host = fs.readFileSync(path.join(dir, name), 'utf8').split('\n')[0] ?? '';
    } catch {
      continue;
    }
    if (host && host !== os.hostname()) continue; // another machine's process: its liveness is unknown here
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') stale.push(path.join(dir, name));
    }
  }
  return stale;
}

/** PRAGMA quick_check, refusing the journal with its first findings when it fails. */
function checkIntegrity(db: Database.Database, file: string): void {
  const refuse = (why: string) =>
    new JournalError(`the journal ${file} failed its integrity check (PRAGMA quick_check) after paybatch last stopped without closing it: ${why}; ${KEEP_IT}`);
  let findings: string[];
  try {
    findings = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check).filter((f) => f !== 'ok');
  } catch (err) {
    // A page too damaged to walk: quick_check itself stops with SQLITE_CORRUPT.
    throw refuse(err instanceof Error ? err.message : String(err));
  }
  if (findings.length) throw refuse(findings.slice(0, 3).join('; '));
}

/** Markers of this process (with how many of its Journals hold each), removed at exit even without close(). */
const openMarkers = new Map<string, number>();
let exitHookInstalled = false;

function markOpen(file: string): string | null {
  const marker = path.join(path.dirname(file), `${markerPrefix(file)}${process.pid}`);
  try {
    fs.writeFileSync(marker, `${os.hostname()}\n${new Date().toISOString()}\n`, { mode: 0o600 });
  } catch {
    return null; // without a marker an unclean stop goes unnoticed, but the journal itself works
  }
  openMarkers.set(marker, (openMarkers.get(marker) ?? 0) + 1);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A normal exit never damages the file (every commit is durable); only a kill or a crash can.
    process.once('exit', () => {
      for (const m of openMarkers.keys()) fs.rmSync(m, { force: true });
    });
  }
  return marker;
}

function markClosed(marker: string | null): void {
  const holders = marker ? openMarkers.get(marker) : undefined;
  if (!marker || !holders) return;
  // Another Journal of this process may still hold the same file open (tests, console): keep the marker.
  if (holders > 1) return void openMarkers.set(marker, holders - 1);
  openMarkers.delete(marker);
  fs.rmSync(marker, { force: true });
}

export class Journal {
  readonly db: Database.Database;
  private readonly writeChunk: ReturnType<typeof prepareChunkWriter>;
  private readonly insertEvent: Database.Statement;
  private readonly selectPayout: Database.Statement;
  private readonly insertAttempt: Database.Statement;
  private readonly selectColumns: Database.Statement;
  /** Column maps per batch (fixed once the batch is journaled). */
  private readonly columnsCache = new Map<string, [string, number][]>();
  /** This process's "journal open" marker, removed on close (see markOpen). */
  private readonly openMarker: string | null;

  constructor(readonly file: string) {
    const existed = prepareJournalFile(file);
    // A process that stopped without closing (killed, power lost) may have left a damaged file: check it
    // then, and only then, so an ordinary restart stays fast.
    const stale = existed ? staleOpenMarkers(file) : [];
    // Ours, before anything is written: a kill from here on (a migration included) is an unclean stop.
    const marker = markOpen(file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      if (!existed) fs.chmodSync(file, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 10000');
      if (stale.length) checkIntegrity(db, file);
      this.db = db;
      this.migrate();
    } catch (err) {
      if (db?.open) db.close();
      markClosed(marker);
      throw journalError(file, err);
    }
    // The check passed: the stopped processes' markers have served their purpose.
    for (const m of stale) fs.rmSync(m, { force: true });
    this.openMarker = marker;
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
    if (!this.db.open) return;
    this.db.close();
    markClosed(this.openMarker);
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

  // ---- the work folder's binding, notes, waiting sheets, payment fingerprints ----

  getMeta(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  /** Sets `key` unless it is set already (two processes starting at once agree); answers the value kept. */
  claimMeta(key: string, value: string): string {
    return this.db.transaction(() => {
      const changed = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(key, value).changes;
      if (changed) this.event('journal-meta', null, null, null, null, { key, value });
      return this.getMeta(key)!;
    })();
  }

  countBatches(): number {
    return (this.db.prepare('SELECT COUNT(*) n FROM batches').get() as { n: number }).n;
  }

  /** The batch reading (or holding) the sheet at `sourcePath`, if any. */
  batchBySourcePath(sourcePath: string): BatchRecord | undefined {
    const r = this.db.prepare('SELECT * FROM batches WHERE source_path = ? ORDER BY created_at DESC LIMIT 1').get(sourcePath) as Row | undefined;
    return r ? batchFromRow(r) : undefined;
  }

  /** A note on a batch that `status` shows from now on (kind: what it is about, e.g. 'file-changed'). */
  addBatchNote(batchId: string, kind: string, note: string): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO batch_notes (batch_id, kind, note, at) VALUES (?, ?, ?, ?)').run(batchId, kind, note, now());
      this.event('batch-note', batchId, null, null, null, { kind, note });
    })();
  }

  batchNotes(batchId: string): { kind: string; note: string; at: string }[] {
    return this.db.prepare('SELECT kind, note, at FROM batch_notes WHERE batch_id = ? ORDER BY id').all(batchId) as { kind: string; note: string; at: string }[];
  }

  /** A sheet left in the inbox because its provider's configuration failed to load (path relative to the work folder). */
  recordIntakeWait(sheetPath: string, provider: string, reason: string): void {
    this.db
      .prepare('INSERT INTO intake_waits (path, provider, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET provider = excluded.provider, reason = excluded.reason, at = excluded.at')
      .run(sheetPath, provider, reason, now());
  }

  clearIntakeWait(sheetPath: string): void {
    this.db.prepare('DELETE FROM intake_waits WHERE path = ?').run(sheetPath);
  }

  intakeWaits(): { path: string; provider: string; reason: string; at: string }[] {
    return this.db.prepare('SELECT path, provider, reason, at FROM intake_waits ORDER BY path').all() as { path: string; provider: string; reason: string; at: string }[];
  }

  /**
   * Records what each valid row of a batch pays to — provider, currency, amount and the cells of its
   * identifier columns (account, card, CLABE, payee id … by index in the sheet), spaces and dashes dropped,
   * case folded — hashed, replacing any recorded before (a batch read again). One statement: no row is
   * read into JavaScript (a batch may have 100,000). Rows whose identifier cells are all empty are skipped.
   * Answers how many rows were recorded.
   */
  recordFingerprints(batchId: string, identifierColumns: readonly number[]): number {
    if (!identifierColumns.length) return 0;
    if (!withSha256.has(this.db)) {
      this.db.function('paybatch_sha256', { deterministic: true }, (text: unknown) => crypto.createHash('sha256').update(String(text)).digest('hex').slice(0, 32));
      withSha256.add(this.db);
    }
    const cell = (i: number) => {
      if (!Number.isInteger(i) || i < 0) throw new Error(`bad column index ${i}`);
      return `lower(replace(replace(replace(COALESCE(json_extract(original_json, '$[${i}]'), ''), ' ', ''), '-', ''), char(9), ''))`;
    };
    const cells = identifierColumns.map(cell);
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM payout_fingerprints WHERE batch_id = ?').run(batchId);
      return this.db
        .prepare(
          `INSERT INTO payout_fingerprints (batch_id, row_number, provider, fingerprint)
           SELECT batch_id, row_number, provider, paybatch_sha256(provider || char(31) || currency || char(31) || amount_minor || char(31) || identifiers)
             FROM (SELECT batch_id, row_number, provider, currency, amount_minor, ${cells.join(" || char(31) || ")} AS identifiers, ${cells.join(' || ')} AS anything
                     FROM payouts WHERE batch_id = ? AND status = 'validated' AND amount_minor IS NOT NULL AND currency IS NOT NULL)
            WHERE anything <> ''`,
        )
        .run(batchId).changes;
    })();
  }

  /** Valid rows of a batch whose cell in `column` is empty (e.g. no reference where one is required). */
  validRowsWithEmptyCell(batchId: string, column: number): { id: string; rowNumber: number; amountMinor: bigint | null; currency: string | null }[] {
    if (!Number.isInteger(column) || column < 0) throw new Error(`bad column index ${column}`);
    return (
      this.db
        .prepare(
          `SELECT row_number, amount_minor, currency FROM payouts
            WHERE batch_id = ? AND status = 'validated' AND trim(COALESCE(json_extract(original_json, '$[${column}]'), ''), ' ' || char(9, 10, 13)) = ''
            ORDER BY row_number`,
        )
        .all(batchId) as Row[]
    ).map((r) => ({ id: `${batchId}-${r.row_number as number}`, rowNumber: r.row_number as number, amountMinor: big(r.amount_minor), currency: (r.currency as string) ?? null }));
  }

  /**
   * Rows of `batchId` whose fingerprint matches a payout of another batch that was sent (or paid) since
   * `sinceIso`: the same provider, account, amount and currency paid again. Indexed by fingerprint.
   */
  paidLookalikes(batchId: string, sinceIso: string, limit: number): { rowNumber: number; reference: string | null; earlierBatch: string; earlierRow: number; earlierReference: string | null; earlierStatus: PayoutStatus }[] {
    return this.db
      .prepare(
        `SELECT f.row_number AS rowNumber, mine.merchant_reference AS reference, p.batch_id AS earlierBatch, p.row_number AS earlierRow,
                p.merchant_reference AS earlierReference, p.status AS earlierStatus
           FROM payout_fingerprints f
           JOIN payouts mine ON mine.batch_id = f.batch_id AND mine.row_number = f.row_number
           JOIN payout_fingerprints g ON g.provider = f.provider AND g.fingerprint = f.fingerprint AND g.batch_id <> f.batch_id
           JOIN payouts p ON p.batch_id = g.batch_id AND p.row_number = g.row_number
          WHERE f.batch_id = ? AND mine.status = 'validated'
            AND p.status IN ('submitting', 'submitted', 'unknown', 'succeeded', 'needs_review')
            AND COALESCE(p.submitted_at, p.updated_at) >= ?
          ORDER BY f.row_number
          LIMIT ?`,
      )
      .all(batchId, sinceIso, limit) as never;
  }
}
