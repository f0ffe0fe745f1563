// Reports from the journal alone (DESIGN §7), so `paybatch report <batch>` regenerates identical files.
// Writing them never fails a batch whose payouts exist: a report that cannot be written is recorded on the
// batch (`reports_error` in status) and in the log, and the next run-once or watch writes it.
import path from 'node:path';
import type { BatchRecord, Journal, JournalEvent, PayoutRecord, PayoutStatus } from '../journal/store.ts';
import { createLogger, type Logger } from '../log.ts';
import { writeBatchReports, writeErrorsCsv, type ReportApproval, type ReportPaths, type ReportRow, type ResultStatus } from '../report/index.ts';
import type { ReconciliationSummary, ReportBatch } from '../report/types.ts';
import { CONTROL_EVENTS, type ControlDetail } from './controls.ts';
import { crashAt } from './crash.ts';
import type { Engine } from './engine.ts';

export const resultStatusOf: Record<PayoutStatus, ResultStatus> = {
  validated: 'pending',
  queued: 'pending',
  submitting: 'pending',
  submitted: 'pending',
  unknown: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  reversed: 'reversed',
  needs_review: 'needs_review',
  invalid: 'invalid',
  duplicate: 'duplicate',
  cancelled: 'cancelled',
};

/** A journaled payout as the report writers read it (results, reconciliation, mails, console downloads). */
export function reportRow(p: PayoutRecord): ReportRow {
  return {
    rowNumber: p.rowNumber,
    original: p.original,
    status: resultStatusOf[p.status],
    merchantReference: p.merchantReference ?? '',
    providerReference: p.providerReference ?? '',
    rawStatus: p.rawStatus ?? '',
    errorCode: p.errorCode ?? '',
    errorMessage: p.errorMessage ?? '',
    submittedAt: p.submittedAt ?? '',
    completedAt: p.completedAt ?? '',
    currency: p.currency ?? '',
    amountMinor: p.amountMinor,
    paidAmountMinor: p.paidAmountMinor,
    feeMinor: p.feeMinor,
  };
}

export function reportsDir(workDir: string, batchId: string): string {
  return path.join(workDir, 'reports', batchId);
}

/** The errors CSV of a batch (validation errors), or null when it has none. */
export async function writeBatchErrors(journal: Journal, batch: BatchRecord, file: string, maskMode: 'last4' | 'none'): Promise<string | null> {
  if (journal.countRowErrors(batch.id) === 0) return null;
  const maskColumns = batch.maskColumns.map((i) => batch.header[i]).filter(Boolean);
  // Read back, a batch's problems name its file.
  await writeErrorsCsv(file, journal.iterateRowErrors(batch.id), { maskColumns: [...maskColumns, 'account_number'], maskMode });
  return file;
}

export interface ReportOptions {
  maskMode: 'last4' | 'none';
  /** Config `timezone`: the IANA zone of the times the reports show people; UTC when absent. */
  timezone?: string;
  /** Where a report that could not be written is logged (else the work folder's log, opened for it). */
  log?: Logger;
}

