// One sheet from file to reports: identify → read → validate → journal → decide (reject / hold / go) →
// submit and poll → report → archive. `run`, `run-once` and `watch` all come through here.
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { LoadedConfig } from '../config/load.ts';
import { resolveProvider } from '../config/load.ts';
import { getProvider, providerIds } from '../providers/registry.ts';
import type { BatchRecord, Journal, RowErrorRecord } from '../journal/store.ts';
import type { Logger } from '../log.ts';
import { archiveDir, copyFile, errorsFileBeside, isInside, moveFile, workFolders } from '../intake/folders.ts';
import { sha256File } from '../intake/identity.ts';
import { openSheet } from '../sheet/open.ts';
import { SheetError } from '../sheet/types.ts';
import { writeErrorsCsv } from '../report/index.ts';
import { parseMoney, formatMinorUnits } from '../validate/money.ts';
import { currencyExponent } from '../validate/currencies.ts';
import { BatchRunner, BatchStopped, toRequest } from './runner.ts';
import { ingestSheet } from './ingest.ts';
import { columnTitle } from '../validate/rows.ts';
import { reportsDir, resultStatusOf, writeReportsFor } from './reporting.ts';
import type { Runtimes } from './runtime.ts';

export interface Engine {
  config: LoadedConfig;
  journal: Journal;
  log: Logger;
  runtimes: Runtimes;
  runner: BatchRunner;
  /** Resolves when a callback asks for an early check. */
  wake?: () => Promise<void>;
  /** State and counts each batch's reports were last written with (a daemon rewrites only on change). */
  reported?: Map<string, string>;
}

export interface BatchSummary {
  id: string;
  file: string;
  provider: string;
  state: string;
  rows: number;
  counts: Record<'succeeded' | 'failed' | 'reversed' | 'invalid' | 'duplicate' | 'pending' | 'needs_review', number>;
  reports: { results_csv: string | null; results_xlsx: string | null; reconciliation_csv: string | null; reconciliation_xlsx: string | null; errors_csv: string | null };
  /** Human lines: invariant per currency, hold or stop reasons. */
  notes: string[];
  /** 2 when the file could not be read at all or the configuration was refused. */
  unreadable?: boolean;
}

export interface FileOptions {
  /** `run` copies the sheet to the archive and leaves the original; the inbox moves it. */
  origin: 'run' | 'inbox';
  /** The name the sheet arrived with (inbox files are already in processing/). */
  name?: string;
  provider?: string;
  noWait?: boolean;
  /** Stop waiting for settlement at this time (epoch ms). */
  until?: number;
}

const CHUNK = 5000;
/** Sheets from this size on are journaled from a worker thread (about 40,000 rows). */
const BULK_BYTES = 4 * 1024 * 1024;

export function summarize(engine: Engine, batch: BatchRecord, notes: string[] = []): BatchSummary {
  const raw = engine.journal.counts(batch.id);
  const counts = { succeeded: 0, failed: 0, reversed: 0, invalid: 0, duplicate: 0, pending: 0, needs_review: 0 };
  for (const [status, n] of Object.entries(raw)) {
    // A rejected file sends nothing: its valid rows are not "pending", they are simply not paid.
    if (batch.state === 'rejected' && resultStatusOf[status as keyof typeof raw] === 'pending') continue;
    counts[resultStatusOf[status as keyof typeof raw]] += n;
  }
  const r = batch.reports ?? {};
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
    notes: [...(batch.holdReason && batch.state === 'held' ? [`held: ${batch.holdReason}`] : []), ...(batch.stopReason && batch.state === 'stopped' ? [`stopped: ${batch.stopReason}`] : []), ...notes],
  };
}

/** DESIGN §8 exit codes over several batches: 2 unreadable, else 3 anything open, else 1 anything not paid, else 0. */
export function exitCodeFor(summaries: BatchSummary[]): number {
  if (summaries.some((s) => s.unreadable || s.state === 'stopped')) return 2;
  if (summaries.some((s) => s.counts.pending > 0 || s.counts.needs_review > 0 || s.state === 'held')) return 3;
  if (summaries.some((s) => s.state === 'rejected' || s.state === 'duplicate-file' || s.counts.failed + s.counts.reversed + s.counts.invalid + s.counts.duplicate > 0))
    return 1;
  return 0;
}

function batchKeyOf(sha256: string): string {
  return `${DateTime.utc().toFormat('yyyyMMdd')}-${sha256.slice(0, 8)}`;
}

function newBatchId(journal: Journal, sha256: string): string {
  const key = batchKeyOf(sha256);
  return journal.getBatch(key) ? `${key}${sha256.slice(8, 12)}` : key;
}

