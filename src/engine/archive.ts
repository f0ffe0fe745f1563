// A final batch's sheet leaves processing/ (or is copied, for `run`) into the dated archive, unless it
// changed after it was read.
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { BatchRecord } from '../journal/store.ts';
import { archiveDir, copyFile, errorsFileBeside, isInside, moveFile, tidyProcessing, workFolders } from '../intake/folders.ts';
import { changedSince } from '../intake/identity.ts';
import { writeErrorsCsv } from '../report/index.ts';
import { fileProblem } from '../validate/problem.ts';
import type { Engine } from './engine.ts';
import { FILE_CHANGED, summarize } from './summary.ts';

/**
 * Moves (inbox) or copies (`run`) the sheet into the archive, unless its bytes are no longer those read: a
 * sheet that changed after payouts began is never archived silently. It goes to rejected/ with a note of
 * what was paid from the bytes read, and the batch exits 1.
 */
export async function archiveSheet(engine: Engine, batch: BatchRecord, options: { ranHere?: boolean } = {}): Promise<void> {
  const { journal, log } = engine;
  const folders = workFolders(engine.config.workDir);
  const source = batch.sourcePath;
  if (!source || !fs.existsSync(source) || batch.archivedPath) return;
  const moving = isInside(folders.processing, source);
  // Shared journal: a sheet is archived by the work folder that holds it (its processing/), or for `run` by the
  // process that ran it; a path outside is another machine's, even where the same path exists here.
  if (journal.claims && !moving && !options.ranHere) return;
  const now = await changedSince(source, { sha256: batch.fileSha256, bytes: batch.fileBytes, mtimeMs: 0 });
  // Shared journal: the path may be another machine's (the same layout everywhere); a file there with other
  // bytes is this folder's own sheet, not this batch's changed one.
  if (now && journal.claims) {
    log.debug('a sheet at the path of a batch read elsewhere has other bytes: not archived with it', { batchId: batch.id, path: source });
    return;
  }
  if (now) {
    const kept = moving ? moveFile(source, folders.rejected, batch.fileName) : copyFile(source, folders.rejected, batch.fileName);
    if (moving) tidyProcessing(folders, source);
    const c = summarize(engine, batch).counts;
    const rel = path.relative(engine.config.workDir, kept);
    const note =
      `${batch.fileName} changed after it was read (read: ${batch.fileBytes} bytes, SHA-256 ${batch.fileSha256.slice(0, 16)}…; now: ${now.bytes} bytes): ` +
      `${c.succeeded} of the ${batch.rowCount} row(s) read were paid (failed ${c.failed}, needs_review ${c.needs_review}, pending ${c.pending}); ` +
      `whatever was written after the read was not paid. Kept in ${rel}, not archived: check it and send the rest as a new sheet`;
    await writeErrorsCsv(errorsFileBeside(kept), [fileProblem(batch.fileName, 'changed-after-read', note, now.sha256)]);
    journal.addBatchNote(batch.id, FILE_CHANGED, note);
    journal.updateBatch(batch.id, { archivedPath: kept }, { type: 'batch-sheet-rejected', detail: { path: kept, reason: 'the file changed after it was read', read: { sha256: batch.fileSha256, bytes: batch.fileBytes }, now } });
    log.error('sheet changed after it was read: kept in rejected/, not archived', { batchId: batch.id, file: batch.fileName, paid: c.succeeded, rows: batch.rowCount, now });
    return;
  }
  // archive/YYYY-MM-DD is the day of the configured timezone (DESIGN §12), the day finance knows the batch by.
  const dated = archiveDir(folders, DateTime.now().setZone(engine.config.timezone));
  const target = moving ? moveFile(source, dated, batch.fileName) : copyFile(source, dated, batch.fileName);
  if (moving) tidyProcessing(folders, source);
  journal.updateBatch(batch.id, { archivedPath: target }, { type: 'batch-archived', detail: { path: target } });
}
