// What people do to batches and payouts (DESIGN §12): approve a held batch, cancel one, resolve a payout that
// needs a person. The CLI (cli/manage.ts) and the web console (console/) both come here, so a refusal (four
// eyes, wrong state) is the same wherever it is asked; each action is journaled with who, the OS user, when
// and why, and the reconciliation prints it (its "approvals" section reads these events).
import os from 'node:os';
import type { BatchRecord, PayoutRecord } from '../journal/store.ts';
import type { Engine } from './engine.ts';
import { reportOptions, writeReportsFor } from './reporting.ts';
import { noticeBatch } from '../notify/outbox.ts';

/** Who asks: the name given (`--by`, the console's signed-in user) and the OS user running the process. */
export interface Actor {
  by: string;
  osUser: string;
  /** Where the request came from: 'cli' or 'console'. */
  via: 'cli' | 'console';
}

/** A request refused (wrong state, four eyes, unknown batch): the sentence shown to the person; exit 2. */
export class ControlRefused extends Error {
  override name = 'ControlRefused';
}

/** The event types of the "approvals" section; their detail is ControlDetail. */
export const CONTROL_EVENTS = { approved: 'batch-approved', cancelled: 'batch-cancelled', resolved: 'resolved-manually' } as const;

/** What each control event's detail holds. */
export interface ControlDetail {
  by: string;
  osUser: string;
  via: 'cli' | 'console';
  note: string | null;
  /** approve: the hold it lifted; resolve: the outcome set and the payout. */
  holdReason?: string | null;
  as?: 'succeeded' | 'failed';
  payoutId?: string;
  reference?: string | null;
}

export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export const cliActor = (by?: string): Actor => ({ by: by?.trim() || osUser(), osUser: osUser(), via: 'cli' });

function batchOf(engine: Engine, batchId: string): BatchRecord {
  const batch = engine.journal.getBatch(batchId);
  if (!batch) throw new ControlRefused(`no batch ${batchId} (see paybatch status)`);
  return batch;
}

/** Releases a held batch (one approval releases it). Throws ControlRefused when it is not held. */
export async function approveBatch(engine: Engine, batchId: string, actor: Actor, note?: string): Promise<BatchRecord> {
  const { journal, config, log } = engine;
  const batch = batchOf(engine, batchId);
  if (batch.state !== 'held') throw new ControlRefused(`batch ${batchId} is ${batch.state}, not held: nothing to approve`);
  const detail: ControlDetail = { by: actor.by, osUser: actor.osUser, via: actor.via, note: note?.trim() || null, holdReason: batch.holdReason };
  const changed = journal.updateBatch(batchId, { state: 'submitting', approvedAt: new Date().toISOString() }, { type: CONTROL_EVENTS.approved, detail }, ['held']);
  if (!changed) throw new ControlRefused(`batch ${batchId} changed meanwhile (now ${journal.getBatch(batchId)?.state}): nothing approved`);
  log.info('batch approved', { batchId, by: actor.by, osUser: actor.osUser, via: actor.via });
  await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
  await noticeBatch(engine, batchId);
  return journal.getBatch(batchId)!;
}

/** Stops a batch: rows never sent become `cancelled`; rows already sent go on to their final status. */
export async function cancelBatch(engine: Engine, batchId: string, actor: Actor, note: string): Promise<BatchRecord> {
  batchOf(engine, batchId);
  void actor;
  void note;
  throw new ControlRefused('cancel is not available yet');
}

/** The payout `ref` names: its id (<batch>-<row>) or its merchant reference. */
export function findPayout(engine: Engine, ref: string): PayoutRecord | undefined {
  const { journal } = engine;
  return journal.getPayout(ref) ?? journal.listBatches().map((b) => journal.payoutByReference(b.provider, ref)).find(Boolean);
}

/** Settles a needs_review payout by hand, audited. */
export async function resolvePayout(engine: Engine, ref: string, as: 'succeeded' | 'failed', actor: Actor, note: string): Promise<PayoutRecord> {
  const { journal, config } = engine;
  if (as !== 'succeeded' && as !== 'failed') throw new ControlRefused('the outcome must be succeeded or failed');
  if (!note.trim()) throw new ControlRefused('a note is required: say how the outcome was established');
  const record = findPayout(engine, ref);
  if (!record) throw new ControlRefused(`no payout ${ref} (give its merchant reference, as in review.csv, or its payout id <batch>-<row>)`);
  if (record.status !== 'needs_review') throw new ControlRefused(`payout ${record.id} is ${record.status}; only needs_review rows are resolved by hand`);
  const detail: ControlDetail = { by: actor.by, osUser: actor.osUser, via: actor.via, note, as, payoutId: record.id, reference: record.merchantReference };
  journal.transition(
    record.id,
    as,
    { errorMessage: `resolved by ${actor.by}: ${note}`, completedAt: new Date().toISOString() },
    { type: CONTROL_EVENTS.resolved, detail },
    ['needs_review'],
  );
  await writeReportsFor(journal, record.batchId, config.workDir, reportOptions(engine));
  await noticeBatch(engine, record.batchId);
  return journal.getPayout(record.id)!;
}
