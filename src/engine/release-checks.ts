// The checks between the journal and the release of a batch, in the order processFile makes them: a sheet
// that changed while it was read, or lacks the references it needs, is refused; rows the provider would
// refuse become invalid; invalid rows may reject the file; approval, limits, lookalike payments and the balance
// hold it.
import { DateTime } from 'luxon';
import type { BatchRecord } from '../journal/store.ts';
import { changedSince, describeIdentity, type ReadIdentity } from '../intake/identity.ts';
import type { HeaderMatch } from '../sheet/headers.ts';
import { formatMinor } from '../validate/currencies.ts';
import { parseMoney } from '../validate/money.ts';
import { fileProblem, type RowProblem } from '../validate/problem.ts';
import { columnTitle } from '../validate/rows.ts';
import type { Engine } from './engine.ts';
import { toRequest } from './request.ts';
import type { ProviderRuntime } from './runtime.ts';
import { CHANGED_WHILE_READ } from './summary.ts';

/** Rows are sent to the provider's preflight this many at a time. */
const CHUNK = 5000;

/** What the checks of one journaled batch share. */
export interface ReleaseCheck {
  engine: Engine;
  batchId: string;
  providerId: string;
  /** The name the sheet arrived with. */
  name: string;
  header: readonly string[];
  match: HeaderMatch;
  /** A live provider (not the sandbox) pays real money. */
  live: boolean;
  /** The sheet must carry its own references (`"references": "required"`). */
  referencesRequired: boolean;
  /** Valid rows' totals per currency (minor units): a row found invalid here is taken off. */
  totals: Map<string, bigint>;
}

/**
 * When the file's bytes are no longer those read: the batch is refused before any payout (DESIGN §8: a
 * file that changed while it was read cannot be a batch) and a note says why. Answers true when refused.
 */
