// One sheet from file to reports: identify → read → validate → journal → decide (reject / hold / go) →
// submit and poll → report → archive. `run`, `run-once` and `watch` all come through here; each stage
// is its own module (ingest, release-checks, runner, reporting, archive), wired here in pipeline order.
import path from 'node:path';
import { resolveProvider } from '../config/load.ts';
import { getProvider, providerIds } from '../providers/registry.ts';
import type { BatchRecord, Journal } from '../journal/store.ts';
import { workFolders } from '../intake/folders.ts';
import { findInArchive, identify } from '../intake/identity.ts';
import { openSheet } from '../sheet/open.ts';
import { SheetError } from '../sheet/types.ts';
import { fileProblem, sheetProblem } from '../validate/problem.ts';
import { archiveSheet } from './archive.ts';
import { CANCEL_COMPLETED, followCancelled, releaserOf } from './controls.ts';
import type { Engine } from './engine.ts';
import { ingestSheet } from './ingest.ts';
import { finishRejected, rejectWholeFile, type SheetOrigin } from './rejection.ts';
import {
  holdReasons, invalidateByPreflight, invalidateMissingReferences, refuseForInvalidRows, refuseIfChanged, refuseWithoutReferenceColumn,
  type ReleaseCheck,
} from './release-checks.ts';
import { reportOptions, reportsDir, writeReportsFor } from './reporting.ts';
import { batchKeyOf } from './request.ts';
import { BatchStopped } from './runner.ts';
import type { ProviderRuntime } from './runtime.ts';
import { summarize, unreadableSummary, type BatchSummary } from './summary.ts';
import { noticeBatch } from '../notify/outbox.ts';

// The names other modules have always taken from here.
export type { Engine } from './engine.ts';
export { exitCodeFor, summarize, unreadableSummary, type BatchSummary } from './summary.ts';
export { quarantine } from './rejection.ts';
export { archiveSheet } from './archive.ts';

export interface FileOptions {
  /** `run` copies the sheet to the archive and leaves the original; the inbox moves it. */
  origin: SheetOrigin;
  /** The name the sheet arrived with (inbox files are already in processing/). */
  name?: string;
  provider?: string;
  noWait?: boolean;
  /** Stop waiting for settlement at this time (epoch ms). */
  until?: number;
  /** Who releases the sheet (four eyes): `run --by` (default the OS user); for the inbox, the file's owner. */
  releasedBy?: string;
  /**
   * false: read, check and journal only; a released batch waits in `submitting` for a watch or run-once to send it
   * (`paybatch console` alone: no submission of its own, DESIGN §13).
   */
  submit?: boolean;
}

/** Sheets from this size on are journaled from a worker thread (about 40,000 rows). */
const BULK_BYTES = 4 * 1024 * 1024;

function newBatchId(journal: Journal, sha256: string): string {
  const key = batchKeyOf(sha256);
  return journal.getBatch(key) ? `${key}${sha256.slice(8, 12)}` : key;
}

