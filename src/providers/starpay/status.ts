// Starpay `trxState` → canonical status. The disbursement enum is not published [U]; the table follows
// PROVIDERS.md "Decisions": SUCCESS is final success, FAIL/FAILED/CLOSE final failure, REVERSED a return
// after payment, anything else pending (and logged once by the client, so a new value gets noticed).
// PROCESSING and PENDING are the sandbox's in-flight values, listed so they are not reported as unmapped.
// Config `trxStates` adds to or overrides this table without a code change.
import type { CanonicalStatus } from '../types.ts';

export const TRX_STATES: Readonly<Record<string, CanonicalStatus>> = Object.freeze({
  SUCCESS: 'succeeded',
  FAIL: 'failed',
  FAILED: 'failed',
  CLOSE: 'failed',
  REVERSED: 'reversed',
  PROCESSING: 'pending',
  PENDING: 'pending',
});

export interface MappedState {
  canonical: CanonicalStatus;
  /** False when the value is in no table (treated as pending). */
  known: boolean;
}

/** Maps a raw trxState (compared upper-case, trimmed); overrides come from config `trxStates`. */
export function mapTrxState(raw: string, overrides: Readonly<Record<string, CanonicalStatus>> = {}): MappedState {
  const key = raw.trim().toUpperCase();
  for (const [name, canonical] of Object.entries(overrides)) {
    if (name.trim().toUpperCase() === key) return { canonical, known: true };
  }
  return Object.hasOwn(TRX_STATES, key) ? { canonical: TRX_STATES[key]!, known: true } : { canonical: 'pending', known: false };
}
