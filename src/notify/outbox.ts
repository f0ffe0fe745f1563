// Which notifications apply to a batch now (DESIGN §12), recorded in the journal's outbox before anything is
// sent. `noticeBatch` is called wherever a batch's state or reports change and is idempotent: each event has a
// stable id (enqueueDelivery ignores a known one), so calling it again, from any process, adds only what is new.
// What each message says is fixed here, when the event happens; deliver.ts only sends it.
import { batchDocument } from '../cli/output.ts';
import { providerNotify } from '../config/provider-block.ts';
import type { Engine } from '../engine/engine.ts';
import { reportRow, resultStatusOf } from '../engine/reporting.ts';
import { summarize, type BatchSummary } from '../engine/summary.ts';
import type { Delivery } from '../journal/contract.ts';
import type { BatchRecord, PayoutRecord } from '../journal/store.ts';
import { ReconciliationAccumulator } from '../report/reconciliation.ts';
import { maskAccount } from '../report/safe-cells.ts';
import type { ReconciliationSummary } from '../report/types.ts';
import { currencyExponent, formatMinorWithExponent } from '../validate/currencies.ts';
import { composeEmail, type EmailPayload } from './email.ts';
import type { WebhookPayload } from './webhook.ts';

export type NotifyEvent = 'batch.held' | 'batch.completed' | 'batch.needs_review' | 'batch.reversed' | 'batch.cancelled' | 'batch.rejected';

/** One event of one batch: `id` is stable, the same whichever process notices it, and names it in every channel. */
export interface Occurrence {
  event: NotifyEvent;
  id: string;
}

/** A payout as a message shows it: never a full account number. */
export interface RowView {
  row: number;
  reference: string;
  amount: string;
  currency: string;
  status: string;
  /** Masked as in the reports. */
  account: string;
  error: string;
}

/** What the messages of a batch's events are made of, read from the journal once per notice. */
export interface BatchFacts {
  batch: BatchRecord;
  summary: BatchSummary;
  totals: ReconciliationSummary;
  /** needs_review rows (the first LISTED_ROWS). */
  review: RowView[];
  /** Rows reversed after the batch completed: how many, and the first LISTED_ROWS. */
  lateReversed: number;
  reversed: RowView[];
  /** The last cancel's detail (who, why), when cancelled. */
  cancel: { by?: string; osUser?: string; note?: string | null } | null;
}

/** Rows listed per message (a batch may have thousands in review): the rest are in the attached reports. */
const LISTED_ROWS = 200;

/** Rows reversed after their batch completed (a reversal's completedAt is when it was found). */
function lateReversals(engine: Engine, batch: BatchRecord): PayoutRecord[] {
  if (!batch.completedAt) return [];
  const completed = batch.completedAt;
  return engine.journal.payoutsOf(batch.id, ['reversed'], -1).filter((p) => p.completedAt !== null && p.completedAt > completed);
}

/** The events that apply to the batch now, in the order they are sent. */
function occurrences(engine: Engine, batch: BatchRecord): Occurrence[] {
  const { journal } = engine;
  const out: Occurrence[] = [];
  if (batch.state === 'held') {
    // Each hold is its own event: a batch held again after an approval (the balance ran out) is news again.
    const holds = journal.eventsOf({ batchId: batch.id, type: 'batch-held' }).length;
    out.push({ event: 'batch.held', id: `${batch.id}.held.${Math.max(holds, 1)}` });
  }
  if (journal.counts(batch.id).needs_review > 0) out.push({ event: 'batch.needs_review', id: `${batch.id}.needs_review` });
  if (batch.state === 'completed') {
    out.push({ event: 'batch.completed', id: `${batch.id}.completed` });
    // A reversal after completion (checkReversals) is news each time their number grows; rows reversed before
    // the batch completed are in batch.completed already.
    const late = lateReversals(engine, batch).length;
    if (late > 0) out.push({ event: 'batch.reversed', id: `${batch.id}.reversed.${late}` });
  }
  if (batch.state === 'cancelled') out.push({ event: 'batch.cancelled', id: `${batch.id}.cancelled` });
  if (batch.state === 'rejected') out.push({ event: 'batch.rejected', id: `${batch.id}.rejected` });
  return out;
}

function rowView(p: PayoutRecord, batch: BatchRecord, maskMode: 'last4' | 'none'): RowView {
  const exponent = p.currency ? currencyExponent(p.currency) : undefined;
  const account = batch.maskColumns.map((i) => p.original[i] ?? '').find((v) => v.trim() !== '') ?? '';
  return {
    row: p.rowNumber,
    reference: p.merchantReference ?? '',
    amount: p.amountMinor !== null && exponent !== undefined ? formatMinorWithExponent(p.amountMinor, exponent) : '',
    currency: p.currency ?? '',
    status: resultStatusOf[p.status],
    account: maskAccount(account, maskMode),
    error: p.errorMessage ?? '',
  };
}

