// Reports from the journal alone (DESIGN §7), so `paybatch report <batch>` regenerates identical files.
import path from 'node:path';
import type { BatchRecord, Journal, PayoutRecord, PayoutStatus } from '../journal/store.ts';
import { writeBatchReports, writeErrorsCsv, type ReportPaths, type ReportRow, type ResultStatus } from '../report/index.ts';
import type { ReconciliationSummary } from '../report/types.ts';
import { crashAt } from './crash.ts';

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
};

function reportRow(p: PayoutRecord): ReportRow {
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
  const errors = (function* () {
    for (const e of journal.iterateRowErrors(batch.id))
      yield { file: batch.fileName, row: e.rowNumber, column: e.column, value: e.value, rule: e.rule, message: e.message };
  })();
  await writeErrorsCsv(file, errors, { maskColumns: [...maskColumns, 'account_number'], maskMode });
  return file;
}

export async function writeReportsFor(
  journal: Journal,
  batchId: string,
  workDir: string,
  options: { maskMode: 'last4' | 'none'; usdRates?: Record<string, string> },
): Promise<{ paths: ReportPaths; summary: ReconciliationSummary | null }> {
  const batch = journal.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  const dir = reportsDir(workDir, batch.id);
  const errorsCsv = await writeBatchErrors(journal, batch, path.join(dir, 'errors.csv'), options.maskMode);
  let paths: ReportPaths = { results_csv: '', results_xlsx: '', reconciliation_csv: '', reconciliation_xlsx: '', review_csv: null, errors_csv: errorsCsv };
  let summary: ReconciliationSummary | null = null;
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
      {
        id: batch.id,
        fileName: batch.fileName,
        provider: batch.provider,
        state: batch.state,
        createdAt: batch.createdAt,
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
        usdRates: options.usdRates,
      },
      rows,
    );
    paths = { ...written.paths, errors_csv: errorsCsv };
    summary = written.summary;
  }
  journal.updateBatch(batch.id, { reports: paths as unknown as Record<string, string | null> }, { type: 'reports-written' });
  return { paths, summary };
}
