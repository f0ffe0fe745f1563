// What a batch amounts to for the person who ran it: its summary (the `--json` of run, run-once, status)
// and the exit code over several batches (DESIGN §8).
import type { BatchRecord } from '../journal/store.ts';
import type { Engine } from './engine.ts';
import { reportsProblem, resultStatusOf } from './reporting.ts';

export { exitCodeFor } from './exit-codes.ts';

export interface BatchSummary {
  id: string;
  file: string;
  provider: string;
  state: string;
  rows: number;
  counts: Record<'succeeded' | 'failed' | 'reversed' | 'invalid' | 'duplicate' | 'cancelled' | 'pending' | 'needs_review', number>;
  reports: { results_csv: string | null; results_xlsx: string | null; reconciliation_csv: string | null; reconciliation_xlsx: string | null; errors_csv: string | null };
  /** Human lines: invariant per currency, hold or stop reasons. */
  notes: string[];
  /** 2 when the file could not be read at all or the configuration was refused. */
  unreadable?: boolean;
  /** The sheet changed after payouts began: kept in rejected/, not archived (exit 1). */
  fileChanged?: boolean;
  /** Why the batch's reports are missing or incomplete (`reports_error` in --json); null when written. */
  reportsError?: string | null;
}

/** Batch note kinds. */
export const FILE_CHANGED = 'file-changed';
export const CHANGED_WHILE_READ = 'changed-while-read';

export function summarize(engine: Engine, batch: BatchRecord, notes: string[] = []): BatchSummary {
  const raw = engine.journal.counts(batch.id);
  const counts = { succeeded: 0, failed: 0, reversed: 0, invalid: 0, duplicate: 0, cancelled: 0, pending: 0, needs_review: 0 };
  for (const [status, n] of Object.entries(raw)) {
    // A rejected file sends nothing: its valid rows are not "pending", they are simply not paid.
    if (batch.state === 'rejected' && resultStatusOf[status as keyof typeof raw] === 'pending') continue;
    counts[resultStatusOf[status as keyof typeof raw]] += n;
  }
  const r = batch.reports ?? {};
  const stored = engine.journal.batchNotes(batch.id);
  const orNull = (v: string | null | undefined) => (v ? v : null);
  return {
    id: batch.id,
    file: batch.fileName,
    provider: batch.provider,
    state: batch.state,
    rows: batch.rowCount,
    counts,
    reports: {
      results_csv: orNull(r.results_csv),
      results_xlsx: orNull(r.results_xlsx),
      reconciliation_csv: orNull(r.reconciliation_csv),
      reconciliation_xlsx: orNull(r.reconciliation_xlsx),
      errors_csv: orNull(r.errors_csv ?? batch.errorsCsv),
    },
    notes: [
      ...(batch.holdReason && batch.state === 'held' ? [`held: ${batch.holdReason}`] : []),
      ...(batch.stopReason && batch.state === 'stopped' ? [`stopped: ${batch.stopReason}`] : []),
      ...(batch.cancelledAt && batch.state !== 'cancelled' ? [`cancelled at ${batch.cancelledAt}: nothing more is sent; the rows already sent go on to their final status`] : []),
      ...stored.map((n) => n.note),
      ...notes,
    ],
    ...(stored.some((n) => n.kind === FILE_CHANGED) ? { fileChanged: true } : {}),
    reportsError: reportsProblem(batch),
  };
}

/** The summary of a sheet rejected before it became a batch. */
export function unreadableSummary(file: string, provider: string, errorsCsv: string | null, note: string): BatchSummary {
  return {
    id: '', file, provider, state: 'rejected', rows: 0,
    counts: { succeeded: 0, failed: 0, reversed: 0, invalid: 0, duplicate: 0, cancelled: 0, pending: 0, needs_review: 0 },
    reports: { results_csv: null, results_xlsx: null, reconciliation_csv: null, reconciliation_xlsx: null, errors_csv: errorsCsv },
    notes: [note],
    unreadable: true,
  };
}