export async function processFile(engine: Engine, filePath: string, options: FileOptions): Promise<BatchSummary> {
  const { journal, config, log } = engine;
  const name = options.name ?? path.basename(filePath);
  const read = await identify(filePath);
  const { sha256, bytes } = read;
  let known = journal.findBatchBySha(sha256);
  // Its reading was interrupted before the batch was released: nothing was sent; read it again whole — unless
  // another live process of a shared journal is reading it now (then this copy is that batch).
  if (known?.state === 'received' && journal.discardUnsentBatch(known.id)) known = undefined;
  if (known) return knownFile(engine, known, filePath, name, options);

  // The journal does not know these bytes, but the archive may (a journal started anew): paid before.
  const archived = await findInArchive(workFolders(config.workDir).archive, sha256, bytes);
  if (archived) {
    const where = path.relative(config.workDir, archived);
    const errorsCsv = await rejectWholeFile(engine, filePath, name, options.origin, [
      fileProblem(name, 'already-archived', `same bytes as ${where}, a sheet already paid (the journal does not know it); nothing was paid for this copy`, sha256),
    ]);
    log.warn('file already archived: rejected', { file: name, archived: where, sha256 });
    return { ...unreadableSummary(name, options.provider ?? config.provider, errorsCsv, `${name} has the same bytes as ${where}, already paid: nothing paid`), state: 'duplicate-file', unreadable: undefined };
  }

  const providerId = options.provider ?? config.provider;
  if (!getProvider(providerId)) {
    // inbox/<folder>/ names the provider; a folder that names none must not strand the sheet.
    const errorsCsv = await rejectWholeFile(engine, filePath, name, options.origin, [
      fileProblem(name, 'unknown-provider', `"${providerId}" is not a provider (known: ${providerIds.join(', ')}); put the sheet in inbox/ or inbox/<provider>/`, providerId),
    ]);
    log.error('sheet for an unknown provider rejected', { file: name, provider: providerId });
    return unreadableSummary(name, providerId, errorsCsv, `${name}: no provider "${providerId}"`);
  }
  const resolved = resolveProvider(config, providerId);
  const rules = resolved.module.rowRules(resolved.block);
  // A live provider pays real money: a sheet must carry its own references (issue 10, case 4).
  const live = !resolved.sandbox;
  const referencesRequired = (config.references ?? (live ? 'required' : 'derived')) === 'required';

  let sheet;
  try {
    sheet = await openSheet(filePath, config.sheet);
  } catch (err) {
    if (!(err instanceof SheetError)) throw err;
    const errorsCsv = await rejectWholeFile(engine, filePath, name, options.origin, [sheetProblem(name, err)]);
    log.error('sheet unreadable', { file: name, error: err.message });
    return unreadableSummary(name, providerId, errorsCsv, `${name}: ${err.message}`);
  }

  const batchId = newBatchId(journal, sha256);
  const releaser = releaserOf(journal, sha256, filePath, options.origin, options.releasedBy);
  let batch;
  try {
    batch = journal.createBatch({
      id: batchId, fileName: name, fileSha256: sha256, fileBytes: bytes, provider: providerId, sourcePath: filePath, format: sheet.format,
      releasedBy: releaser.by, releasedOsUser: releaser.osUser,
    });
  } catch (err) {
    // A shared journal: another machine recorded the same bytes a moment earlier. It is that batch.
    const other = journal.findBatchBySha(sha256);
    if (!other) throw err;
    return knownFile(engine, other, filePath, name, options);
  }
  journal.event('batch-file-read', batchId, null, null, null, read);
  log.info('batch received', { batchId, file: name, provider: providerId, format: sheet.format, encoding: sheet.encoding, delimiter: sheet.delimiter });

  const ingest = await ingestSheet(engine, {
    sheet, batchId, providerId, rules, module: resolved.module, batchKey: batchKeyOf(sha256),
    bulk: bytes >= BULK_BYTES,
  });
  if (ingest.failure) return finishRejected(engine, batchId, filePath, name, options.origin, true);
  const { match, totals, overRowLimit, rowCount, duplicates } = ingest;
  let { invalid } = ingest;

  // The bytes read must be the file's bytes: a writer that paused longer than the stability window and
  // then went on would otherwise have its first rows paid and the rest silently dropped.
  if (await refuseIfChanged(engine, batchId, filePath, read)) return finishRejected(engine, batchId, filePath, name, options.origin, true);

  const check: ReleaseCheck = { engine, batchId, providerId, name, header: sheet.header, match, live, referencesRequired, totals };
  if (refuseWithoutReferenceColumn(check, rowCount)) return finishRejected(engine, batchId, filePath, name, options.origin, false);
  invalid += invalidateMissingReferences(check);
  const runtime = await engine.runtimes.get(providerId);
  // A declared capability (StarPago usdRate), journaled with the batch so every rewrite of its reports agrees.
  if (runtime.usdRates) journal.updateBatch(batchId, { usdRates: runtime.usdRates });
  invalid += await invalidateByPreflight(check, runtime, rowCount - invalid - duplicates);
  if (refuseForInvalidRows(check, invalid, ingest.fileErrors)) return finishRejected(engine, batchId, filePath, name, options.origin, false);
  const holds = await holdReasons(check, runtime, rowCount - invalid - duplicates, overRowLimit);

  // Once more, just before anything can be released: the checks above may have taken a while.
  if (await refuseIfChanged(engine, batchId, filePath, read)) return finishRejected(engine, batchId, filePath, name, options.origin, true);
  if (holds.length) {
    const reason = holds.join('; ');
    journal.updateBatch(batchId, { state: 'held', holdReason: reason }, { type: 'batch-held', detail: { reason } });
    log.warn('batch held for approval', { batchId, reason });
    await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
    await noticeBatch(engine, batchId);
    batch = journal.getBatch(batchId)!;
    return summarize(engine, batch, [`run "paybatch approve ${batchId}" to release it`]);
  }
  journal.updateBatch(batchId, { state: 'submitting', releasedAt: new Date().toISOString() });
  if (options.submit === false) {
    await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
    return summarize(engine, journal.getBatch(batchId)!, ['released: a paybatch watch or run-once sends it']);
  }
  return resumeBatch(engine, batchId, { ...options, name });
}

