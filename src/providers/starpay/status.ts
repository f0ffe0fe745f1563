// Starpay `trxState` → canonical status. The disbursement enum is not published [U]; the table follows
// PROVIDERS.md "Decisions": SUCCESS is final success, FAIL/FAILED/CLOSE final failure, REVERSED a return
// after payment, anything else pending (and logged once by the client, so a new value gets noticed).
// PROCESSING and PENDING are the sandbox's in-flight values, listed so they are not reported as unmapped.
// Config `trxStates` adds to or overrides this table without a code change.
import type { CanonicalStatus } from '../types.ts';
import { statusTable, upperTrimmed, type MappedStatus, type StatusTable } from '../status-table.ts';

export const TRX_STATES: Readonly<Record<string, CanonicalStatus>> = Object.freeze({
  SUCCESS: 'succeeded',
  FAIL: 'failed',
  FAILED: 'failed',
  CLOSE: 'failed',
  REVERSED: 'reversed',
  PROCESSING: 'pending',
  PENDING: 'pending',
});

export type MappedState = MappedStatus;

const builtIn = statusTable(TRX_STATES, upperTrimmed);
/** One table per overrides object (the config's `trxStates`), built on first use. */
const withOverrides = new WeakMap<object, StatusTable>();

/** The trxState table (compared upper-case, trimmed) with config `trxStates`, which win. */
export function trxStateTable(overrides: Readonly<Record<string, CanonicalStatus>> = {}): StatusTable {
  if (Object.keys(overrides).length === 0) return builtIn;
  let table = withOverrides.get(overrides);
  if (!table) {
    table = statusTable([...Object.entries(TRX_STATES), ...Object.entries(overrides)], upperTrimmed);
    withOverrides.set(overrides, table);
  }
  return table;
}

/** Maps a raw trxState; overrides come from config `trxStates` and win. */
export function mapTrxState(raw: string, overrides: Readonly<Record<string, CanonicalStatus>> = {}): MappedState {
  return trxStateTable(overrides).map(raw);
}
