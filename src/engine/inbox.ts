// What run-once and watch share: resume unfinished batches from the journal first, then take new sheets
// from the inbox (inbox/<provider>/ chooses the provider).
import fs from 'node:fs';
import type { BatchState } from '../journal/store.ts';
import { claimFile, listInbox } from '../intake/claim.ts';
import { isInside, moveFile, workFolders } from '../intake/folders.ts';
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
        const inProcessing = isInside(workFolders(engine.config.workDir).processing, batch.sourcePath);
        out.push(await processFile(engine, batch.sourcePath, { origin: inProcessing ? 'inbox' : 'run', name: batch.fileName, provider: batch.provider, ...options }));
      }
      continue;
    }
    out.push(await resumeBatch(engine, id, options));
  }
  return out;
}

/**
 * Takes one inbox file: claims it once it is completely written (undefined while it is not), then processes
 * it. A sheet that fails is never stranded in processing/: it is kept in rejected/ with a note, or left for its
 * batch to be resumed (a configuration error puts it back in the inbox and is thrown).
 */
export async function takeInboxFile(
  engine: Engine,
  file: string,
  options: { until?: number; noWait?: boolean; stableSeconds?: number },
): Promise<BatchSummary | undefined> {
  const folders = workFolders(engine.config.workDir);
  const claimed = await claimFile(folders, file, options.stableSeconds ?? engine.config.intake.stableSeconds, engine.config.intake.requireDoneFile);
  if (!claimed) return undefined;
  engine.log.info('file claimed', { file: claimed.name, provider: claimed.provider ?? engine.config.provider });
  try {
    return await processFile(engine, claimed.path, { origin: 'inbox', name: claimed.name, provider: claimed.provider, until: options.until, noWait: options.noWait });
  } catch (err) {
    return quarantineUnlessJournaled(engine, claimed.path, claimed.name, err);
  }
}

export async function processInbox(engine: Engine, options: { until?: number; noWait?: boolean }): Promise<BatchSummary[]> {
  const out: BatchSummary[] = [];
  for (const file of listInbox(workFolders(engine.config.workDir))) {
    const summary = await takeInboxFile(engine, file, options);
    if (summary) out.push(summary);
  }
  return out;
}
