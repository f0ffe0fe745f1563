// What run-once and watch share: resume unfinished batches from the journal first, then take new sheets
// from the inbox (inbox/<provider>/ chooses the provider).
import fs from 'node:fs';
import type { BatchState } from '../journal/store.ts';
import { claimFile, listInbox } from '../intake/claim.ts';
import { moveFile, workFolders } from '../intake/folders.ts';
import { ConfigError } from '../config/secrets.ts';
import { processFile, quarantine, resumeBatch, type BatchSummary, type Engine } from './batch.ts';
import { sha256File } from '../intake/identity.ts';

/**
 * After an unexpected failure: a sheet that became a batch stays where the batch can resume it (a later
 * run-once picks it up); one that did not is moved to rejected/ with a note.
 */
export async function quarantineUnlessJournaled(engine: Engine, file: string, name: string, err: unknown): Promise<BatchSummary> {
  if (err instanceof ConfigError) {
    // The sheet is fine; the configuration is not. Put it back to be taken once that is fixed.
    if (fs.existsSync(file)) moveFile(file, workFolders(engine.config.workDir).inbox, name);
    throw err;
  }
  const known = fs.existsSync(file) ? engine.journal.findBatchBySha((await sha256File(file)).sha256) : undefined;
  if (known) {
    engine.log.error('batch interrupted by an error; it will be resumed', { batchId: known.id, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  return quarantine(engine, file, name, err);
}

const UNFINISHED: BatchState[] = ['submitting', 'polling', 'stopped'];

export function unfinishedBatches(engine: Engine): string[] {
  return engine.journal
    .listBatches()
    .filter((b) => UNFINISHED.includes(b.state) || b.state === 'received')
    .map((b) => b.id);
}

export async function resumeUnfinished(
  engine: Engine,
  options: { until?: number; noWait?: boolean; retryStoppedAfterMs?: number },
): Promise<BatchSummary[]> {
  const out: BatchSummary[] = [];
  for (const id of unfinishedBatches(engine)) {
    const batch = engine.journal.getBatch(id)!;
    // A stopped batch (configuration refused, provider unreachable) is retried, but a daemon not every tick.
    if (batch.state === 'stopped' && options.retryStoppedAfterMs && Date.now() - Date.parse(batch.updatedAt) < options.retryStoppedAfterMs) continue;
    if (batch.state === 'received') {
      // Interrupted while reading or checking: maybe only part of it is journaled, and nothing was sent.
      // Read the sheet again from the start rather than pay a partial batch.
      engine.journal.discardUnsentBatch(id);
      if (batch.sourcePath && fs.existsSync(batch.sourcePath)) {
        const inProcessing = batch.sourcePath.startsWith(workFolders(engine.config.workDir).processing);
        out.push(await processFile(engine, batch.sourcePath, { origin: inProcessing ? 'inbox' : 'run', name: batch.fileName, provider: batch.provider, ...options }));
      }
      continue;
    }
    out.push(await resumeBatch(engine, id, options));
  }
  return out;
}

export async function processInbox(engine: Engine, options: { until?: number; noWait?: boolean }): Promise<BatchSummary[]> {
  const folders = workFolders(engine.config.workDir);
  const out: BatchSummary[] = [];
  for (const file of listInbox(folders)) {
    const claimed = await claimFile(folders, file, engine.config.intake.stableSeconds, engine.config.intake.requireDoneFile);
    if (!claimed) continue;
    engine.log.info('file claimed', { file: claimed.name, provider: claimed.provider ?? engine.config.provider });
    try {
      out.push(await processFile(engine, claimed.path, { origin: 'inbox', name: claimed.name, provider: claimed.provider, ...options }));
    } catch (err) {
      // One sheet's failure must not strand it in processing/ nor stop the rest of the inbox.
      out.push(await quarantineUnlessJournaled(engine, claimed.path, claimed.name, err));
    }
  }
  return out;
}