async function writeFileLevelErrors(file: string, fileName: string, errors: RowErrorRecord[]): Promise<void> {
  await writeErrorsCsv(
    file,
    errors.map((e) => ({ file: fileName, row: e.rowNumber, column: e.column, value: e.value, rule: e.rule, message: e.message })),
  );
}

/** Whole-file rejection before a batch exists (unreadable, already seen): the sheet goes to rejected/ with a note. */
async function rejectWholeFile(engine: Engine, filePath: string, name: string, origin: FileOptions['origin'], errors: RowErrorRecord[]): Promise<string> {
  const folders = workFolders(engine.config.workDir);
  const kept = origin === 'inbox' ? moveFile(filePath, folders.rejected, name) : copyFile(filePath, folders.rejected, name);
  const errorsCsv = errorsFileBeside(kept);
  await writeFileLevelErrors(errorsCsv, name, errors);
  return errorsCsv;
}

export async function processFile(engine: Engine, filePath: string, options: FileOptions): Promise<BatchSummary> {
  const { journal, config, log } = engine;
  const name = options.name ?? path.basename(filePath);
  const { sha256, bytes } = await sha256File(filePath);
  let known = journal.findBatchBySha(sha256);
  if (known?.state === 'received') {
    // Its reading was interrupted before the batch was released: nothing was sent; read it again whole.
    journal.discardUnsentBatch(known.id);
    known = undefined;
  }
  if (known) {
    if (options.origin === 'inbox') {
      // The same bytes under any name are the same batch: never paid twice (DESIGN §4).
      const errorsCsv = await rejectWholeFile(engine, filePath, name, 'inbox', [
        { rowNumber: null, column: '', value: sha256, rule: 'already-processed', message: `same bytes as ${known.fileName} (batch ${known.id}); nothing was paid for this copy` },
      ]);
      log.warn('file already processed: rejected', { file: name, batchId: known.id, sha256 });
      const s = summarize(engine, known, [`${name} has the same bytes as ${known.fileName} (batch ${known.id}): nothing paid`]);
      return { ...s, file: name, state: 'duplicate-file', counts: { ...s.counts, succeeded: 0, failed: 0, reversed: 0, pending: 0, needs_review: 0, invalid: 0, duplicate: s.rows }, reports: { ...s.reports, errors_csv: errorsCsv } };
    }
    log.info('file already known: resuming or reporting its batch', { file: name, batchId: known.id });
    return resumeBatch(engine, known.id, options);
  }

  const providerId = options.provider ?? config.provider;
  if (!getProvider(providerId)) {
    // inbox/<folder>/ names the provider; a folder that names none must not strand the sheet.
    const errorsCsv = await rejectWholeFile(engine, filePath, name, options.origin, [
      { rowNumber: null, column: '', value: providerId, rule: 'unknown-provider', message: `"${providerId}" is not a provider (known: ${providerIds.join(', ')}); put the sheet in inbox/ or inbox/<provider>/` },
    ]);
    log.error('sheet for an unknown provider rejected', { file: name, provider: providerId });
    return unreadableSummary(name, providerId, errorsCsv, `${name}: no provider "${providerId}"`);
  }
  const resolved = resolveProvider(config, providerId);
  const rules = resolved.module.rowRules(resolved.block as never);

  let sheet;
  try {
    sheet = await openSheet(filePath, config.sheet);
  } catch (err) {
    if (!(err instanceof SheetError)) throw err;
    const errorsCsv = await rejectWholeFile(engine, filePath, name, options.origin, [
      { rowNumber: err.row ?? null, column: err.column ?? '', value: '', rule: 'unreadable', message: err.message },
    ]);
    log.error('sheet unreadable', { file: name, error: err.message });
    return unreadableSummary(name, providerId, errorsCsv, `${name}: ${err.message}`);
  }

  const batchId = newBatchId(journal, sha256);
  let batch = journal.createBatch({ id: batchId, fileName: name, fileSha256: sha256, fileBytes: bytes, provider: providerId, sourcePath: filePath, format: sheet.format });
  log.info('batch received', { batchId, file: name, provider: providerId, format: sheet.format, encoding: sheet.encoding, delimiter: sheet.delimiter });

  const ingest = await ingestSheet(engine, {
    sheet, batchId, providerId, rules, module: resolved.module, batchKey: batchKeyOf(sha256),
    bulk: bytes >= BULK_BYTES,
  });
  if (ingest.failure) return finishRejected(engine, batchId, filePath, name, options, true);
  const { match, totals, overRowLimit, rowCount, duplicates } = ingest;
  let { invalid } = ingest;
  const fileLevel = ingest.fileErrors;

  // Checks that need the provider before anything is sent (Starpay's bank list).
  const runtime = await engine.runtimes.get(providerId);
  if (runtime.adapter.preflight && rowCount - invalid - duplicates > 0) {
    const candidates = journal.payoutsOf(batchId, ['validated']);
    for (let offset = 0; offset < candidates.length; offset += CHUNK) {
      const page = candidates.slice(offset, offset + CHUNK);
      const issues = await runtime.adapter.preflight(page.map(toRequest));
      for (const p of page) {
        const found = issues.get(p.id);
        if (!found?.length) continue;
        invalid++;
        const records = found.map((i) => ({ rowNumber: p.rowNumber, column: columnTitle(sheet.header, match, i.column), value: i.value, rule: i.rule, message: i.message }));
        journal.insertRows(batchId, providerId, [], records);
        journal.transition(p.id, 'invalid', { errorMessage: records.map((r) => `${r.column}: ${r.message}`).join('; ') }, { type: 'preflight-invalid' });
        if (p.amountMinor !== null && p.currency) totals.set(p.currency, (totals.get(p.currency) ?? 0n) - p.amountMinor);
      }
    }
  }

  if ((invalid > 0 && config.onInvalidRows === 'reject-file') || rowCount === 0 || fileLevel.length > 0) {
    const reason = rowCount === 0 ? 'the sheet has no rows' : `${invalid} invalid row(s): the whole file is rejected (onInvalidRows: reject-file); nothing was sent`;
    if (rowCount === 0) journal.insertRows(batchId, providerId, [], [{ rowNumber: null, column: '', value: '', rule: 'empty', message: 'the sheet has a header but no rows' }]);
    journal.updateBatch(batchId, { state: 'rejected' }, { type: 'batch-rejected', detail: { reason } });
    log.warn('batch rejected', { batchId, reason });
    return finishRejected(engine, batchId, filePath, name, options, false);
  }

  // Limits and the balance pre-check hold the batch until `paybatch approve` (DESIGN §5).
  const holds: string[] = [];
  const valid = rowCount - invalid - duplicates;
  if (config.limits.maxRows !== undefined && valid > config.limits.maxRows) holds.push(`${valid} rows exceed limits.maxRows ${config.limits.maxRows}`);
  if (overRowLimit.length) holds.push(`row(s) ${overRowLimit.join(', ')} exceed limits.maxRowAmount`);
  for (const [cur, total] of totals) {
    const text = config.limits.maxFileTotal[cur];
    const limit = text ? parseMoney(text, cur) : undefined;
    if (limit?.ok && total > limit.minor) holds.push(`${cur} total ${fmt(total, cur)} exceeds limits.maxFileTotal ${text}`);
  }
  const balances: BatchRecord['balances'] = [];
  if (runtime.adapter.balance && valid > 0) {
    for (const [cur, total] of totals) {
      try {
        const b = await runtime.adapter.balance(cur);
        if (!b) continue;
        balances.push({ currency: cur, beforeMinor: b.availableMinor.toString(), afterMinor: null });
        if (config.balanceCheck && total > b.availableMinor)
          holds.push(`${cur} total ${fmt(total, cur)} exceeds the available balance ${fmt(b.availableMinor, cur)}`);
      } catch (err) {
        log.warn('balance query failed', { provider: providerId, currency: cur, error: (err as Error).message });
      }
    }
  }
  if (balances.length) journal.updateBatch(batchId, { balances });
  if (holds.length) {
    const reason = holds.join('; ');
    journal.updateBatch(batchId, { state: 'held', holdReason: reason }, { type: 'batch-held', detail: { reason } });
    log.warn('batch held for approval', { batchId, reason });
    await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine, runtime.usdRates));
    batch = journal.getBatch(batchId)!;
    return summarize(engine, batch, [`run "paybatch approve ${batchId}" to release it`]);
  }
  journal.updateBatch(batchId, { state: 'submitting' });
  return resumeBatch(engine, batchId, { ...options, name });
}

