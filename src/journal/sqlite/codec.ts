// Records to and from SQLite rows. Amounts are TEXT of integer minor units, read back as bigint (schema.ts);
// lists and maps are JSON.
import { payoutIdOf, type BatchPatch, type BatchRecord, type Delivery, type PayoutPatch, type PayoutRecord } from '../contract.ts';
import type { BatchState, PayoutStatus } from '../states.ts';

export type Row = Record<string, unknown>;

export const now = (): string => new Date().toISOString();

export const big = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));

/** JSON for audit details: bigint amounts as their digits. */
export const detailJson = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

export const parseDetail = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(v as string));

/** A row's fields: its trimmed, non-empty original cells under their canonical column names. */
function fieldsOf(original: string[], columns: [string, number][]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, index] of columns) {
    const v = (original[index] ?? '').trim();
    if (v !== '') fields[name] = v;
  }
  return fields;
}

export function payoutFromRow(r: Row, columns: [string, number][]): PayoutRecord {
  const original = JSON.parse(r.original_json as string) as string[];
  return {
    id: payoutIdOf(r.batch_id as string, r.row_number as number),
    batchId: r.batch_id as string,
    rowNumber: r.row_number as number,
    provider: r.provider as string,
    merchantReference: (r.merchant_reference as string) ?? null,
    status: r.status as PayoutStatus,
    amountMinor: big(r.amount_minor),
    currency: (r.currency as string) ?? null,
    original,
    fields: fieldsOf(original, columns),
    payeeKey: (r.payee_key as string) ?? null,
    prepared: r.prepared_json ? JSON.parse(r.prepared_json as string) : null,
    providerReference: (r.provider_reference as string) ?? null,
    rawStatus: (r.raw_status as string) ?? null,
    errorCode: (r.error_code as string) ?? null,
    errorMessage: (r.error_message as string) ?? null,
    submittedAt: (r.submitted_at as string) ?? null,
    completedAt: (r.completed_at as string) ?? null,
    paidAmountMinor: big(r.paid_amount_minor),
    feeMinor: big(r.fee_minor),
    createAttempts: r.create_attempts as number,
    polls: r.polls as number,
    nextCheckAt: (r.next_check_at as number) ?? null,
    lastCreateAt: (r.last_create_at as number) ?? null,
    deadlineAt: (r.deadline_at as number) ?? null,
  };
}

export function batchFromRow(r: Row): BatchRecord {
  return {
    id: r.id as string,
    fileName: r.file_name as string,
    fileSha256: r.file_sha256 as string,
    fileBytes: r.file_bytes as number,
    provider: r.provider as string,
    state: r.state as BatchState,
    sourcePath: (r.source_path as string) ?? null,
    archivedPath: (r.archived_path as string) ?? null,
    format: (r.format as string) ?? null,
    header: JSON.parse(r.header_json as string),
    amountColumn: (r.amount_column as number) ?? null,
    maskColumns: JSON.parse(r.mask_columns_json as string),
    columns: JSON.parse(r.columns_json as string),
    rowCount: r.row_count as number,
    holdReason: (r.hold_reason as string) ?? null,
    approvedAt: (r.approved_at as string) ?? null,
    stopReason: (r.stop_reason as string) ?? null,
    balances: r.balances_json ? JSON.parse(r.balances_json as string) : [],
    usdRates: r.usd_rates_json ? JSON.parse(r.usd_rates_json as string) : null,
    reports: r.reports_json ? JSON.parse(r.reports_json as string) : null,
    errorsCsv: (r.errors_csv as string) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    completedAt: (r.completed_at as string) ?? null,
    lastReversalCheckAt: (r.last_reversal_check_at as number) ?? null,
    releasedBy: (r.released_by as string) ?? null,
    releasedOsUser: (r.released_os_user as string) ?? null,
    releasedAt: (r.released_at as string) ?? null,
    cancelledAt: (r.cancelled_at as string) ?? null,
  };
}

const asIs = (v: unknown) => v;
const json = (v: unknown) => JSON.stringify(v);
/** A payout's amounts are bigint, kept as their digits. */
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

/** `SET` assignments for a patch, `updated_at` first; undefined values are left as they are, null clears. */
function assignments(patch: object, columns: Record<string, [string, (v: unknown) => unknown]>, skipUndefined: boolean): { sets: string[]; values: unknown[] } {
  const sets: string[] = ['updated_at = ?'];
  const values: unknown[] = [now()];
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined && skipUndefined) continue;
    const [column, toDb] = columns[k]!;
    sets.push(`${column} = ?`);
    values.push(v === null || v === undefined ? null : toDb(v));
  }
  return { sets, values };
}

export const batchAssignments = (patch: BatchPatch) => assignments(patch, BATCH_COLUMNS, false);

export const payoutAssignments = (patch: PayoutPatch) => assignments(patch, PAYOUT_COLUMNS, true);

/** A delivery row (both journals store the same columns). */
export function deliveryFromRow(r: Row): Delivery {
  return {
    id: r.id as string,
    event: r.event as string,
    batchId: (r.batch_id as string) ?? null,
    channel: r.channel as Delivery['channel'],
    payload: JSON.parse(r.payload_json as string),
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as number,
    createdAt: r.created_at as string,
    deliveredAt: (r.delivered_at as string) ?? null,
    gaveUpAt: (r.gave_up_at as string) ?? null,
    lastError: (r.last_error as string) ?? null,
  };
}
