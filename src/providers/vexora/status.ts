// Vexora data.status codes (PROVIDERS.md §5 and Decisions): 0000 is success, 0015 is processing, and only a
// documented failure code (00029 REJECTED_TRANSACTION) is a failure. A missing, empty or unrecognised status
// is read as nothing certain: pending with the raw text kept, so polling goes on and the poll deadline turns
// the row into needs_review. (The Myanmar page's "other codes: error occurred" is cut off mid-sentence and
// the code table is unknown, so an unknown code never ends a row.) The KR example's "00029 Processing"
// contradicts the AU one; we follow AU, and a merchant can move 00029 to pendingCodes.
import { statusTable, type MappedStatus } from '../status-table.ts';
import type { CanonicalStatus } from '../types.ts';

export interface VexoraStatusTable {
  successCodes: readonly string[];
  pendingCodes: readonly string[];
  failedCodes: readonly string[];
}

export const defaultStatusTable: VexoraStatusTable = {
  successCodes: ['0000'],
  pendingCodes: ['0015'],
  failedCodes: ['00029'],
};

/** Codes are compared exactly (no trimming, no numeric equality). Success wins over pending over failed, so a
 *  code a merchant adds to pendingCodes (00029, per the KR example) leaves the failed list. */
export function vexoraStatusTable(table: VexoraStatusTable = defaultStatusTable) {
  const entries: [string, CanonicalStatus][] = [
    ...table.failedCodes.map((c): [string, CanonicalStatus] => [c, 'failed']),
    ...table.pendingCodes.map((c): [string, CanonicalStatus] => [c, 'pending']),
    ...table.successCodes.map((c): [string, CanonicalStatus] => [c, 'succeeded']),
  ];
  return statusTable(entries);
}

const defaults = vexoraStatusTable();

export function mapVexoraStatus(raw: string, table?: VexoraStatusTable): MappedStatus {
  return (table ? vexoraStatusTable(table) : defaults).map(raw);
}