/** The summary of a sheet rejected before it became a batch. */
export function unreadableSummary(file: string, provider: string, errorsCsv: string | null, note: string): BatchSummary {
  return {
    id: '', file, provider, state: 'rejected', rows: 0,
    counts: { succeeded: 0, failed: 0, reversed: 0, invalid: 0, duplicate: 0, pending: 0, needs_review: 0 },
    reports: { results_csv: null, results_xlsx: null, reconciliation_csv: null, reconciliation_xlsx: null, errors_csv: errorsCsv },
    notes: [note],
    unreadable: true,
  };
}

/** A sheet whose processing failed unexpectedly is kept in rejected/ with a note, never left in processing/. */
export async function quarantine(engine: Engine, filePath: string, name: string, err: unknown): Promise<BatchSummary> {
  const message = err instanceof Error ? err.message : String(err);
  engine.log.error('sheet processing failed', { file: name, error: message });
  let errorsCsv: string | null = null;
  if (fs.existsSync(filePath))
    errorsCsv = await rejectWholeFile(engine, filePath, name, 'inbox', [{ rowNumber: null, column: '', value: '', rule: 'processing-failed', message }]);
  return unreadableSummary(name, engine.config.provider, errorsCsv, `${name}: ${message}`);
}

function fmt(minor: bigint, currency: string): string {
  return `${formatMinorUnits(minor, currencyExponent(currency) ?? 2)} ${currency}`;
}