/** Bytes the journal already knows: a copy dropped in the inbox is refused with nothing paid; `run` resumes or reports. */
async function knownFile(engine: Engine, known: BatchRecord, filePath: string, name: string, options: FileOptions): Promise<BatchSummary> {
  const { log } = engine;
  const sha256 = known.fileSha256;
  if (options.origin === 'inbox') {
    // The same bytes under any name are the same batch: never paid twice (DESIGN §4).
    const errorsCsv = await rejectWholeFile(engine, filePath, name, 'inbox', [
      fileProblem(name, 'already-processed', `same bytes as ${known.fileName} (batch ${known.id}); nothing was paid for this copy`, sha256),
    ]);
    log.warn('file already processed: rejected', { file: name, batchId: known.id, sha256 });
    const s = summarize(engine, known, [`${name} has the same bytes as ${known.fileName} (batch ${known.id}): nothing paid`]);
    return { ...s, file: name, state: 'duplicate-file', counts: { ...s.counts, succeeded: 0, failed: 0, reversed: 0, pending: 0, needs_review: 0, invalid: 0, cancelled: 0, duplicate: s.rows }, reports: { ...s.reports, errors_csv: errorsCsv } };
  }
  log.info('file already known: resuming or reporting its batch', { file: name, batchId: known.id });
  return resumeBatch(engine, known.id, options);
}

/**
 * Drives a journaled batch as far as it can go: submits what is ready, polls until every row is final (or
 * `until`), then writes the reports and archives the sheet when nothing is open.
 */
