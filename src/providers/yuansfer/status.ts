// Pockyt payout status → canonical status, table-driven; the raw value is always kept for the report.
// [C] docs.pockyt.io (transaction status enums, payout notifications): pending, success, failed, returned.
import type { CanonicalStatus } from '../types.ts';
import { lowerTrimmed, statusTable, type MappedStatus } from '../status-table.ts';

export type { MappedStatus };

export const PAYOUT_STATUS: Readonly<Record<string, CanonicalStatus>> = Object.freeze({
  /** Received, will be processed. The Transfer answer is always this. */
  pending: 'pending',
  /** Funds credited. Terminal, but a `returned` may still follow (modelled as success → returned). */
  success: 'succeeded',
  /** Not completed; funds were not deducted. */
  failed: 'failed',
  /** "Cancelled after it was initiated" (e.g. the receiving bank returned it): paid, then returned. */
  returned: 'reversed',
});

/** Looked up ignoring case and surrounding spaces (see mapPayoutStatus). */
export const payoutStatusTable = statusTable(PAYOUT_STATUS, lowerTrimmed);

/**
 * Maps a raw status. Lookup ignores case and surrounding spaces (docs write lower case; payee statuses are
 * capitalised, so we do not rely on case). An unmapped value is `pending`: polling continues until the
 * deadline turns the row into needs_review — never a guessed terminal state.
 */
export function mapPayoutStatus(raw: string): MappedStatus {
  return payoutStatusTable.map(raw);
}

/** Payee statuses [C] (Register Payee status codes): only Activated payees can receive payouts. */
export const PAYEE_STATUS_BLOCKED: ReadonlySet<string> = new Set(['declined', 'deactivated']);

/** Funding account statuses [C]: PENDING (review), ACTIVATED, INVALID. */
export const ACCOUNT_STATUS_BLOCKED: ReadonlySet<string> = new Set(['invalid']);
