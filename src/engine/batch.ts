// One sheet from file to reports: identify → read → validate → journal → decide (reject / hold / go) →
// submit and poll → report → archive. `run`, `run-once` and `watch` all come through here.
import fs from 'node:fs';
import path from 'node:path';
import { resolveProvider } from '../config/load.ts';
import { getProvider, providerIds } from '../providers/registry.ts';
import type { BatchRecord, Journal } from '../journal/store.ts';
import { archiveDir, copyFile, errorsFileBeside, isInside, moveFile, tidyProcessing, workFolders } from '../intake/folders.ts';
import { changedSince, describeIdentity, findInArchive, identify, type ReadIdentity } from '../intake/identity.ts';
import { openSheet } from '../sheet/open.ts';
import { SheetError } from '../sheet/types.ts';
import { writeErrorsCsv } from '../report/index.ts';
import { parseMoney } from '../validate/money.ts';
import { formatMinor } from '../validate/currencies.ts';
import { BatchStopped } from './runner.ts';
import type { Engine } from './engine.ts';
import { batchKeyOf, toRequest } from './request.ts';
import { ingestSheet } from './ingest.ts';
import { accountColumnIndices, columnTitle } from '../validate/rows.ts';
import { fileProblem, sheetProblem, type RowProblem } from '../validate/problem.ts';
import type { HeaderMatch } from '../sheet/headers.ts';
import { reportsDir, reportsProblem, resultStatusOf, writeReportsFor } from './reporting.ts';
import type { ProviderRuntime } from './runtime.ts';

export type { Engine } from './engine.ts';

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
  /** The sheet changed after payouts began: kept in rejected/, not archived (exit 1). */
  fileChanged?: boolean;
  /** Why the batch's reports are missing or incomplete (`reports_error` in --json); null when written. */
  reportsError?: string | null;
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
  const stored = engine.journal.batchNotes(batch.id);
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
    notes: [
      ...(batch.holdReason && batch.state === 'held' ? [`held: ${batch.holdReason}`] : []),
      ...(batch.stopReason && batch.state === 'stopped' ? [`stopped: ${batch.stopReason}`] : []),
      ...stored.map((n) => n.note),
      ...notes,
    ],
    ...(stored.some((n) => n.kind === FILE_CHANGED) ? { fileChanged: true } : {}),
    reportsError: reportsProblem(batch),
  };
}

/** Batch note kinds. */
const FILE_CHANGED = 'file-changed';
const CHANGED_WHILE_READ = 'changed-while-read';

/** DESIGN §8 exit codes over several batches: 2 unreadable, else 3 anything open, else 1 anything not paid, else 0. */
export function exitCodeFor(summaries: BatchSummary[]): number {
  if (summaries.some((s) => s.unreadable || s.state === 'stopped')) return 2;
  if (summaries.some((s) => s.counts.pending > 0 || s.counts.needs_review > 0 || s.state === 'held')) return 3;
  if (summaries.some((s) => s.state === 'rejected' || s.state === 'duplicate-file' || s.fileChanged || s.counts.failed + s.counts.reversed + s.counts.invalid + s.counts.duplicate > 0))
    return 1;
  return 0;
}

function newBatchId(journal: Journal, sha256: string): string {
  const key = batchKeyOf(sha256);
  return journal.getBatch(key) ? `${key}${sha256.slice(8, 12)}` : key;
}

/** Whole-file rejection before a batch exists (unreadable, already seen): the sheet goes to rejected/ with a note. */
async function rejectWholeFile(engine: Engine, filePath: string, name: string, origin: FileOptions['origin'], problems: RowProblem[]): Promise<string> {
  const folders = workFolders(engine.config.workDir);
  const kept = origin === 'inbox' ? moveFile(filePath, folders.rejected, name) : copyFile(filePath, folders.rejected, name);
  if (origin === 'inbox') tidyProcessing(folders, filePath);
  const errorsCsv = errorsFileBeside(kept);
  await writeErrorsCsv(errorsCsv, problems);
  return errorsCsv;
}

