// The batch runner: submits journaled rows and polls them to a final state, applying DESIGN §3's rules.
// Every HTTP call is preceded by a committed journal state, so a crash at any point leaves a row that the
// next start can resolve without paying twice.
import type { Journal, PayoutRecord } from '../journal/store.ts';
import { IllegalTransitionError, OPEN_STATUSES } from '../journal/store.ts';
import type { Logger } from '../log.ts';
import type { PayoutRequest, QueryOutcome, SubmitOutcome } from '../providers/types.ts';
import { cancelUnsent } from './controls.ts';
import { crashAt, crashPointArmed } from './crash.ts';
import { toRequest } from './request.ts';
import { applyQueryOutcome, terminalPatch } from './query-outcome.ts';
import type { ProviderRuntime, Runtimes } from './runtime.ts';

export interface RunnerContext {
  journal: Journal;
  log: Logger;
  runtimes: Runtimes;
  onProgress?(event: { batchId: string; phase: 'submit' | 'poll'; done: number; total: number }): void;
}

export class BatchStopped extends Error {
  override name = 'BatchStopped';
  /** The batch state this ending leaves the batch in. */
  readonly batchState: 'stopped' | 'held' = 'stopped';
}

/**
 * The provider said the merchant's account cannot pay now (e.g. insufficient balance): nothing more is sent,
 * and the batch is held until `paybatch approve`, as the balance pre-check holds it. A BatchStopped, so that a
 * caller that knows only stops still ends the run; `batchState` tells the two apart.
 */
export class BatchHeld extends BatchStopped {
  override name = 'BatchHeld';
  override readonly batchState = 'held' as const;
}

// batch.ts and reversals.ts import it from here; it lives in request.ts, shared with validate-file.ts.
export { toRequest };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Creates handed to the provider's queue (p-limit, then the pacer) at a time. Small, because due queries join the
 * same queue behind them (drive): a query waits behind at most this many creates.
 */
const CREATE_PAGE = 256;

/** notSent retries before a batch stops with "provider unreachable" (rows stay queued, resumable). */
const MAX_NOT_SENT = 6;

/** Rows that may be created. */
const SENDABLE = ['validated', 'queued'] as const;


type StatusCounts = ReturnType<Journal['counts']>;

/** Rows the engine still has to act on. */
const openOf = (c: StatusCounts) => OPEN_STATUSES.reduce((n, s) => n + c[s], 0);
/** Rows sent (or perhaps sent) whose final status is not known yet. */
const sentOpenOf = (c: StatusCounts) => c.submitting + c.submitted + c.unknown;

export class BatchRunner {
  /** In-memory back-off for rows that were not sent (never reached the provider). */
  private readonly retryAt = new Map<string, { at: number; tries: number }>();
  private stopReason: string | null = null;
  /** Set by a `hold` answer: nothing more is sent until the batch is approved. */
  private holdReason: string | null = null;
  /** Set on SIGTERM: no create starts any more (drain). */
  private draining = false;
  /** The batch seen cancelled: the creates still queued for it end without a request (polls go on). */
  private cancelledBatch: string | null = null;

  constructor(private readonly ctx: RunnerContext) {}

  private get journal(): Journal {
    return this.ctx.journal;
  }