/** The report options of the engine's configuration. */
export function reportOptions(engine: Engine): ReportOptions {
  return { maskMode: engine.config.reports.maskAccountNumbers, timezone: engine.config.timezone, log: engine.log };
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One control event as the approvals section shows it; older resolutions journaled only {as, note, by}. */
function approvalOf(journal: Journal, e: JournalEvent): ReportApproval {
  const d = (e.detail ?? {}) as Partial<Record<keyof ControlDetail, unknown>>;
  let action = e.type === CONTROL_EVENTS.approved ? 'approved' : 'cancelled';
  let payout = '';
  if (e.type === CONTROL_EVENTS.resolved) {
    action = `resolved as ${text(d.as) || e.to || 'unknown'}`;
    const id = text(d.payoutId) || (e.payoutId ?? '');
    const reference = text(d.reference) || (id ? (journal.getPayout(id)?.merchantReference ?? '') : '');
    payout = reference && id ? `${reference} (${id})` : reference || id;
  }
  return { at: e.at, action, by: text(d.by), osUser: text(d.osUser), via: text(d.via), note: text(d.note), payout };
}

/**
 * Who released the batch, when the batch record says (`releasedBy`: a name, or {by, osUser, via, at}; read
 * loosely, as journals written before it lack it).
 */
function releaseOf(batch: BatchRecord): ReportApproval | null {
  const released: unknown = (batch as BatchRecord & { releasedBy?: unknown }).releasedBy;
  if (typeof released === 'string' && released !== '') {
    return { at: batch.createdAt, action: 'released', by: released, osUser: '', via: '', note: '', payout: '' };
  }
  if (typeof released !== 'object' || released === null) return null;
  const r = released as Record<string, unknown>;
  return { at: text(r.at) || batch.createdAt, action: 'released', by: text(r.by), osUser: text(r.osUser), via: text(r.via), note: text(r.note), payout: '' };
}

/** The release, then every control event of the batch (DESIGN §12), oldest first. */
function approvalsOf(journal: Journal, batch: BatchRecord): ReportApproval[] {
  // One query per type: a batch's other events (every payout's every change) are never loaded.
  const events = Object.values(CONTROL_EVENTS).flatMap((type) => journal.eventsOf({ batchId: batch.id, type }));
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const release = releaseOf(batch);
  return [...(release ? [release] : []), ...events.map((e) => approvalOf(journal, e))];
}

/** The key of a batch's `reports` record that says why its reports are missing or incomplete. */
export const REPORTS_ERROR_KEY = 'reports_error';

/** Why the batch's reports are missing or incomplete, or null when the last write succeeded. */
export function reportsProblem(batch: BatchRecord): string | null {
  if (batch.state === 'received') return null;
  if (!batch.reports) return batch.state === 'completed' || batch.state === 'cancelled' ? 'reports not written' : null;
  return batch.reports[REPORTS_ERROR_KEY] ?? null;
}

function logReportProblem(log: Logger | undefined, workDir: string, message: string, detail: Record<string, unknown>): void {
  if (log) {
    log.error(message, detail);
    return;
  }
  const own = createLogger({ workDir, console: true });
  own.error(message, detail);
  own.end();
}

const isJournalError = (err: unknown) => /^SQLITE_/.test(String((err as { code?: unknown })?.code ?? '')) || (err as Error)?.name === 'JournalError';

/** A journaled batch as the report writers read it: the same facts wherever its reports are rendered. */
export function reportBatchOf(journal: Journal, batch: BatchRecord, options: Pick<ReportOptions, 'maskMode' | 'timezone'>): ReportBatch {
  return {
    id: batch.id,
    fileName: batch.fileName,
    provider: batch.provider,
    state: batch.state,
    createdAt: batch.createdAt,
    completedAt: batch.completedAt,
    timezone: options.timezone,
    approvals: approvalsOf(journal, batch),
    fileSha256: batch.fileSha256,
    header: batch.header,
    amountColumn: batch.amountColumn,
    maskColumns: batch.maskColumns,
    maskMode: options.maskMode,
    holdReason: batch.holdReason,
    balances: batch.balances.map((b) => ({
      currency: b.currency,
      beforeMinor: b.beforeMinor === null ? null : BigInt(b.beforeMinor),
      afterMinor: b.afterMinor === null ? null : BigInt(b.afterMinor),
    })),
    // Journaled with the batch when it was read: every rewrite shows the same USD column.
    usdRates: batch.usdRates ?? undefined,
  };
}

/**
 * Writes the batch's errors.csv, results and reconciliation (CSV and XLSX) and records the paths on the
 * batch. Never throws for a file that cannot be written (a read-only or missing reports folder, a full
 * disk, a workbook exceljs refuses): the CSV files are kept when only an XLSX failed, the reason is
 * recorded as the batch's `reports_error` and logged, and `error` says it. Journal errors are thrown.
 */
export async function writeReportsFor(
  journal: Journal,
  batchId: string,
  workDir: string,
  options: ReportOptions,
): Promise<{ paths: ReportPaths; summary: ReconciliationSummary | null; error: string | null }> {
  const batch = journal.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  const dir = reportsDir(workDir, batch.id);
  let paths: ReportPaths = { results_csv: '', results_xlsx: '', reconciliation_csv: '', reconciliation_xlsx: '', review_csv: null, errors_csv: null };
  let summary: ReconciliationSummary | null = null;
  let error: string | null = null;
  try {
    paths.errors_csv = await writeBatchErrors(journal, batch, path.join(dir, 'errors.csv'), options.maskMode);
    if (batch.state !== 'rejected') {
      const half = Math.floor(batch.rowCount / 2);
      let n = 0;
      const rows = (function* () {
        for (const p of journal.iteratePayouts(batch.id)) {
          if (++n === half) crashAt('during-report-writing');
          yield reportRow(p);
        }
      })();
      const written = await writeBatchReports(
        dir,
        reportBatchOf(journal, batch, options),
        rows,
      );
      paths = { ...written.paths, errors_csv: paths.errors_csv };
      summary = written.summary;
      if (written.xlsxError) error = `XLSX reports not written (the CSV reports were): ${written.xlsxError.message}`;
    }
  } catch (err) {
    if (isJournalError(err)) throw err;
    paths = { ...paths, results_csv: '', results_xlsx: '', reconciliation_csv: '', reconciliation_xlsx: '', review_csv: null };
    summary = null;
    error = `reports not written: ${err instanceof Error ? err.message : String(err)}`;
  }
  const record: Record<string, string | null> = { ...(paths as unknown as Record<string, string | null>), [REPORTS_ERROR_KEY]: error };
  journal.updateBatch(batch.id, { reports: record }, error ? { type: 'reports-failed', detail: { error } } : { type: 'reports-written' });
  if (error)
    logReportProblem(options.log, workDir, `batch ${batch.id}: ${error}; the next run-once or watch writes them again (or: paybatch report ${batch.id})`, {
      batchId: batch.id,
      dir,
    });
  return { paths, summary, error };
}

/** When each batch's reports last failed in this process (a daemon retries them now and then, not every tick). */
const lastFailure = new WeakMap<Engine, Map<string, number>>();

/**
 * Writes the reports of every batch whose last write failed or never happened (a read-only or missing
 * reports folder, a full disk): run-once and watch call it with the unfinished batches, so a batch
 * `completed` without its reports does not stay so. Answers the ids whose reports are now written.
 */
export async function rewriteMissingReports(engine: Engine, options: { retryAfterMs?: number } = {}): Promise<string[]> {
  const failures = lastFailure.get(engine) ?? new Map<string, number>();
  lastFailure.set(engine, failures);
  const retryAfterMs = options.retryAfterMs ?? 60_000;
  const written: string[] = [];
  for (const batch of engine.journal.listBatches()) {
    // Open batches get their reports from resumeBatch; these are the ones nothing else will touch.
    if (batch.state === 'received' || batch.state === 'submitting' || batch.state === 'polling') continue;
    if (!reportsProblem(batch)) continue;
    const failedAt = failures.get(batch.id);
    if (failedAt !== undefined && Date.now() - failedAt < retryAfterMs) continue;
    const { error } = await writeReportsFor(engine.journal, batch.id, engine.config.workDir, reportOptions(engine));
    if (error) {
      failures.set(batch.id, Date.now());
      continue;
    }
    failures.delete(batch.id);
    written.push(batch.id);
    engine.log.info('reports written after an earlier failure', { batchId: batch.id, dir: reportsDir(engine.config.workDir, batch.id) });
  }
  return written;
}
