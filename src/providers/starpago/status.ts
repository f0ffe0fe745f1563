// StarPago v3 order status (callback.html [C], same enum for pay-ins and payouts) → canonical status.
// The raw code is always kept for the report.
import type { CanonicalStatus } from '../types.ts';
import { statusTable, upperTrimmed, type MappedStatus } from '../status-table.ts';

export const STATUS_TABLE: Readonly<Record<string, CanonicalStatus>> = Object.freeze({
  CREATED: 'pending', // order generated
  PENDING: 'pending', // payment in progress
  PAID: 'succeeded',
  FAILED: 'failed',
  EXPIRED: 'failed',
  REFUNDED: 'reversed', // "transaction returned": after PAID, the money came back
  // "Transaction Abnormal": per the payout DANGER note it may still be in progress or under manual
  // review at StarPago. Never retried, never failed by us: a person looks at it.
  EXCEPTION: 'needs_review',
});

/** Statuses after which StarPago's `tradeCharge` is meaningful ("invalid until the transaction is completed"). */
export const COMPLETED: ReadonlySet<string> = new Set(['PAID', 'FAILED', 'EXPIRED', 'REFUNDED']);

/** Statuses whose `paidAmount` is an amount that reached the beneficiary. */
export const PAID_OUT: ReadonlySet<string> = new Set(['PAID', 'REFUNDED']);

/** Looked up trimmed and upper-cased. */
export const orderStatusTable = statusTable(STATUS_TABLE, upperTrimmed);

/**
 * Maps a raw status. An unmapped value (a status StarPago adds later) is `pending` with known=false: the
 * client logs it once and keeps polling, so the poll deadline turns it into needs_review rather than a guess.
 */
export function mapStatus(raw: string): MappedStatus {
  return orderStatusTable.map(raw);
}