  /**
   * Submits every row of the batch that is ready to go; answers how many were handed to the provider's queue.
   * With a shared journal only rows this process claims (DESIGN §11): the rest are other processes' to send.
   * Throws BatchStopped on a configuration error.
   */
  async submitReady(batchId: string, rt: ProviderRuntime): Promise<number> {
    const total = this.journal.counts(batchId);
    const toSend = total.validated + total.queued;
    if (toSend === 0) return 0;
    const claims = this.journal.claims;
    let done = 0;
    for (;;) {
      this.throwIfHalted();
      if (this.draining) return done;
      if (this.cancelled(batchId)) return done;
      const now = Date.now();
      const ready = claims ? claims.claim(batchId, SENDABLE, CREATE_PAGE) : this.journal.payoutsOf(batchId, SENDABLE, CREATE_PAGE);
      const page = ready.filter((p) => (this.retryAt.get(p.id)?.at ?? 0) <= now);
      if (page.length === 0) {
        const waiting = ready.map((p) => this.retryAt.get(p.id)?.at).filter((at): at is number => at !== undefined);
        // Shared journal: nothing claimable and nothing of ours backing off: what is left is in other hands.
        if (claims ? waiting.length === 0 : this.journal.payoutsOf(batchId, SENDABLE, 1).length === 0) return done;
        const next = waiting.length ? Math.min(...waiting) : now + 500;
        await sleep(Math.max(50, next - now));
        continue;
      }
      await Promise.all(
        page.map((p) =>
          rt.limit(async () => {
            if (this.halted || this.draining || this.cancelledBatch === batchId) return;
            await this.submitOne(rt, p);
            done++;
            this.ctx.onProgress?.({ batchId, phase: 'submit', done, total: toSend });
          }),
        ),
      );
    }
  }

  /**
   * SIGTERM (DESIGN §11): no create starts from now on; answers already on their way are still recorded.
   * Rows claimed and not sent are given back by the caller (claims.release).
   */
  drain(): void {
    this.draining = true;
  }

  /**
   * `paybatch cancel`, perhaps from another process, is read from the journal before each page of creates: a
   * cancelled batch sends nothing more, and its rows not yet sent are cancelled.
   */
  private cancelled(batchId: string): boolean {
    if (this.cancelledBatch !== batchId && !this.journal.getBatch(batchId)?.cancelledAt) return false;
    this.cancelledBatch = batchId;
    cancelUnsent(this.journal, batchId);
    return true;
  }

  /** A stop or a hold: no further create may start. */
  private get halted(): boolean {
    return this.stopReason !== null || this.holdReason !== null;
  }

  private throwIfHalted(): void {
    if (this.stopReason) throw new BatchStopped(this.stopReason);
    if (this.holdReason) throw new BatchHeld(this.holdReason);
  }

  private async prepareRow(rt: ProviderRuntime, payout: PayoutRecord, request: PayoutRequest): Promise<'ready' | 'retry' | 'failed'> {
    const adapter = rt.adapter;
    if (!adapter.prepare) return 'ready';
    const key = adapter.payeeKey?.(request);
    const cached = key ? this.journal.getPayee(rt.id, key) : undefined;
    if (cached?.ready) {
      request.prepared = cached.prepared;
      this.journal.touch(payout.id, { prepared: cached.prepared, payeeKey: key });
      return 'ready';
    }
    if (cached) request.prepared = cached.prepared;
    await rt.pacer.acquire();
    const startedAt = new Date().toISOString();
    const outcome = await adapter.prepare(request, (partial) => {
      if (key) this.journal.putPayee(rt.id, key, partial, false);
      crashAt('after-prepare-checkpoint');
    });
    this.journal.recordAttempt(payout.id, 'prepare', startedAt, outcome.kind, outcome.kind === 'ready' ? undefined : outcome);
    switch (outcome.kind) {
      case 'ready':
        if (key) this.journal.putPayee(rt.id, key, outcome.prepared, true);
        this.journal.touch(payout.id, { prepared: outcome.prepared, payeeKey: key });
        request.prepared = outcome.prepared;
        return 'ready';
      case 'rejected':
        this.journal.transition(
          payout.id,
          'failed',
          { errorCode: outcome.code, errorMessage: `payee set-up refused: ${outcome.message}`, completedAt: new Date().toISOString() },
          { type: 'prepare-rejected', detail: { code: outcome.code } },
        );
        return 'failed';
      case 'retry':
        if (outcome.throttled) rt.pacer.slowDown(outcome.retryAfterMs);
        this.backOff(payout.id, outcome.cause);
        return 'retry';
      case 'stop':
        this.stopReason = `${rt.id} refused the configuration (${outcome.code}): ${outcome.message}`;
        return 'retry';
    }
  }

