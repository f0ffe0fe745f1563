// What people do to batches and payouts (DESIGN §12): approve a held batch, cancel one, resolve a payout that
// needs a person. The CLI (cli/manage.ts) and the web console (console/) both come here, so a refusal (four
// eyes, wrong state) is the same wherever it is asked; each action is journaled with who, the OS user, when
// and why, and the reconciliation prints it (its "approvals" section reads these events).
import os from 'node:os';
import { fileOwner } from '../intake/owner.ts';
import type { BatchRecord, BatchState, Journal, PayoutRecord } from '../journal/store.ts';
// From the contract and the state machine, not store.ts: that one loads the SQLite journal.
import { LeaseLostError } from '../journal/contract.ts';
import { IllegalTransitionError } from '../journal/states.ts';
import { archiveSheet } from './archive.ts';
import type { Engine } from './engine.ts';
import { reportOptions, writeReportsFor } from './reporting.ts';
import { noticeBatch } from '../notify/outbox.ts';
import { ControlRefused } from './refusal.ts';

/** Who asks: the name given (`--by`, the console's signed-in user) and the OS user running the process. */
export interface Actor {
  by: string;
  osUser: string;
  /** Where the request came from: 'cli' or 'console'. */
  via: 'cli' | 'console';
}

export { ControlRefused };

/** The event types of the "approvals" section; their detail is ControlDetail. */
export const CONTROL_EVENTS = { approved: 'batch-approved', cancelled: 'batch-cancelled', resolved: 'resolved-manually' } as const;

/** An approval four eyes refused (nothing approved, so not among CONTROL_EVENTS); its detail is ControlDetail. */
export const APPROVAL_REFUSED = 'batch-approval-refused';

/** A cancelled batch whose last open row became final: its state is now `cancelled`. */
export const CANCEL_COMPLETED = 'batch-cancel-completed';

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
  /** A refused approval: why, and who released the batch. */
  reason?: string;
  releasedBy?: string | null;
  releasedOsUser?: string | null;
}

/**
 * The journal meta key the console sets (claimMeta, value: the signed-in user's name) before it drops an upload
 * into the inbox: that user, not the file's owner, released the sheet.
 */
export const uploaderKey = (sha256: string): string => `uploader:${sha256}`;

/** Who released a sheet (DESIGN §12): a name and, when a person's own OS account did it, that OS user. */
export interface Releaser {
  by: string;
  osUser: string | null;
}

/**
 * `run --by NAME` (`named`; default the OS user); an inbox sheet: the console user who uploaded it, else the
 * file's owner (`named`, read when it was claimed; else read now).
 */
