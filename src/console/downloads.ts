// The four report downloads of the batch page. The files this process (or one sharing its work folder) wrote
// are served as they are; a batch whose reports live on another machine (DESIGN §11) is rendered from the
// journal into a temp folder for the one download. Not through engine/reporting.ts's writeReportsFor: that
// records the paths it wrote on the batch, and a download must not move where the batch's reports are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchRecord, Journal } from '../journal/contract.ts';
import { reportBatchOf, reportRow, type ReportOptions } from '../engine/reporting.ts';
import { REPORT_FILE_NAMES, writeBatchReports } from '../report/index.ts';
import { isInside } from '../intake/folders.ts';

export const DOWNLOADS = ['results.xlsx', 'results.csv', 'reconciliation.xlsx', 'reconciliation.csv'] as const;
export type DownloadName = (typeof DOWNLOADS)[number];

const KEY_OF: Record<DownloadName, keyof typeof REPORT_FILE_NAMES> = {
  'results.xlsx': 'results_xlsx',
  'results.csv': 'results_csv',
  'reconciliation.xlsx': 'reconciliation_xlsx',
  'reconciliation.csv': 'reconciliation_csv',
};

export const contentTypeOf = (name: DownloadName): string =>
  name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface Download {
  file: string;
  /** Removes what was rendered for this download (nothing for a file served in place). */
  done(): Promise<void>;
}

/** The report file to send: the batch's own when it is in this work folder, else rendered from the journal. */
export async function reportFile(journal: Journal, batch: BatchRecord, name: DownloadName, workDir: string, options: Pick<ReportOptions, 'maskMode' | 'timezone'>): Promise<Download> {
  const own = batch.reports?.[KEY_OF[name]];
  if (own && isInside(workDir, own) && fs.existsSync(own)) return { file: own, done: async () => {} };
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'paybatch-download-'));
  const done = () => fs.promises.rm(dir, { recursive: true, force: true });
  try {
    const rows = (function* () {
      for (const p of journal.iteratePayouts(batch.id)) yield reportRow(p);
    })();
    const written = await writeBatchReports(
      dir,
      reportBatchOf(journal, batch, options),
      rows,
    );
    const file = written.paths[KEY_OF[name]];
    if (!file) throw new Error(`${name} could not be written${written.xlsxError ? `: ${written.xlsxError.message}` : ''}`);
    return { file, done };
  } catch (err) {
    await done();
    throw err;
  }
}