  private backOff(payoutId: string, cause: string): void {
    const previous = this.retryAt.get(payoutId);
    const tries = (previous?.tries ?? 0) + 1;
    if (tries > MAX_NOT_SENT) {
      this.stopReason = `could not reach the provider after ${MAX_NOT_SENT} tries (${cause}); the rows stay queued: run again to resume`;
      return;
    }
    this.retryAt.set(payoutId, { at: Date.now() + Math.min(30_000, 500 * 2 ** tries), tries });
  }

  private async submitOne(rt: ProviderRuntime, payout: PayoutRecord): Promise<void> {
    let request: PayoutRequest;
    try {
      request = toRequest(payout);
    } catch (err) {
      // No exponent for the row's currency (a journal written with another currency table): an amount is
      // never sent on a guessed number of decimals. Nothing is sent; the rows stay queued.
      this.stopReason = `row ${payout.rowNumber} cannot be sent: ${(err as Error).message}`;
      return;
    }
    const prepared = await this.prepareRow(rt, payout, request);
    if (prepared !== 'ready' || this.halted || this.cancelledBatch === payout.batchId) return;
    await rt.pacer.acquire();
    if (this.halted || this.draining || this.cancelledBatch === payout.batchId) return;
    const startedAt = Date.now();
    // Rule 2: `submitting` is committed, and durable, before the request leaves. The rows whose slots come up
    // within a few milliseconds share that commit (group commit); a stop or hold answered meanwhile is seen here,
    // in commit order, so no create starts after it.
    const started = await this.journal.later(() => {
      if (this.halted || this.draining) return false;
      try {
        this.journal.transition(
          payout.id,
          'submitting',
          { createAttempts: payout.createAttempts + 1, lastCreateAt: startedAt },
          { type: 'submit-start', detail: { reference: payout.merchantReference, attempt: payout.createAttempts + 1 } },
          ['validated', 'queued'],
        );
      } catch (err) {
        // Cancelled since this page was read (paybatch cancel, perhaps from another process): never sent.
        if (err instanceof IllegalTransitionError && this.journal.getPayout(payout.id)?.status === 'cancelled') {
          this.cancelledBatch = payout.batchId;
          return false;
        }
        throw err;
      }
      return true;
    });
    if (!started) return;
    crashAt('after-submitting-commit');
    if (crashPointArmed('after-request-sent')) setTimeout(() => crashAt('after-request-sent'), 150);
    let outcome: SubmitOutcome;
    try {
      outcome = await rt.adapter.submit(request);
    } catch (err) {
      // A bug or unexpected answer after the request may have left: never assume it was not sent.
      outcome = { kind: 'unknown', cause: `adapter error: ${(err as Error).message}` };
    }
    crashAt('after-answer-before-commit');
    // The answer and the attempt that got it are one change, committed with the answers around it. Killed before
    // that commit, the row is still `submitting`: `unknown` on restart, asked by reference (rule 3), never resent.
    await this.journal.later(() => {
      this.journal.recordAttempt(payout.id, 'create', new Date(startedAt).toISOString(), outcome.kind, outcome);
      this.applySubmit(rt, payout, outcome, startedAt);
    });
  }

