// Report writers (DESIGN §7): results, reconciliation and review files for one batch.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createAtomicTarget, tempPathFor, type AtomicTarget } from './atomic.ts';
import {
  ExceptionSpool,
  ReconciliationAccumulator,
  UsdConverter,
  writeReconciliationCsv,
  writeReconciliationXlsx,
  writeSummarySheet,
} from './reconciliation.ts';
import { CsvStreamWriter, MoneyFormat, ResultsWriter } from './results.ts';
import { neutraliseFormula } from './safe-cells.ts';
import { ShownTime } from './times.ts';
import type { ReconciliationSummary, ReportBatch, ReportPaths, ReportRow } from './types.ts';

export type {
  BalanceLine,
  CurrencyTotals,
  ReconciliationSummary,
  ReportApproval,
  ReportBatch,
  ReportPaths,
  ReportRow,
  ResultStatus,
  ValidationError,
} from './types.ts';
export { RESULT_STATUSES } from './types.ts';
export { writeErrorsCsv } from './errors.ts';
export { maskAccount, neutraliseFormula } from './safe-cells.ts';
export { withAtomicPath, writeFileAtomic } from './atomic.ts';

export const REPORT_FILE_NAMES = {
  results_csv: 'results.csv',
  results_xlsx: 'results.xlsx',
  reconciliation_csv: 'reconciliation.csv',
  reconciliation_xlsx: 'reconciliation.xlsx',
  review_csv: 'review.csv',
} as const;

export const REVIEW_COLUMNS = ['row', 'merchant_reference', 'amount', 'currency', 'raw_status', 'error_message', 'submitted_at'] as const;

const OUR_TEMP = /^\.(?:results\.csv|results\.xlsx|reconciliation\.csv|reconciliation\.xlsx|review\.csv|exceptions\.jsonl)\.(\d+)\.[0-9a-f]+\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files that a crashed earlier writer (a process no longer running) left in `dir`. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = OUR_TEMP.exec(name);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) {
      await rm(join(dir, name), { force: true });
    }
  }
}

/** review.csv, opened on the first needs_review row. */
class ReviewFile {
  private constructor(
    readonly target: AtomicTarget,
    private readonly csv: CsvStreamWriter,
  ) {}

  static async open(path: string): Promise<ReviewFile> {
    const target = await createAtomicTarget(path);
    const csv = CsvStreamWriter.open(target.tmpPath);
    const file = new ReviewFile(target, csv);
    await csv.write([...REVIEW_COLUMNS]);
    return file;
  }

  write(row: ReportRow, money: MoneyFormat): Promise<void> {
    return this.csv.write([
      String(row.rowNumber),
      neutraliseFormula(row.merchantReference),
      row.amountMinor === null || money.exponent(row.currency) === undefined ? '' : money.text(row.amountMinor, row.currency, row.rowNumber),
      neutraliseFormula(row.currency),
      neutraliseFormula(row.rawStatus),
      neutraliseFormula(row.errorMessage),
      neutraliseFormula(row.submittedAt),
    ]);
  }

  end(): Promise<void> {
    return this.csv.end();
  }

  async destroy(): Promise<void> {
    await this.csv.destroy();
    await this.target.abort();
  }
}

/** What writeBatchReports wrote: the paths (an XLSX that could not be written is ''), and why not. */
export interface WrittenReports {
  paths: ReportPaths;
  summary: ReconciliationSummary;
  /** Why results.xlsx and/or reconciliation.xlsx are missing (the CSV files were written), or null. */
  xlsxError: Error | null;
}

/**
 * Writes results.csv/.xlsx, reconciliation.csv/.xlsx and review.csv (only when at least one row is
 * needs_review; otherwise review_csv is null and a stale review.csv from an earlier run is removed)
 * into `dir`.
 *
 * `rows` is iterated once, in input order, and never held in memory: the results files are streamed,
 * totals are kept per currency, and exception lines are spooled to a temp file in `dir` (they are
 * printed after the totals). Every file is written under a temp name in `dir`; only when all of them
 * are complete are they renamed to their final names, so an error leaves the previous reports (if
 * any) untouched and no partial file under a final name (temp files a crashed run left behind are
 * removed on the next run). errors_csv is always null here: the errors
 * file is written by writeErrorsCsv.
 *
 * The XLSX files never cost the CSV files: when a workbook cannot be written (or renamed into place),
 * the CSV files are still committed, the XLSX paths are '', a stale XLSX from an earlier write is
 * removed (it would contradict the new CSV), and `xlsxError` says why.
 */
