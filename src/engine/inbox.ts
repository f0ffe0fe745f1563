// What run-once and watch share: resume unfinished batches from the journal first, then take new sheets
// from the inbox (inbox/<provider>/ chooses the provider).
import fs from 'node:fs';
import path from 'node:path';
import type { BatchState } from '../journal/store.ts';
import { claimFile, listInbox } from '../intake/claim.ts';
import { isInside, listProcessing, moveFile, providerOfInbox, providerOfProcessing, tidyProcessing, workFolders } from '../intake/folders.ts';
import { ConfigError, resolveProvider } from '../config/load.ts';
import { getProvider } from '../providers/registry.ts';
import { archiveSheet, processFile, quarantine, resumeBatch, summarize, type BatchSummary, type Engine } from './batch.ts';
import { rewriteMissingReports } from './reporting.ts';
import { sha256File } from '../intake/identity.ts';

/**
 * After an unexpected failure: a sheet that became a batch stays where the batch can resume it (a later
 * run-once picks it up); one that did not is moved to rejected/ with a note. A configuration error puts the
 * sheet back in `from`, the folder it was taken from (`inbox/<provider>/`), records why for `status`, and is thrown.
 */
export async function quarantineUnlessJournaled(engine: Engine, file: string, name: string, err: unknown, from: string): Promise<BatchSummary> {
  if (err instanceof ConfigError) {
    // The sheet is fine; the configuration is not. Nothing was sent: forget the batch it began, and put the
    // sheet back in its own provider folder — never the top-level inbox, whose provider is the default one.
    if (fs.existsSync(file)) {
      const known = engine.journal.findBatchBySha((await sha256File(file)).sha256);
      if (known?.state === 'received') engine.journal.discardUnsentBatch(known.id);
      const folders = workFolders(engine.config.workDir);
      const back = moveFile(file, from, name);
      tidyProcessing(folders, file);
      waitForConfiguration(engine, back, known?.provider ?? providerOfInbox(folders, back) ?? engine.config.provider, err);
    }
    throw err;
  }
  const known = fs.existsSync(file) ? engine.journal.findBatchBySha((await sha256File(file)).sha256) : undefined;
  if (known) {
    engine.log.error('batch interrupted by an error; it will be resumed', { batchId: known.id, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  return quarantine(engine, file, name, err);
}

/** Records (for `status` and the log) that a sheet waits in the inbox for its provider's configuration. */
function waitForConfiguration(engine: Engine, sheet: string, provider: string, err: ConfigError): void {
  const rel = path.relative(engine.config.workDir, sheet);
  engine.journal.recordIntakeWait(rel, provider, err.message);
  engine.log.error('sheet left in the inbox: its provider configuration failed to load; it is taken once that is fixed', { file: rel, provider, error: err.message });
}

const UNFINISHED: BatchState[] = ['submitting', 'polling', 'stopped'];

export function unfinishedBatches(engine: Engine): string[] {
  return engine.journal
    .listBatches()
    // A held batch is followed too when payouts sent before its hold are still open (polled, nothing sent).
    .filter((b) => UNFINISHED.includes(b.state) || b.state === 'received' || (b.state === 'held' && engine.runner.sentOpenCount(b.id) > 0))
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
      // Read the sheet again from the start rather than pay a partial batch — unless a live process of a shared
      // journal is reading it right now.
      if (!engine.journal.discardUnsentBatch(id)) continue;
      if (batch.sourcePath && fs.existsSync(batch.sourcePath)) {
        const inProcessing = isInside(workFolders(engine.config.workDir).processing, batch.sourcePath);
        // Read again, it keeps the releaser it was read with (`run --by`, the file's owner).
        out.push(await processFile(engine, batch.sourcePath, { origin: inProcessing ? 'inbox' : 'run', name: batch.fileName, provider: batch.provider, releasedBy: batch.releasedBy ?? undefined, ...options }));
      }
      continue;
    }
    out.push(await resumeBatch(engine, id, options));
  }
  // Completed batches whose reports could not be written (a full disk, a missing folder) are written now.
  for (const id of await rewriteMissingReports(engine)) out.push(summarize(engine, engine.journal.getBatch(id)!));
  return out;
}

/**
 * Sheets in processing/ that no batch owns: a process was killed after it claimed them and before their
 * batch existed. They go back through intake with the provider of the folder they came from; their
 * identity (SHA-256) decides, so a sheet whose batch exists under another path is not paid twice.
 * Sheets whose batch ended without them leaving processing/ (a kill just before archiving) leave now.
 */
export async function recoverStranded(engine: Engine, options: { until?: number; noWait?: boolean }): Promise<BatchSummary[]> {
  const folders = workFolders(engine.config.workDir);
  const out: BatchSummary[] = [];
  for (const file of listProcessing(folders)) {
    let owner = engine.journal.batchBySourcePath(file);
    // Shared journal: the same path on another machine names another sheet; the bytes decide.
    if (owner && engine.journal.claims && (await sha256File(file)).sha256 !== owner.fileSha256) owner = undefined;
    if (owner) {
      if ((owner.state === 'completed' || owner.state === 'cancelled') && !owner.archivedPath) await archiveSheet(engine, owner);
      continue; // unfinished batches are resumed from the journal; held ones wait for approval
    }
    const provider = providerOfProcessing(folders, file);
    const name = path.basename(file);
    engine.log.warn('sheet found in processing/ without a batch (a run was interrupted): taking it again', { file: path.relative(folders.root, file), provider: provider ?? engine.config.provider });
    try {
      out.push(await processFile(engine, file, { origin: 'inbox', name, provider, until: options.until, noWait: options.noWait }));
    } catch (err) {
      out.push(await quarantineUnlessJournaled(engine, file, name, err, provider ? path.join(folders.inbox, provider) : folders.inbox));
    }
  }
  return out;
}

/**
 * Shared journal: a batch this work folder's sheet belongs to may be finished by another process; the sheet
 * leaves processing/ here (only the process that holds a sheet can move it).
 */
export async function archiveFinished(engine: Engine): Promise<void> {
  for (const file of listProcessing(workFolders(engine.config.workDir))) {
    const owner = engine.journal.batchBySourcePath(file);
    if (owner && FINAL_STATES.includes(owner.state) && !owner.archivedPath) await archiveSheet(engine, owner);
  }
}

const FINAL_STATES: BatchState[] = ['completed', 'cancelled'];

/**
 * Takes one inbox file: claims it once it is completely written (undefined while it is not), then processes
 * it. A sheet that fails is never stranded in processing/: it is kept in rejected/ with a note, or left for its
 * batch to be resumed. A configuration error leaves it in its folder (or puts it back there) and is thrown.
 */
export async function takeInboxFile(
  engine: Engine,
  file: string,
  options: { until?: number; noWait?: boolean; stableSeconds?: number; submit?: boolean },
): Promise<BatchSummary | undefined> {
  const folders = workFolders(engine.config.workDir);
  const folderProvider = providerOfInbox(folders, file);
  const provider = folderProvider ?? engine.config.provider;
  // A provider block that does not load leaves the sheet where it is, untouched (a folder naming no provider
  // is rejected by processFile instead).
  if (getProvider(provider)) {
    try {
      resolveProvider(engine.config, provider);
    } catch (err) {
      if (err instanceof ConfigError && fs.existsSync(file)) waitForConfiguration(engine, file, provider, err);
      throw err;
    }
  }
  const claimed = await claimFile(folders, file, options.stableSeconds ?? engine.config.intake.stableSeconds, engine.config.intake.requireDoneFile);
  if (!claimed) return undefined;
  engine.journal.clearIntakeWait(path.relative(folders.root, file));
  engine.log.info('file claimed', { file: claimed.name, provider: claimed.provider ?? engine.config.provider });
  try {
    return await processFile(engine, claimed.path, { origin: 'inbox', name: claimed.name, provider: claimed.provider, releasedBy: claimed.owner, until: options.until, noWait: options.noWait, submit: options.submit });
  } catch (err) {
    return quarantineUnlessJournaled(engine, claimed.path, claimed.name, err, path.dirname(file));
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
