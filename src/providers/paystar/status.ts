// PayStar orderStatus → canonical status [C] (both status pages; the glossary says "Successful").
// PayStar has no reversal status: a paid payout stays `Success`.
import type { CanonicalStatus } from '../types.ts';
import { lowerTrimmed, statusTable, type MappedStatus } from '../status-table.ts';

export const PAYSTAR_STATUSES: Readonly<Record<string, CanonicalStatus>> = Object.freeze({
  Created: 'pending', // created, processing not started
  Processing: 'pending', // in progress
  Success: 'succeeded', // completed (status pages)
  Successful: 'succeeded', // completed (glossary spelling)
  Failed: 'failed', // declined
});

// Case-insensitive: the docs write `Success`, the glossary `Successful`, and capitalise inconsistently.
export const paystarStatusTable = statusTable(PAYSTAR_STATUSES, lowerTrimmed);

/**
 * The canonical status of a raw orderStatus. An unmapped value is `pending` (never guessed terminal):
 * polling continues and the deadline turns it into needs_review; `known: false` lets the client log it once.
 */
export function mapPaystarStatus(raw: string): MappedStatus {
  return paystarStatusTable.map(raw);
}