  private applySubmit(rt: ProviderRuntime, payout: PayoutRecord, outcome: SubmitOutcome, startedAt: number): void {
    const at = new Date().toISOString();
    const now = Date.now();
    switch (outcome.kind) {
      case 'accepted': {
        const r = outcome.reading;
        this.retryAt.delete(payout.id);
        if (r.canonical === 'pending') {
          this.journal.transition(
            payout.id,
            'submitted',
            { providerReference: r.providerRef, rawStatus: r.raw, submittedAt: at, polls: 0, nextCheckAt: now + rt.poll.firstAfterMs, deadlineAt: startedAt + rt.poll.deadlineMs },
            { type: 'submit-accepted', detail: { raw: r.raw } },
          );
        } else {
          this.journal.transition(payout.id, r.canonical, { ...terminalPatch(r, at), submittedAt: at }, { type: 'submit-accepted', detail: { raw: r.raw } });
        }
        return;
      }
      case 'rejected':
        this.retryAt.delete(payout.id);
        this.journal.transition(
          payout.id,
          'failed',
          { errorCode: outcome.code, errorMessage: outcome.message, rawStatus: outcome.raw ?? outcome.code, completedAt: at },
          { type: 'submit-rejected', detail: { code: outcome.code } },
        );
        return;
      case 'notSent':
        if (outcome.throttled) rt.pacer.slowDown(outcome.retryAfterMs);
        this.journal.transition(payout.id, 'queued', { errorMessage: outcome.cause }, { type: 'submit-not-sent', detail: { cause: outcome.cause } });
        // Throttling is the provider pacing us, not a failure: it does not count towards giving up.
        if (outcome.throttled) this.retryAt.set(payout.id, { at: Date.now() + (outcome.retryAfterMs ?? 1000), tries: this.retryAt.get(payout.id)?.tries ?? 0 });
        else this.backOff(payout.id, outcome.cause);
        return;
      case 'unknown':
        this.retryAt.delete(payout.id);
        // Rule 3/4: ask the provider; a duplicate answer means it exists, so ask at once.
        this.journal.transition(
          payout.id,
          'unknown',
          {
            errorMessage: outcome.cause,
            submittedAt: at,
            polls: 0,
            nextCheckAt: now + (outcome.alreadyCreated ? 0 : Math.min(rt.poll.firstAfterMs, 2000)),
            deadlineAt: startedAt + rt.poll.deadlineMs,
          },
          { type: outcome.alreadyCreated ? 'submit-duplicate' : 'submit-unknown', detail: { cause: outcome.cause } },
        );
        return;
      case 'stop':
        this.journal.transition(payout.id, 'queued', { errorMessage: outcome.message }, { type: 'submit-refused-config', detail: { code: outcome.code } });
        this.stopReason = `${rt.id} refused the configuration (${outcome.code}): ${outcome.message}`;
        return;
      case 'hold':
        // Definitely not created: the row is sendable again once the batch is approved.
        this.retryAt.delete(payout.id);
        this.journal.transition(payout.id, 'queued', { errorMessage: `${outcome.code} ${outcome.message}: held, not created` }, { type: 'submit-hold', detail: { code: outcome.code } });
        this.holdReason ??= `${rt.id} answered ${outcome.code} (${outcome.message}) to row ${payout.rowNumber}: nothing more is sent until "paybatch approve ${payout.batchId}"`;
        return;
    }
  }

  /** Queries rows whose check is due; answers how many were checked. */
  async pollDue(batchId: string, rt: ProviderRuntime): Promise<number> {
    const claims = this.journal.claims;
    const due = claims ? claims.claimDue(batchId, Date.now(), 1000) : this.journal.duePayouts(batchId, Date.now(), 1000);
    let done = 0;
    await Promise.all(
      due.map((p) =>
        rt.limit(async () => {
          if (this.halted) return;
          await rt.pacer.acquire();
          const startedAt = new Date().toISOString();
          let outcome: QueryOutcome;
          try {
            outcome = await rt.adapter.query(toRequest(p));
          } catch (err) {
            outcome = { kind: 'unknown', cause: `adapter error: ${(err as Error).message}` };
          }
          // Group commit, as for answers to creates: a lost query answer is asked again.
          await this.journal.later(() => {
            this.journal.recordAttempt(p.id, 'query', startedAt, outcome.kind, outcome.kind === 'status' ? outcome.reading : outcome);
            // Every change below is guarded by the status the row was due in, not re-read: a row that moved on
            // meanwhile keeps its state, and the answer stays only as the attempt.
            try {
              this.applyQuery(rt, p, outcome);
            } catch (err) {
              if (!(err instanceof IllegalTransitionError) || this.journal.getPayout(p.id)?.status === p.status) throw err;
            }
          });
          done++;
          this.ctx.onProgress?.({ batchId, phase: 'poll', done, total: due.length });
        }),
      ),
    );
    this.throwIfHalted();
    return due.length;
  }