export async function writeBatchReports(
  dir: string,
  batch: ReportBatch,
  rows: Iterable<ReportRow> | AsyncIterable<ReportRow>,
): Promise<WrittenReports> {
  // A malformed rate or zone fails here, before the rows are read.
  new UsdConverter(batch.usdRates);
  new ShownTime(batch.timezone);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await removeStaleTemps(dir);
  const final = {
    results_csv: join(dir, REPORT_FILE_NAMES.results_csv),
    results_xlsx: join(dir, REPORT_FILE_NAMES.results_xlsx),
    reconciliation_csv: join(dir, REPORT_FILE_NAMES.reconciliation_csv),
    reconciliation_xlsx: join(dir, REPORT_FILE_NAMES.reconciliation_xlsx),
    review_csv: join(dir, REPORT_FILE_NAMES.review_csv),
  };
  const targets: AtomicTarget[] = [];
  const target = async (path: string) => {
    const t = await createAtomicTarget(path);
    targets.push(t);
    return t;
  };
  const spoolPath = tempPathFor(join(dir, 'exceptions.jsonl'));
  let results: ResultsWriter | null = null;
  let spool: ExceptionSpool | null = null;
  let review: ReviewFile | null = null;
  /** Why each workbook is missing, by its final path (the XLSX files are independent of each other). */
  const xlsxFailures = new Map<string, Error>();
  const failXlsx = (file: string, err: unknown) => {
    if (!xlsxFailures.has(file)) xlsxFailures.set(file, err instanceof Error ? err : new Error(String(err)));
  };
  try {
    const resultsCsv = await target(final.results_csv);
    const resultsXlsx = await target(final.results_xlsx);
    const money = new MoneyFormat(batch.currencyExponents);
    results = new ResultsWriter(resultsCsv.tmpPath, resultsXlsx.tmpPath, batch);
    spool = new ExceptionSpool(spoolPath);
    const totals = new ReconciliationAccumulator(batch.currencyExponents);
    await results.begin();

    for await (const row of rows) {
      const exceptions = totals.add(row);
      if (exceptions.length > 0) await spool.write(exceptions);
      await results.write(row);
      if (row.status === 'needs_review') {
        review ??= await ReviewFile.open(final.review_csv);
        await review.write(row, money);
      }
    }

    await results.endRows();
    await spool.end();
    const data = totals.finish();
    if (!results.xlsxError) {
      try {
        await writeSummarySheet(results.workbook, batch, data);
      } catch (err) {
        await results.abandonXlsx(err);
      }
    }
    await results.commitXlsx();
    if (results.xlsxError) failXlsx(final.results_xlsx, results.xlsxError);
    if (review) await review.end();

    const reconCsv = await target(final.reconciliation_csv);
    await writeReconciliationCsv(reconCsv.tmpPath, batch, data, spoolPath);
    const reconXlsx = await target(final.reconciliation_xlsx);
    try {
      await writeReconciliationXlsx(reconXlsx.tmpPath, batch, data, spoolPath);
    } catch (err) {
      failXlsx(final.reconciliation_xlsx, err);
    }

    // Everything is complete on disk: now replace the final names, the CSV files first.
    await resultsCsv.commit();
    await reconCsv.commit();
    if (review) await review.target.commit();
    else await rm(final.review_csv, { force: true });
    const written = new Set<string>([final.results_csv, final.reconciliation_csv]);
    for (const t of [resultsXlsx, reconXlsx]) {
      if (xlsxFailures.has(t.finalPath)) {
        await t.abort();
      } else {
        try {
          await t.commit();
          written.add(t.finalPath);
          continue;
        } catch (err) {
          failXlsx(t.finalPath, err);
        }
      }
      // An older workbook under the final name would contradict the CSV just written.
      await rm(t.finalPath, { force: true }).catch(() => undefined);
    }
    const xlsxError = xlsxFailures.size
      ? new Error([...xlsxFailures].map(([file, err]) => `${basename(file)}: ${err.message}`).join('; '))
      : null;

    return {
      paths: {
        results_csv: final.results_csv,
        results_xlsx: written.has(final.results_xlsx) ? final.results_xlsx : '',
        reconciliation_csv: final.reconciliation_csv,
        reconciliation_xlsx: written.has(final.reconciliation_xlsx) ? final.reconciliation_xlsx : '',
        review_csv: review ? final.review_csv : null,
        errors_csv: null,
      },
      summary: data.summary,
      xlsxError,
    };
  } catch (err) {
    await results?.destroy();
    await review?.destroy();
    for (const t of targets) await t.abort();
    throw err;
  } finally {
    await spool?.destroy();
    await rm(spoolPath, { force: true });
  }
}
