// Records to and from the shared journal's rows. The columns are the SQLite journal's (schema.ts), so its row
// readers apply as they are; what differs is how a patch is written: numbered parameters.
import type { BatchPatch, PayoutPatch, PayoutRecord } from '../contract.ts';
import { payoutFromRow } from '../sqlite/codec.ts';
import type { Params, Row } from './session.ts';

export { batchFromRow, big, detailJson, now, parseDetail } from '../sqlite/codec.ts';

const asIs = (v: unknown) => v;
const json = (v: unknown) => JSON.stringify(v);
/** bigint amounts as their digits (NUMERIC). */
const scalar = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

const BATCH_COLUMNS: Record<keyof BatchPatch, [column: string, toDb: (v: unknown) => unknown]> = {
  state: ['state', asIs],
  header: ['header_json', json],
  amountColumn: ['amount_column', asIs],
  maskColumns: ['mask_columns_json', json],
  columns: ['columns_json', json],
  rowCount: ['row_count', asIs],
  holdReason: ['hold_reason', asIs],
  approvedAt: ['approved_at', asIs],
  stopReason: ['stop_reason', asIs],
  balances: ['balances_json', json],
  usdRates: ['usd_rates_json', json],
  reports: ['reports_json', json],
  errorsCsv: ['errors_csv', asIs],
  archivedPath: ['archived_path', asIs],
  completedAt: ['completed_at', asIs],
  lastReversalCheckAt: ['last_reversal_check_at', asIs],
  releasedAt: ['released_at', asIs],
  cancelledAt: ['cancelled_at', asIs],
};

const PAYOUT_COLUMNS: Record<keyof PayoutPatch, [column: string, toDb: (v: unknown) => unknown]> = {
  providerReference: ['provider_reference', scalar],
  rawStatus: ['raw_status', scalar],
  errorCode: ['error_code', scalar],
  errorMessage: ['error_message', scalar],
  submittedAt: ['submitted_at', scalar],
  completedAt: ['completed_at', scalar],
  paidAmountMinor: ['paid_amount_minor', scalar],
  feeMinor: ['fee_minor', scalar],
  createAttempts: ['create_attempts', scalar],
  polls: ['polls', scalar],
  nextCheckAt: ['next_check_at', scalar],
  lastCreateAt: ['last_create_at', scalar],
  deadlineAt: ['deadline_at', scalar],
  prepared: ['prepared_json', json],
  payeeKey: ['payee_key', scalar],
};

/** `SET` assignments for a patch, `updated_at` first; undefined values are left as they are (payouts), null clears. */
function assignments(patch: object, columns: Record<string, [string, (v: unknown) => unknown]>, skipUndefined: boolean, at: string, p: Params): string[] {
  const sets = [`updated_at = ${p.add(at)}`];
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined && skipUndefined) continue;
    const [column, toDb] = columns[k]!;
    sets.push(`${column} = ${p.add(v === null || v === undefined ? null : toDb(v))}`);
  }
  return sets;
}

export const batchAssignments = (patch: BatchPatch, at: string, p: Params) => assignments(patch, BATCH_COLUMNS, false, at, p);

export const payoutAssignments = (patch: PayoutPatch, at: string, p: Params) => assignments(patch, PAYOUT_COLUMNS, true, at, p);

/** Column maps by their JSON (a few batches at a time), so a page of rows parses its batch's map once. */
const columnMaps = new Map<string, [string, number][]>();

/** A payout's row as selected with its batch's `columns_json` (PAYOUT_SELECT). */
export function payoutOf(r: Row): PayoutRecord {
  const text = (r.columns_json as string | null) ?? '[]';
  let columns = columnMaps.get(text);
  if (!columns) {
    columns = JSON.parse(text) as [string, number][];
    if (columnMaps.size > 1000) columnMaps.clear();
    columnMaps.set(text, columns);
  }
  return payoutFromRow(r, columns);
}

/** Payout rows with what reading them needs: the batch's column map. */
export const PAYOUT_SELECT = 'SELECT p.*, (SELECT b.columns_json FROM batches b WHERE b.id = p.batch_id) AS columns_json FROM payouts p';