/** Counts, totals per status and currency and the invariant lines, as the reconciliation adds them up. */
function totalsOf(engine: Engine, batchId: string): ReconciliationSummary {
  const totals = new ReconciliationAccumulator();
  for (const p of engine.journal.iteratePayouts(batchId)) {
    // The cells are not summed: only the status, currency and amounts count.
    totals.add({ ...reportRow(p), original: [] });
  }
  return totals.finish().summary;
}

function factsOf(engine: Engine, batch: BatchRecord): BatchFacts {
  const { journal, config } = engine;
  const mask = config.reports.maskAccountNumbers;
  const cancels = batch.state === 'cancelled' ? journal.eventsOf({ batchId: batch.id, type: 'batch-cancelled' }) : [];
  const late = lateReversals(engine, batch);
  return {
    batch,
    summary: summarize(engine, batch),
    totals: totalsOf(engine, batch.id),
    review: journal.payoutsOf(batch.id, ['needs_review'], LISTED_ROWS).map((p) => rowView(p, batch, mask)),
    lateReversed: late.length,
    reversed: late.slice(0, LISTED_ROWS).map((p) => rowView(p, batch, mask)),
    cancel: (cancels.at(-1)?.detail as BatchFacts['cancel']) ?? null,
  };
}

/** The recipients of a provider's batches: its block's `notify.to`, else notify.email.to. */
function recipientsOf(engine: Engine, provider: string, fallback: string[]): string[] {
  const own = providerNotify.optional().safeParse(engine.config.providers[provider]?.notify);
  return own.success && own.data ? own.data.to : fallback;
}

function webhookPayload(o: Occurrence, facts: BatchFacts): WebhookPayload {
  const rows = o.event === 'batch.needs_review' ? facts.review : o.event === 'batch.reversed' ? facts.reversed : [];
  return {
    event: o.event,
    batch: batchDocument(facts.summary),
    rows: rows.map((r) => ({ reference: r.reference, amount: r.amount, currency: r.currency, status: r.status })),
  };
}

/**
 * Records every notification that applies to the batch now and was not recorded before, one per configured
 * channel. Never throws: a notification that cannot be recorded is logged, and the payout work goes on.
 */
export async function noticeBatch(engine: Engine, batchId: string): Promise<void> {
  const notify = engine.config.notify;
  if (!notify?.email && !notify?.webhook) return;
  const { journal, log } = engine;
  try {
    const batch = journal.getBatch(batchId);
    if (!batch) return;
    const channels: Delivery['channel'][] = [...(notify.email ? ['email' as const] : []), ...(notify.webhook ? ['webhook' as const] : [])];
    let facts: BatchFacts | undefined;
    for (const o of occurrences(engine, batch)) {
      for (const channel of channels) {
        const id = `${o.id}.${channel}`;
        if (journal.getDelivery(id)) continue;
        facts ??= factsOf(engine, batch);
        const payload: EmailPayload | WebhookPayload =
          channel === 'email' ? composeEmail(engine, o, facts, recipientsOf(engine, batch.provider, notify.email!.to)) : webhookPayload(o, facts);
        if (journal.enqueueDelivery({ id, event: o.event, batchId, channel, payload })) log.info('notification queued', { id, event: o.event, batchId, channel });
      }
    }
  } catch (err) {
    log.error('notification not recorded; the next change of the batch records it', { batchId, error: err instanceof Error ? err.message : String(err) });
  }
}

/** When each engine last looked for changed batches. */
const lastLook = new WeakMap<Engine, number>();

/**
 * Notices the batches changed since this process last looked (the first look goes back notify.retry.giveUpHours),
 * whoever changed them — a cancel from the CLI, a process killed between a batch's change and its notice — so
 * no event depends on one call site being reached. Called between batch work, never alongside it (a batch
 * completed but not yet reported would be mailed its old reports). noticeBatch is idempotent: a second look
 * costs queries, nothing more.
 */
export async function noticeChanged(engine: Engine): Promise<void> {
  const notify = engine.config.notify;
  if (!notify?.email && !notify?.webhook) return;
  const startedAt = Date.now();
  // A second of overlap: a change committed while the last look ran is not missed.
  const since = (lastLook.get(engine) ?? startedAt - notify.retry.giveUpHours * 3600 * 1000) - 1000;
  try {
    for (const batch of engine.journal.listBatches()) if (Date.parse(batch.updatedAt) >= since) await noticeBatch(engine, batch.id);
    lastLook.set(engine, startedAt);
  } catch (err) {
    engine.log.error('looking for batches to notify about failed; looked at again next time', { error: err instanceof Error ? err.message : String(err) });
  }
}