export async function resumeBatch(engine: Engine, batchId: string, options: Partial<FileOptions> = {}): Promise<BatchSummary> {
  const { journal, config, log } = engine;
  let batch = journal.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  // received: still being read (by another process of a shared journal): nothing is sent from a partial batch.
  if (batch.state === 'rejected' || batch.state === 'received') return summarize(engine, batch);
  if (batch.cancelledAt && batch.state !== 'cancelled') {
    // Cancelled (perhaps by another process): rows a hold or an unreachable provider put back are cancelled too.
    await followCancelled(engine, batch);
    batch = journal.getBatch(batchId)!;
  }
  if (batch.state === 'held') return followHeld(engine, batchId, options);
  const runtime = await engine.runtimes.get(batch.provider);
  const notes: string[] = [];
  if (engine.runner.openCount(batchId) > 0) {
    if (batch.state !== 'submitting' && batch.state !== 'polling') journal.updateBatch(batchId, { state: 'submitting', stopReason: null });
    try {
      const done = await engine.runner.drive(batchId, runtime, { until: options.until, noWait: options.noWait, wake: engine.wake });
      if (!done) journal.updateBatch(batchId, { state: 'polling' });
    } catch (err) {
      if (!(err instanceof BatchStopped)) throw err;
      if (err.batchState === 'held') {
        // The provider refused for the merchant's account (e.g. balance): held until `paybatch approve`.
        journal.updateBatch(batchId, { state: 'held', holdReason: err.message }, { type: 'batch-held', detail: { reason: err.message } });
        log.warn('batch held for approval', { batchId, reason: err.message });
        await followSent(engine, batchId, runtime, options);
      } else {
        journal.updateBatch(batchId, { state: 'stopped', stopReason: err.message }, { type: 'batch-stopped', detail: { reason: err.message } });
        log.error('batch stopped', { batchId, reason: err.message });
      }
    }
  }
  batch = journal.getBatch(batchId)!;
  if (engine.runner.openCount(batchId) === 0 && batch.state !== 'completed' && batch.state !== 'cancelled') {
    const balances = batch.balances.slice();
    if (runtime.adapter.balance) {
      for (const b of balances) {
        try {
          const after = await runtime.adapter.balance(b.currency);
          if (after) b.afterMinor = after.availableMinor.toString();
        } catch {
          // the balance after is informative; its absence is shown as empty
        }
      }
    }
    // A batch cancelled while rows were out ends cancelled once the last of them is final.
    const ended = batch.cancelledAt ? 'cancelled' : 'completed';
    // Guarded: a cancel from another process (or another process of a shared journal) may have ended it meanwhile.
    if (journal.updateBatch(batchId, { state: ended, completedAt: new Date().toISOString(), balances }, { type: ended === 'cancelled' ? CANCEL_COMPLETED : 'batch-completed' }, [batch.state]))
      await archiveSheet(engine, journal.getBatch(batchId)!, { ranHere: options.origin === 'run' });
  }
  batch = journal.getBatch(batchId)!;
  const signature = `${batch.state}:${JSON.stringify(journal.counts(batchId))}`;
  if (engine.reported?.get(batchId) !== signature || !batch.reports) {
    const { summary } = await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
    if (summary) notes.push(...summary.invariantLines);
    engine.reported?.set(batchId, signature);
    batch = journal.getBatch(batchId)!;
    log.info('batch progress', { batchId, state: batch.state, counts: journal.counts(batchId), reports: reportsDir(config.workDir, batchId) });
  }
  await noticeBatch(engine, batchId);
  return summarize(engine, batch, notes);
}

/**
 * A held batch sends nothing until approved; but a hold the provider caused mid-run (Yuansfer 000040) leaves
 * payouts already sent, and those are polled to their final status meanwhile, so their deadline does not
 * run out unwatched and the reports say what they became.
 */
async function followHeld(engine: Engine, batchId: string, options: Partial<FileOptions>): Promise<BatchSummary> {
  const { journal, config } = engine;
  if (engine.runner.sentOpenCount(batchId) > 0) {
    const runtime = await engine.runtimes.get(journal.getBatch(batchId)!.provider);
    await followSent(engine, batchId, runtime, options);
    await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
  }
  await noticeBatch(engine, batchId);
  return summarize(engine, journal.getBatch(batchId)!);
}

/** Polls the rows of a held batch that were already sent, sending nothing. */
async function followSent(engine: Engine, batchId: string, runtime: ProviderRuntime, options: Partial<FileOptions>): Promise<void> {
  if (engine.runner.sentOpenCount(batchId) === 0) return;
  try {
    await engine.runner.drive(batchId, runtime, { until: options.until, noWait: options.noWait, wake: engine.wake, pollOnly: true });
  } catch (err) {
    if (!(err instanceof BatchStopped)) throw err;
    engine.log.error('polling the sent rows of a held batch stopped', { batchId, reason: err.message });
  }
}
