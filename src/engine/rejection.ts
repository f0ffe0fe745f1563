// A sheet that cannot be paid as a whole goes to rejected/ with an errors CSV beside it, never stays in
// processing/: before a batch exists (unreadable, already seen, failed) or as a rejected batch.
import fs from 'node:fs';
import { copyFile, errorsFileBeside, moveFile, tidyProcessing, workFolders } from '../intake/folders.ts';
import { writeErrorsCsv } from '../report/index.ts';
import { fileProblem, type RowProblem } from '../validate/problem.ts';
import type { Engine } from './engine.ts';
import { reportOptions, writeReportsFor } from './reporting.ts';
import { summarize, unreadableSummary, type BatchSummary } from './summary.ts';
import { noticeBatch } from '../notify/outbox.ts';

/** `run` copies the sheet to the archive and leaves the original; the inbox moves it. */
export type SheetOrigin = 'run' | 'inbox';

/** Whole-file rejection before a batch exists (unreadable, already seen): the sheet goes to rejected/ with a note. */
export async function rejectWholeFile(engine: Engine, filePath: string, name: string, origin: SheetOrigin, problems: RowProblem[]): Promise<string> {
  const folders = workFolders(engine.config.workDir);
  const kept = origin === 'inbox' ? moveFile(filePath, folders.rejected, name) : copyFile(filePath, folders.rejected, name);
  if (origin === 'inbox') tidyProcessing(folders, filePath);
  const errorsCsv = errorsFileBeside(kept);
  await writeErrorsCsv(errorsCsv, problems);
  return errorsCsv;
}

/** A journaled batch that was rejected: the sheet goes to rejected/ with the batch's errors CSV beside it. */
export async function finishRejected(engine: Engine, batchId: string, filePath: string, name: string, origin: SheetOrigin, unreadable: boolean): Promise<BatchSummary> {
  const { journal, config } = engine;
  const folders = workFolders(config.workDir);
  const batch = journal.getBatch(batchId)!;
  const kept = origin === 'inbox' ? moveFile(filePath, folders.rejected, name) : copyFile(filePath, folders.rejected, name);
  if (origin === 'inbox') tidyProcessing(folders, filePath);
  const besideFile = errorsFileBeside(kept);
  const { paths } = await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
  if (paths.errors_csv) fs.copyFileSync(paths.errors_csv, besideFile);
  journal.updateBatch(batchId, { archivedPath: kept, errorsCsv: paths.errors_csv });
  await noticeBatch(engine, batchId);
  const s = summarize(engine, journal.getBatch(batchId)!);
  return { ...s, unreadable, notes: [...s.notes, `${batch.fileName} rejected: see ${paths.errors_csv ?? besideFile}`] };
}

/** A sheet whose processing failed unexpectedly is kept in rejected/ with a note, never left in processing/. */
export async function quarantine(engine: Engine, filePath: string, name: string, err: unknown): Promise<BatchSummary> {
  const message = err instanceof Error ? err.message : String(err);
  engine.log.error('sheet processing failed', { file: name, error: message });
  let errorsCsv: string | null = null;
  if (fs.existsSync(filePath))
    errorsCsv = await rejectWholeFile(engine, filePath, name, 'inbox', [fileProblem(name, 'processing-failed', message)]);
  return unreadableSummary(name, engine.config.provider, errorsCsv, `${name}: ${message}`);
}