  /** A query's answer applied to its row (query-outcome.ts); a `stop` answer ends the batch's run. */
  applyQuery(rt: ProviderRuntime, p: PayoutRecord, outcome: QueryOutcome): void {
    const stop = applyQueryOutcome(this.journal, rt, p, outcome);
    if (stop) this.stopReason = stop;
  }

  /**
   * Submits every ready row while querying, alongside, the rows that come due meanwhile: both share the provider's
   * queue and pacer, so the rate goes to whichever has work, with no wait for a page of creates to finish before
   * the first answers are asked for. The queries start first: after a restart, rows recovered in flight (due now)
   * are asked before any new create.
   */
  private async submitPolling(batchId: string, rt: ProviderRuntime): Promise<number> {
    let sending = true;
    let sent!: () => void;
    const allSent = new Promise<void>((resolve) => (sent = resolve));
    const polling = (async () => {
      while (sending && !this.halted) {
        if ((await this.pollDue(batchId, rt)) > 0) continue;
        const next = this.journal.nextDueAt(batchId);
        const wait = Math.max(20, Math.min(250, (next ?? Infinity) - Date.now()));
        await Promise.race([sleep(wait), allSent]);
      }
    })();
    const submitting = this.submitReady(batchId, rt).finally(() => {
      sending = false;
      sent();
    });
    // Both end before anything else happens to the batch (a stop's state, its reports): no answer lands after.
    const ended = await Promise.allSettled([submitting, polling]);
    for (const e of ended) if (e.status === 'rejected') throw e.reason;
    return (ended[0] as PromiseFulfilledResult<number>).value;
  }

  /** Rows sent (or perhaps sent) whose final status is not known yet. */
  sentOpenCount(batchId: string): number {
    return sentOpenOf(this.journal.counts(batchId));
  }

  /** Open rows left (anything the engine still has to act on). */
  openCount(batchId: string): number {
    return openOf(this.journal.counts(batchId));
  }

  /**
   * Submits and polls until no row is open, or until `until` (epoch ms), or right after submitting when
   * `noWait`. Returns true when the batch has no open rows left.
   */
  async drive(
    batchId: string,
    rt: ProviderRuntime,
    options: { until?: number; noWait?: boolean; wake?: () => Promise<void>; pollOnly?: boolean } = {},
  ): Promise<boolean> {
    // One runner drives batches one after another: a stop belongs to the batch (and provider) that caused it.
    this.stopReason = null;
    this.holdReason = null;
    this.cancelledBatch = null;
    for (;;) {
      // pollOnly: a held batch sends nothing, but payouts sent before the hold are still followed to the end.
      if (options.noWait) {
        if (!options.pollOnly) await this.submitReady(batchId, rt);
        return this.openCount(batchId) === 0;
      }
      const sent = options.pollOnly || this.draining ? 0 : await this.submitPolling(batchId, rt);
      await this.pollDue(batchId, rt);
      // One read of the counts per round (each read also commits the answers waiting for a group commit).
      const counts = this.journal.counts(batchId);
      if (openOf(counts) === 0) return true;
      if (options.pollOnly && sentOpenOf(counts) === 0) return false;
      if (this.draining) return false;
      // Rows left to send: go on, unless none of them could be claimed (other processes hold them): then wait.
      if (!options.pollOnly && counts.validated + counts.queued > 0 && (sent > 0 || !this.journal.claims)) continue;
      const now = Date.now();
      if (options.until !== undefined && now >= options.until) return false;
      const nextDue = this.journal.nextDueAt(batchId) ?? now + 1000;
      const wait = Math.max(20, Math.min(nextDue - now, (options.until ?? Infinity) - now, 5000));
      if (options.wake) await Promise.race([sleep(wait), options.wake()]);
      else await sleep(wait);
    }
  }
}