export async function refuseIfChanged(engine: Engine, batchId: string, filePath: string, read: ReadIdentity): Promise<boolean> {
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

/** A sheet of rows without a reference column, when references are required, is refused. Answers true when refused. */
export function refuseWithoutReferenceColumn(check: ReleaseCheck, rowCount: number): boolean {
  const { engine, batchId, providerId, name, live } = check;
  if (!(check.referencesRequired && rowCount > 0 && !check.match.columns.has('reference'))) return false;
  const { journal, log } = engine;
  const message =
    `the sheet has no reference column, and references are required for ${live ? 'the live provider' : 'provider'} ${providerId} ` +
    `("references": "required"): without one, a corrected sheet dropped again gets new references and pays its rows a second time; ` +
    `add a "reference" column with one unique reference per payout, or set "references": "derived" in the configuration`;
  journal.insertRows(batchId, providerId, [], [fileProblem(name, 'reference-required', message, '', 'reference')]);
  journal.updateBatch(batchId, { state: 'rejected' }, { type: 'batch-rejected', detail: { reason: message } });
  log.warn('batch rejected: no reference column', { batchId, provider: providerId });
  return true;
}

/** When references are required, a valid row with an empty reference becomes invalid. Answers how many did. */
export function invalidateMissingReferences(check: ReleaseCheck): number {
  const { engine: { journal }, batchId, providerId, name, match, totals } = check;
  const referenceIndex = match.columns.get('reference');
  const missingReference = check.referencesRequired && referenceIndex !== undefined ? journal.validRowsWithEmptyCell(batchId, referenceIndex) : [];
  let invalid = 0;
  if (missingReference.length) {
    const column = columnTitle(check.header, match, 'reference');
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
  return invalid;
}

/**
 * Checks that need the provider before anything is sent (Starpay's bank list): a row it would refuse
 * becomes invalid. Asked only while `valid` rows remain. Answers how many became invalid.
 */
export async function invalidateByPreflight(check: ReleaseCheck, runtime: ProviderRuntime, valid: number): Promise<number> {
  const { engine: { journal }, batchId, providerId, name, header, match, totals } = check;
  let invalid = 0;
  if (runtime.adapter.preflight && valid > 0) {
    const candidates = journal.payoutsOf(batchId, ['validated']);
    for (let offset = 0; offset < candidates.length; offset += CHUNK) {
      const page = candidates.slice(offset, offset + CHUNK);
      const issues = await runtime.adapter.preflight(page.map(toRequest));
      for (const p of page) {
        const found = issues.get(p.id);
        if (!found?.length) continue;
        invalid++;
        const records = found.map((i): RowProblem => ({ file: name, row: p.rowNumber, column: columnTitle(header, match, i.column), value: i.value, rule: i.rule, message: i.message }));
        journal.insertRows(batchId, providerId, [], records);
        journal.transition(p.id, 'invalid', { errorMessage: records.map((r) => `${r.column}: ${r.message}`).join('; ') }, { type: 'preflight-invalid' });
        if (p.amountMinor !== null && p.currency) totals.set(p.currency, (totals.get(p.currency) ?? 0n) - p.amountMinor);
      }
    }
  }
  return invalid;
}

/** Invalid rows under `onInvalidRows: reject-file`, or a problem with the file itself, reject the batch. Answers true when rejected. */
export function refuseForInvalidRows(check: ReleaseCheck, invalid: number, fileErrors: readonly RowProblem[]): boolean {
  const { journal, config, log } = check.engine;
  const { batchId } = check;
  // A header-only sheet never gets here: ingest refuses it as a file that cannot be a batch (exit 2).
  if (!((invalid > 0 && config.onInvalidRows === 'reject-file') || fileErrors.length > 0)) return false;
  const reason = `${invalid} invalid row(s): the whole file is rejected (onInvalidRows: reject-file); nothing was sent`;
  journal.updateBatch(batchId, { state: 'rejected' }, { type: 'batch-rejected', detail: { reason } });
  log.warn('batch rejected', { batchId, reason });
  return true;
}

/**
 * Approval, limits and the balance pre-check hold the batch until `paybatch approve` (DESIGN §5, §12): answers
 * the hold reasons (none: it may go), and records the balances before on the batch.
 */
export async function holdReasons(check: ReleaseCheck, runtime: ProviderRuntime, valid: number, overRowLimit: readonly number[]): Promise<string[]> {
  const { engine, batchId, providerId, live, match, totals } = check;
  const { journal, config, log } = engine;
  const holds: string[] = [];
  // A batch with nothing to send releases nothing: there is nothing to approve.
  if (config.approval.required === 'always' && valid > 0) holds.push('approval is required for every batch (approval.required: "always")');
  if (config.limits.maxRows !== undefined && valid > config.limits.maxRows) holds.push(`${valid} rows exceed limits.maxRows ${config.limits.maxRows}`);
  if (overRowLimit.length) holds.push(`row(s) ${overRowLimit.join(', ')} exceed limits.maxRowAmount`);
  for (const [cur, total] of totals) {
    const text = config.limits.maxFileTotal[cur];
    const limit = text ? parseMoney(text, cur) : undefined;
    if (limit?.ok && total > limit.minor) holds.push(`${cur} total ${fmt(total, cur)} exceeds limits.maxFileTotal ${text}`);
  }
  if (valid > 0) holds.push(...dailyLimitReasons(check));
  // The same account paid the same amount lately (a corrected sheet under new references): a person decides.
  // Recorded for every batch of a live provider, so later batches find it whatever the window is now.
  if (live && valid > 0 && journal.recordFingerprints(batchId, identifierColumns(engine, batchId, match)) > 0 && config.duplicateWindowDays > 0) {
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
  return holds;
}

/**
 * limits.maxDailyTotal: what this provider's batches released today (the calendar day of `timezone`) and this
 * batch's total together may not exceed the currency's limit.
 */
function dailyLimitReasons(check: ReleaseCheck): string[] {
  const { engine: { journal, config }, providerId, totals } = check;
  const limited = [...totals].filter(([cur, total]) => total > 0n && config.limits.maxDailyTotal[cur] !== undefined);
  if (!limited.length) return [];
  const day = DateTime.now().setZone(config.timezone).startOf('day');
  const released = new Map(
    journal.releasedTotals(providerId, day.toJSDate().toISOString(), day.plus({ days: 1 }).toJSDate().toISOString()).map((t) => [t.currency, t.amountMinor]),
  );
  const reasons: string[] = [];
  for (const [cur, total] of limited) {
    const text = config.limits.maxDailyTotal[cur]!;
    const limit = parseMoney(text, cur);
    const soFar = released.get(cur) ?? 0n;
    if (limit.ok && soFar + total > limit.minor)
      reasons.push(
        `${cur} released today (${day.toFormat('yyyy-MM-dd')} ${config.timezone}) for ${providerId}: ${fmt(soFar, cur)} so far, ` +
          `with this batch's ${fmt(total, cur)} it would exceed limits.maxDailyTotal ${text}`,
      );
  }
  return reasons;
}

/** Columns that say who is paid, besides the account and card numbers the batch masks. */
const PAYEE_COLUMNS = ['payee_id', 'customer_no', 'account_token'];

/** The sheet columns that identify the payee: what "the same account" means for the duplicate window. */
function identifierColumns(engine: Engine, batchId: string, match: HeaderMatch): number[] {
  // The account and card columns ingest found (accountColumnIndices with the provider's declared ones).
  const out = new Set(engine.journal.getBatch(batchId)!.maskColumns);
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

function fmt(minor: bigint, currency: string): string {
  return `${formatMinor(minor, currency)} ${currency}`;
}
