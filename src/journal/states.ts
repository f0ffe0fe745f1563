// The row state machine (DESIGN §3) as data: the statuses, the allowed transitions, and the one check every
// journal makes on every change, so an impossible transition fails where it is attempted.

export type PayoutStatus =
  | 'validated'
  | 'queued'
  | 'submitting'
  | 'submitted'
  | 'unknown'
  | 'succeeded'
  | 'failed'
  | 'reversed'
  | 'needs_review'
  | 'invalid'
  | 'duplicate'
  | 'cancelled';

export type BatchState = 'received' | 'rejected' | 'held' | 'submitting' | 'polling' | 'stopped' | 'cancelled' | 'completed';

/** The row state machine (DESIGN §3). needs_review is left only by `paybatch resolve`. */
export const allowedTransitions: Record<PayoutStatus, readonly PayoutStatus[]> = {
  // validated/queued → failed: the provider refused the payee set-up (prepare), so nothing was paid.
  // validated/queued → cancelled: `paybatch cancel` stops rows that were never sent (DESIGN §12).
  validated: ['queued', 'submitting', 'invalid', 'failed', 'cancelled'],
  queued: ['submitting', 'invalid', 'failed', 'cancelled'],
  submitting: ['submitted', 'succeeded', 'failed', 'reversed', 'queued', 'unknown', 'needs_review'],
  submitted: ['succeeded', 'failed', 'reversed', 'needs_review'],
  unknown: ['submitted', 'succeeded', 'failed', 'reversed', 'queued', 'needs_review'],
  succeeded: ['reversed'],
  needs_review: ['succeeded', 'failed'],
  failed: [],
  reversed: [],
  invalid: [],
  duplicate: [],
  cancelled: [],
};

/** Every status, in the order of the table. */
export const PAYOUT_STATUSES = Object.keys(allowedTransitions) as PayoutStatus[];

/** Rows the engine still has to act on. */
export const OPEN_STATUSES: readonly PayoutStatus[] = ['validated', 'queued', 'submitting', 'submitted', 'unknown'];

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
}

/** Staying in the same status is not a transition (bookkeeping with an event); anything else must be in the table. */
export function canTransition(from: PayoutStatus, to: PayoutStatus): boolean {
  return from === to || allowedTransitions[from].includes(to);
}

/**
 * The check a journal makes inside the transaction of every change to payout `id`, now `current`.
 * `expected` guards against a concurrent change (a callback and a poll racing): the change applies only if
 * the row is still in one of those states.
 */
export function assertTransition(id: string, current: PayoutStatus, to: PayoutStatus, expected?: readonly PayoutStatus[]): void {
  if (expected && !expected.includes(current)) throw new IllegalTransitionError(`payout ${id} is ${current}, expected ${expected.join('/')}`);
  if (!canTransition(current, to)) throw new IllegalTransitionError(`payout ${id}: ${current} → ${to} is not allowed`);
}