export function releaserOf(journal: Journal, sha256: string, filePath: string, origin: 'run' | 'inbox', named?: string): Releaser {
  if (origin === 'run') return { by: named?.trim() || osUser(), osUser: osUser() };
  const uploader = journal.getMeta(uploaderKey(sha256));
  // The file's owner is then the console's service account, which every console approver shares: not a person.
  if (uploader) return { by: uploader, osUser: null };
  const owner = named ?? fileOwner(filePath);
  return { by: owner, osUser: owner };
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

const sameName = (a: string | null, b: string | null) => a !== null && b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();

/** Four eyes: the refusal when the approver (its name or OS user) is the person who released the batch. */
function fourEyesRefusal(batch: BatchRecord, actor: Actor): string | undefined {
  const releaser = [batch.releasedBy, batch.releasedOsUser];
  // On the console the signed-in name is the person; the OS user is the server's own account, shared by every
  // console user, so it says nothing about who approves (the CLI's OS user does).
  const approver = actor.via === 'console' ? [actor.by] : [actor.by, actor.osUser];
  if (!approver.some((name) => releaser.some((r) => sameName(name, r)))) return undefined;
  const who = actor.via === 'cli' ? `${actor.by} (OS user ${actor.osUser})` : actor.by;
  const released = batch.releasedOsUser ? `${batch.releasedBy} (OS user ${batch.releasedOsUser})` : batch.releasedBy;
  return `four eyes (approval.fourEyes): ${who} cannot approve batch ${batch.id}, released by ${released}; another person must approve it`;
}

/** Releases a held batch (one approval releases it). Throws ControlRefused when it is not held, or four eyes refuse. */
export async function approveBatch(engine: Engine, batchId: string, actor: Actor, note?: string): Promise<BatchRecord> {
  const { journal, config, log } = engine;
  const batch = batchOf(engine, batchId);
  if (batch.state !== 'held') throw new ControlRefused(`batch ${batchId} is ${batch.state}, not held: nothing to approve`);
  if (batch.cancelledAt) throw new ControlRefused(`batch ${batchId} was cancelled at ${batch.cancelledAt}: nothing to approve`);
  const detail: ControlDetail = { by: actor.by, osUser: actor.osUser, via: actor.via, note: note?.trim() || null, holdReason: batch.holdReason };
  const refusal = config.approval.fourEyes ? fourEyesRefusal(batch, actor) : undefined;
  if (refusal) {
    journal.event(APPROVAL_REFUSED, batchId, null, batch.state, batch.state, { ...detail, reason: refusal, releasedBy: batch.releasedBy, releasedOsUser: batch.releasedOsUser } satisfies ControlDetail);
    log.warn('approval refused: four eyes', { batchId, by: actor.by, osUser: actor.osUser, via: actor.via, releasedBy: batch.releasedBy, releasedOsUser: batch.releasedOsUser });
    throw new ControlRefused(refusal);
  }
  const at = new Date().toISOString();
  // releasedAt stays the first release's (a batch held again mid-run counts towards the day it was released).
  const changed = journal.updateBatch(batchId, { state: 'submitting', approvedAt: at, releasedAt: batch.releasedAt ?? at }, { type: CONTROL_EVENTS.approved, detail }, ['held']);
  if (!changed) throw new ControlRefused(`batch ${batchId} changed meanwhile (now ${journal.getBatch(batchId)?.state}): nothing approved`);
  log.info('batch approved', { batchId, by: actor.by, osUser: actor.osUser, via: actor.via });
  await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
  await noticeBatch(engine, batchId);
  return journal.getBatch(batchId)!;
}

/** Batches a cancel can stop: waiting for approval, or with rows to send or to follow. */
const CANCELLABLE: readonly BatchState[] = ['held', 'submitting', 'polling', 'stopped'];

const NOT_CANCELLABLE: Partial<Record<BatchState, string>> = {
  received: 'it is still being read; cancel it once it is held or sending',
  rejected: 'it was rejected: nothing of it was sent',
  completed: 'it is completed: no row is left to stop',
  cancelled: 'it is already cancelled',
};

/**
 * Stops a batch: rows never sent become `cancelled`; rows already sent go on to their final status (a payout
 * that may exist is never abandoned). The batch is `cancelled` at once when none is open, else once the last one
 * is final (resumeBatch); from now on no process sends anything more for it (the runner checks cancelledAt).
 */
export async function cancelBatch(engine: Engine, batchId: string, actor: Actor, note: string): Promise<BatchRecord> {
  const { journal, config, log } = engine;
  if (!note.trim()) throw new ControlRefused('a note is required: say why the batch is cancelled');
  const batch = batchOf(engine, batchId);
  if (batch.cancelledAt) throw new ControlRefused(`batch ${batchId} was already cancelled at ${batch.cancelledAt}; its rows already sent go on to their final status`);
  if (!CANCELLABLE.includes(batch.state)) throw new ControlRefused(`batch ${batchId} cannot be cancelled: ${NOT_CANCELLABLE[batch.state] ?? `it is ${batch.state}`}`);
  const detail: ControlDetail = { by: actor.by, osUser: actor.osUser, via: actor.via, note: note.trim() };
  if (!journal.updateBatch(batchId, { cancelledAt: new Date().toISOString() }, { type: CONTROL_EVENTS.cancelled, detail }, CANCELLABLE))
    throw new ControlRefused(`batch ${batchId} changed meanwhile (now ${journal.getBatch(batchId)?.state}): nothing cancelled`);
  const cancelled = await followCancelled(engine, journal.getBatch(batchId)!);
  log.info('batch cancelled', { batchId, by: actor.by, osUser: actor.osUser, via: actor.via, rowsCancelled: cancelled, state: journal.getBatch(batchId)!.state });
  await writeReportsFor(journal, batchId, config.workDir, reportOptions(engine));
  await noticeBatch(engine, batchId);
  return journal.getBatch(batchId)!;
}

/**
 * What a cancel asks of a batch, wherever it is seen (cancelBatch, resumeBatch): rows not sent (again: a hold or
 * an unreachable provider puts a row back in the queue) are cancelled; with no row open the batch ends
 * `cancelled`, else a held or stopped one is only followed (polling) to its end. Answers how many rows it cancelled.
 */
export async function followCancelled(engine: Engine, batch: BatchRecord): Promise<number> {
  const { journal } = engine;
  const cancelled = cancelUnsent(journal, batch.id);
  if (engine.runner.openCount(batch.id) === 0) {
    // Nothing was sent, or all of it is final: nothing to wait for.
    if (journal.updateBatch(batch.id, { state: 'cancelled', completedAt: new Date().toISOString() }, { type: CANCEL_COMPLETED }, CANCELLABLE))
      await archiveSheet(engine, journal.getBatch(batch.id)!);
  } else if (batch.state === 'held' || batch.state === 'stopped') {
    journal.updateBatch(batch.id, { state: 'polling' }, undefined, ['held', 'stopped']);
  }
  return cancelled;
}

/**
 * Rows of a cancelled batch never sent (validated, queued) become `cancelled`, a thousand per transaction. A row a
 * runner took to `submitting` meanwhile is left to it (guarded by status). Answers how many were cancelled.
 */
export function cancelUnsent(journal: Journal, batchId: string): number {
  let cancelled = 0;
  let errorMessage: string | undefined;
  for (;;) {
    const page = journal.payoutsOf(batchId, ['validated', 'queued'], 1000);
    if (page.length === 0) return cancelled;
    // Read only when there is something to cancel: a daemon asks on every pass while sent rows are followed.
    errorMessage ??= cancelMessage(journal, batchId);
    const at = new Date().toISOString();
    let here = 0;
    journal.atomically(() => {
      for (const p of page) {
        try {
          journal.transition(p.id, 'cancelled', { errorMessage, completedAt: at }, { type: 'payout-cancelled' }, ['validated', 'queued']);
          here++;
        } catch (err) {
          // Sent meanwhile (the status guard), or claimed by another live process of a shared journal: that
          // process's runner sees the cancel before its next create and cancels the row itself.
          if (!(err instanceof IllegalTransitionError) && !(err instanceof LeaseLostError)) throw err;
        }
      }
    });
    cancelled += here;
    if (here === 0) return cancelled;
  }
}

/** What a cancelled row's error_message says: why, and who cancelled it. */
function cancelMessage(journal: Journal, batchId: string): string {
  const asked = journal.eventsOf({ batchId, type: CONTROL_EVENTS.cancelled }).at(-1)?.detail as ControlDetail | undefined;
  return asked ? `cancelled before it was sent: ${asked.note ?? ''} (by ${asked.by})` : 'cancelled before it was sent';
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
