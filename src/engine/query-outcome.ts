// What a query's answer does to its payout (DESIGN §3 rules 3–4): a final status ends the row, pending is asked
// again with back-off, "not found" is trusted only after the provider's window (and resent only where a
// duplicate create is refused or replayed), and the poll deadline turns anything still open into needs_review.
// Every change is guarded by the status the row was due in.
import type { Journal, PayoutRecord, PayoutStatus } from '../journal/store.ts';
import type { QueryOutcome, StatusReading } from '../providers/types.ts';
import type { ProviderRuntime } from './runtime.ts';

/** The fields a final status writes (from a create's answer or a query's). */
export function terminalPatch(reading: StatusReading, at: string) {
  const paid = reading.canonical === 'succeeded';
  return {
    providerReference: reading.providerRef,
    rawStatus: reading.raw,
    paidAmountMinor: reading.paidAmountMinor,
    feeMinor: reading.feeMinor,
    // A provider's "success" text is not an error; failures keep its code and words.
    errorCode: paid ? null : reading.errorCode,
    errorMessage: paid ? null : reading.message,
    completedAt: at,
  };
}

/** The wait before the next query of a row asked `polls` times: doubling from the first delay, capped. */
export function nextPollInterval(rt: ProviderRuntime, polls: number): number {
  return Math.min(rt.poll.maxIntervalMs, Math.max(250, rt.poll.firstAfterMs) * 2 ** Math.min(polls, 20));
}

/** Applies a query's answer to row `p`; answers a stop reason when the provider refused the configuration. */
export function applyQueryOutcome(journal: Journal, rt: ProviderRuntime, p: PayoutRecord, outcome: QueryOutcome): string | undefined {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const from: PayoutStatus[] = [p.status];
  // A row recovered from `submitting` has no deadline yet: count it from its last create attempt.
  const deadline = p.deadlineAt ?? (p.lastCreateAt ?? now) + rt.poll.deadlineMs;
  const pastDeadline = now >= deadline;
  const review = (message: string, type: string) =>
    journal.transition(p.id, 'needs_review', { errorMessage: message, completedAt: at }, { type, detail: { message } }, from);
  switch (outcome.kind) {
    case 'status': {
      const r = outcome.reading;
      if (r.canonical === 'pending') {
        if (pastDeadline) return void review(`no final status by the poll deadline (last ${r.raw})`, 'poll-deadline');
        if (p.status === 'unknown')
          journal.transition(
            p.id,
            'submitted',
            { providerReference: r.providerRef, rawStatus: r.raw, polls: p.polls + 1, nextCheckAt: now + nextPollInterval(rt, p.polls) },
            { type: 'unknown-resolved', detail: { raw: r.raw } },
            from,
          );
        else journal.touch(p.id, { rawStatus: r.raw, providerReference: r.providerRef ?? undefined, polls: p.polls + 1, nextCheckAt: now + nextPollInterval(rt, p.polls) }, from);
        return;
      }
      journal.transition(p.id, r.canonical, terminalPatch(r, at), { type: p.status === 'unknown' ? 'unknown-resolved' : 'poll-final', detail: { raw: r.raw } }, from);
      return;
    }
    case 'notFound': {
      const sinceCreate = now - (p.lastCreateAt ?? 0);
      if (p.status === 'submitted' || sinceCreate < rt.notFoundWindowMs) {
        // The provider may not have indexed it yet (or lost it briefly): ask again, up to the deadline.
        if (pastDeadline) return void review('the provider does not know this reference', 'poll-deadline');
        journal.touch(p.id, { polls: p.polls + 1, nextCheckAt: now + Math.min(nextPollInterval(rt, p.polls), Math.max(250, rt.notFoundWindowMs - sinceCreate)) }, from);
        return;
      }
      if (rt.resubmitOnNotFound) {
        // Safe only because this provider rejects or replays a second create with the same reference.
        journal.transition(p.id, 'queued', { errorMessage: 'not found at the provider: sent again with the same reference' }, { type: 'resubmit-after-not-found' }, from);
        return;
      }
      review(
        `${rt.id} does not know this reference after an unanswered create; it may or may not have been paid, and it is never sent again automatically: check with ${rt.id}, then paybatch resolve`,
        'unknown-not-found',
      );
      return;
    }
    case 'unknown':
      if (outcome.throttled) rt.pacer.slowDown(outcome.retryAfterMs);
      if (pastDeadline) return void review(`status could not be established: ${outcome.cause}`, 'poll-deadline');
      journal.touch(p.id, { polls: p.polls + 1, nextCheckAt: now + (outcome.retryAfterMs ?? nextPollInterval(rt, p.polls)) }, from);
      return;
    case 'stop':
      return `${rt.id} refused the configuration (${outcome.code}): ${outcome.message}`;
  }
}