function reportOptions(engine: Engine, usdRates?: Record<string, string>) {
  return { maskMode: engine.config.reports.maskAccountNumbers, usdRates };
}

async function finishRejected(engine: Engine, batchId: string, filePath: string, name: string, options: FileOptions, unreadable: boolean): Promise<BatchSummary> {
  const { journal, config } = engine;
  const folders = workFolders(config.workDir);
  const batch = journal.getBatch(batchId)!;
  const kept = options.origin === 'inbox' ? moveFile(filePath, folders.rejected, name) : copyFile(filePath, folders.rejected, name);
  const besideFile = errorsFileBeside(kept);
  const { paths } = await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
  if (paths.errors_csv) fs.copyFileSync(paths.errors_csv, besideFile);
  journal.updateBatch(batchId, { archivedPath: kept, errorsCsv: paths.errors_csv });
  const s = summarize(engine, journal.getBatch(batchId)!);
  return { ...s, unreadable, notes: [...s.notes, `${batch.fileName} rejected: see ${paths.errors_csv ?? besideFile}`] };
}

/**
 * Drives a journaled batch as far as it can go: submits what is ready, polls until every row is final (or
 * `until`), then writes the reports and archives the sheet when nothing is open.
 */
export async function resumeBatch(engine: Engine, batchId: string, options: Partial<FileOptions> = {}): Promise<BatchSummary> {
  const { journal, config, log } = engine;
  let batch = journal.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  if (batch.state === 'rejected' || batch.state === 'held') return summarize(engine, batch);
  const runtime = await engine.runtimes.get(batch.provider);
  const notes: string[] = [];
  if (engine.runner.openCount(batchId) > 0) {
    if (batch.state !== 'submitting' && batch.state !== 'polling') journal.updateBatch(batchId, { state: 'submitting', stopReason: null });
    try {
      const done = await engine.runner.drive(batchId, runtime, { until: options.until, noWait: options.noWait, wake: engine.wake });
      if (!done) journal.updateBatch(batchId, { state: 'polling' });
    } catch (err) {
      if (!(err instanceof BatchStopped)) throw err;
      journal.updateBatch(batchId, { state: 'stopped', stopReason: err.message }, { type: 'batch-stopped', detail: { reason: err.message } });
      log.error('batch stopped', { batchId, reason: err.message });
    }
  }
  batch = journal.getBatch(batchId)!;
  if (engine.runner.openCount(batchId) === 0 && batch.state !== 'completed') {
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
    journal.updateBatch(batchId, { state: 'completed', completedAt: new Date().toISOString(), balances }, { type: 'batch-completed' });
    archiveSheet(engine, journal.getBatch(batchId)!);
  }
  batch = journal.getBatch(batchId)!;
  const signature = `${batch.state}:${JSON.stringify(journal.counts(batchId))}`;
  if (engine.reported?.get(batchId) !== signature || !batch.reports) {
    const { summary } = await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine, runtime.usdRates));
    if (summary) notes.push(...summary.invariantLines);
    engine.reported?.set(batchId, signature);
    batch = journal.getBatch(batchId)!;
    log.info('batch progress', { batchId, state: batch.state, counts: journal.counts(batchId), reports: reportsDir(config.workDir, batchId) });
  }
  return summarize(engine, batch, notes);
}

function archiveSheet(engine: Engine, batch: BatchRecord): void {
  const folders = workFolders(engine.config.workDir);
  const source = batch.sourcePath;
  if (!source || !fs.existsSync(source) || batch.archivedPath) return;
  const target = isInside(folders.processing, source) ? moveFile(source, archiveDir(folders), batch.fileName) : copyFile(source, archiveDir(folders), batch.fileName);
  engine.journal.updateBatch(batch.id, { archivedPath: target }, { type: 'batch-archived', detail: { path: target } });
}