export async function processFile(engine: Engine, filePath: string, options: FileOptions): Promise<BatchSummary> {
  const { journal, config, log } = engine;
  const name = options.name ?? path.basename(filePath);
  const read = await identify(filePath);
  const { sha256, bytes } = read;
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
        fileProblem(name, 'already-processed', `same bytes as ${known.fileName} (batch ${known.id}); nothing was paid for this copy`, sha256),
      ]);
      log.warn('file already processed: rejected', { file: name, batchId: known.id, sha256 });
      const s = summarize(engine, known, [`${name} has the same bytes as ${known.fileName} (batch ${known.id}): nothing paid`]);
      return { ...s, file: name, state: 'duplicate-file', counts: { ...s.counts, succeeded: 0, failed: 0, reversed: 0, pending: 0, needs_review: 0, invalid: 0, duplicate: s.rows }, reports: { ...s.reports, errors_csv: errorsCsv } };
    }
    log.info('file already known: resuming or reporting its batch', { file: name, batchId: known.id });
    return resumeBatch(engine, known.id, options);
  }

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
  const rules = resolved.module.rowRules(resolved.block as never);
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
  let batch = journal.createBatch({ id: batchId, fileName: name, fileSha256: sha256, fileBytes: bytes, provider: providerId, sourcePath: filePath, format: sheet.format });
  journal.event('batch-file-read', batchId, null, null, null, read);
  log.info('batch received', { batchId, file: name, provider: providerId, format: sheet.format, encoding: sheet.encoding, delimiter: sheet.delimiter });

  const ingest = await ingestSheet(engine, {
    sheet, batchId, providerId, rules, module: resolved.module, batchKey: batchKeyOf(sha256),
    bulk: bytes >= BULK_BYTES,
  });
  if (ingest.failure) return finishRejected(engine, batchId, filePath, name, options, true);
  const { match, totals, overRowLimit, rowCount, duplicates } = ingest;
  let { invalid } = ingest;
  const fileLevel = ingest.fileErrors;

  // The bytes read must be the file's bytes: a writer that paused longer than the stability window and
  // then went on would otherwise have its first rows paid and the rest silently dropped.
  if (await refuseIfChanged(engine, batchId, filePath, read)) return finishRejected(engine, batchId, filePath, name, options, true);

  if (referencesRequired && rowCount > 0 && !match.columns.has('reference')) {
    const message =
      `the sheet has no reference column, and references are required for ${live ? 'the live provider' : 'provider'} ${providerId} ` +
      `("references": "required"): without one, a corrected sheet dropped again gets new references and pays its rows a second time; ` +
      `add a "reference" column with one unique reference per payout, or set "references": "derived" in the configuration`;
    journal.insertRows(batchId, providerId, [], [fileProblem(name, 'reference-required', message, '', 'reference')]);
    journal.updateBatch(batchId, { state: 'rejected' }, { type: 'batch-rejected', detail: { reason: message } });
    log.warn('batch rejected: no reference column', { batchId, provider: providerId });
    return finishRejected(engine, batchId, filePath, name, options, false);
  }
  const referenceIndex = match.columns.get('reference');
  const missingReference = referencesRequired && referenceIndex !== undefined ? journal.validRowsWithEmptyCell(batchId, referenceIndex) : [];
  if (missingReference.length) {
    const column = columnTitle(sheet.header, match, 'reference');
    const message = 'a reference is required ("references": "required"): a derived one would differ when a corrected sheet is dropped again';
    journal.atomically(() => {
      journal.insertRows(batchId, providerId, [], missingReference.map((p) => ({ file: name, row: p.rowNumber, column, value: '', rule: 'reference-required', message })));
      for (const p of missingReference) {
        invalid++;
        journal.transition(p.id, 'invalid', { errorMessage: `${column}: ${message}` }, { type: 'reference-missing' });
        if (p.amountMinor !== null && p.currency) totals.set(p.currency, (totals.get(p.currency) ?? 0n) - p.amountMinor);
      }
    });
  }

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
        const records = found.map((i): RowProblem => ({ file: name, row: p.rowNumber, column: columnTitle(sheet.header, match, i.column), value: i.value, rule: i.rule, message: i.message }));
        journal.insertRows(batchId, providerId, [], records);
        journal.transition(p.id, 'invalid', { errorMessage: records.map((r) => `${r.column}: ${r.message}`).join('; ') }, { type: 'preflight-invalid' });
        if (p.amountMinor !== null && p.currency) totals.set(p.currency, (totals.get(p.currency) ?? 0n) - p.amountMinor);
      }
    }
  }

  // A header-only sheet never gets here: ingest refuses it as a file that cannot be a batch (exit 2).
  if ((invalid > 0 && config.onInvalidRows === 'reject-file') || fileLevel.length > 0) {
    const reason = `${invalid} invalid row(s): the whole file is rejected (onInvalidRows: reject-file); nothing was sent`;
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
  // The same account paid the same amount lately (a corrected sheet under new references): a person decides.
  // Recorded for every batch of a live provider, so later batches find it whatever the window is now.
  if (live && valid > 0 && journal.recordFingerprints(batchId, identifierColumns(match)) > 0 && config.duplicateWindowDays > 0) {
    const lookalike = paidLookalikeReason(engine, batchId);
    if (lookalike) holds.push(lookalike);
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
  // Once more, just before anything can be released: the checks above may have taken a while.
  if (await refuseIfChanged(engine, batchId, filePath, read)) return finishRejected(engine, batchId, filePath, name, options, true);
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

/**
 * When the file's bytes are no longer those read: the batch is refused before any payout (DESIGN §8: a
 * file that changed while it was read cannot be a batch) and a note says why. Answers true when refused.
 */
async function refuseIfChanged(engine: Engine, batchId: string, filePath: string, read: ReadIdentity): Promise<boolean> {
  const now = await changedSince(filePath, read);
  if (!now) return false;
  const { journal, log } = engine;
  const batch = journal.getBatch(batchId)!;
  const message =
    `the file changed while it was read (read: ${describeIdentity(read)}; now: ${describeIdentity(now)}): nothing was sent. ` +
    `Let the sender finish writing it (or write it under a .tmp/.part name and rename it when complete), then drop it again`;
  journal.insertRows(batchId, batch.provider, [], [fileProblem(batch.fileName, 'changed-while-read', message, now.sha256)]);
  journal.updateBatch(batchId, { state: 'rejected' }, { type: 'batch-rejected', detail: { reason: 'the file changed while it was read', read, now } });
  journal.addBatchNote(batchId, CHANGED_WHILE_READ, `${batch.fileName}: ${message}`);
  log.error('sheet changed while it was read: batch refused, nothing sent', { batchId, file: batch.fileName, read, now });
  return true;
}

/** Columns that say who is paid, besides the account and card numbers of accountColumnIndices(). */
const PAYEE_COLUMNS = ['payee_id', 'customer_no', 'account_token'];

/** The sheet columns that identify the payee: what "the same account" means for the duplicate window. */
function identifierColumns(match: HeaderMatch): number[] {
  const out = new Set(accountColumnIndices(match));
  for (const name of PAYEE_COLUMNS) {
    const i = match.columns.get(name);
    if (i !== undefined) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** The hold reason when rows pay what another batch sent within duplicateWindowDays, naming the first few. */
function paidLookalikeReason(engine: Engine, batchId: string): string | undefined {
  const days = engine.config.duplicateWindowDays;
  const since = new Date(Date.now() - days * 86_400_000).toISOString();
  const SHOWN = 5;
  const found = engine.journal.paidLookalikes(batchId, since, 1000);
  if (!found.length) return undefined;
  const rows = new Map<number, (typeof found)[number]>();
  for (const f of found) if (!rows.has(f.rowNumber)) rows.set(f.rowNumber, f);
  const listed = [...rows.values()].slice(0, SHOWN).map(
    (f) => `row ${f.rowNumber}${f.reference ? ` (reference ${f.reference})` : ''} pays the same account, amount and currency as reference ${f.earlierReference ?? '(none)'} in batch ${f.earlierBatch} (row ${f.earlierRow}, ${f.earlierStatus})`,
  );
  const more = rows.size > SHOWN ? `; and ${rows.size - SHOWN}${found.length >= 1000 ? '+' : ''} more row(s)` : '';
  return `possible duplicate payment within duplicateWindowDays ${days}: ${listed.join('; ')}${more}`;
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
    errorsCsv = await rejectWholeFile(engine, filePath, name, 'inbox', [fileProblem(name, 'processing-failed', message)]);
  return unreadableSummary(name, engine.config.provider, errorsCsv, `${name}: ${message}`);
}

function fmt(minor: bigint, currency: string): string {
  return `${formatMinor(minor, currency)} ${currency}`;
}

function reportOptions(engine: Engine, usdRates?: Record<string, string>) {
  return { maskMode: engine.config.reports.maskAccountNumbers, usdRates, log: engine.log };
}

async function finishRejected(engine: Engine, batchId: string, filePath: string, name: string, options: FileOptions, unreadable: boolean): Promise<BatchSummary> {
  const { journal, config } = engine;
  const folders = workFolders(config.workDir);
  const batch = journal.getBatch(batchId)!;
  const kept = options.origin === 'inbox' ? moveFile(filePath, folders.rejected, name) : copyFile(filePath, folders.rejected, name);
  if (options.origin === 'inbox') tidyProcessing(folders, filePath);
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
  if (batch.state === 'rejected') return summarize(engine, batch);
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
    await archiveSheet(engine, journal.getBatch(batchId)!);
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
    await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine, runtime.usdRates));
  }
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

/**
 * Moves (inbox) or copies (`run`) the sheet into the archive, unless its bytes are no longer those read: a
 * sheet that changed after payouts began is never archived silently. It goes to rejected/ with a note of
 * what was paid from the bytes read, and the batch exits 1.
 */
export async function archiveSheet(engine: Engine, batch: BatchRecord): Promise<void> {
  const { journal, log } = engine;
  const folders = workFolders(engine.config.workDir);
  const source = batch.sourcePath;
  if (!source || !fs.existsSync(source) || batch.archivedPath) return;
  const moving = isInside(folders.processing, source);
  const now = await changedSince(source, { sha256: batch.fileSha256, bytes: batch.fileBytes, mtimeMs: 0 });
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
  const target = moving ? moveFile(source, archiveDir(folders), batch.fileName) : copyFile(source, archiveDir(folders), batch.fileName);
  if (moving) tidyProcessing(folders, source);
  journal.updateBatch(batch.id, { archivedPath: target }, { type: 'batch-archived', detail: { path: target } });
}
