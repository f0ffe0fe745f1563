// What the provider is sent for a row (DESIGN §2, §3 rule 1), built in one place for every path that asks
// an adapter about rows: `run` (preflight, submit and query, from the journal) and `validate` / `run
// --dry-run` (preflight, from the validator, nothing journaled). Two builders had drifted: validate's
// preflight saw `extra.*` / `field.*` columns in `fields` and empty `extra` / `additional`, and references
// derived from a placeholder batch key, where the run's saw them split and derived from the file.
import { DateTime } from 'luxon';
import type { PayoutRecord } from '../journal/store.ts';
import type { PayoutRequest } from '../providers/types.ts';
import { formatMinor } from '../validate/currencies.ts';

/**
 * The seed of a batch's derived references and its id: `<yyyymmdd>-<8 hex of the file's SHA-256>`, the
 * day (UTC) the file is read. `validate` uses it too, so the references it checks are the ones a run the
 * same day would send.
 */
export function batchKeyOf(sha256: string, now: DateTime = DateTime.utc()): string {
  return `${now.toUTC().toFormat('yyyyMMdd')}-${sha256.slice(0, 8)}`;
}

/** A row as the validator leaves it (a NewPayout) or as the journal holds it (a PayoutRecord). */
export type RequestRow = Pick<PayoutRecord, 'rowNumber' | 'merchantReference' | 'amountMinor' | 'currency' | 'fields'> &
  Partial<Pick<PayoutRecord, 'prepared' | 'providerReference'>>;

/**
 * The PayoutRequest an adapter receives for `row`. `payoutId` keys a preflight's answers; `batchId` is
 * empty where there is no batch (validate). An unknown currency throws: guessing 2 decimals would misstate
 * the amount sent by a factor of 10^n (no validated row has one; a journal from another table might).
 */
export function buildRequest(row: RequestRow, ids: { payoutId: string; batchId: string }): PayoutRequest {
  const fields: Record<string, string> = {};
  const extra: Record<string, string> = {};
  const additional: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.fields)) {
    if (k.startsWith('extra.')) extra[k.slice(6)] = v;
    else if (k.startsWith('field.')) additional[k.slice(6)] = v;
    else fields[k] = v;
  }
  const currency = row.currency ?? '';
  const amountMinor = row.amountMinor ?? 0n;
  return {
    payoutId: ids.payoutId,
    batchId: ids.batchId,
    rowNumber: row.rowNumber,
    merchantReference: row.merchantReference ?? '',
    amountMinor,
    amount: formatMinor(amountMinor, currency),
    currency,
    fields,
    extra,
    additional,
    prepared: row.prepared ?? undefined,
    providerReference: row.providerReference ?? undefined,
  };
}

/** The request for a journaled row. */
export function toRequest(p: PayoutRecord): PayoutRequest {
  return buildRequest(p, { payoutId: p.id, batchId: p.batchId });
}
