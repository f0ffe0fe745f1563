// The one status-table helper every provider's status.ts uses (DESIGN §2: table-driven, raw code kept).
// Raw codes are looked up as keys of a Map, never as properties of an object: a provider answering
// `constructor`, `__proto__` or `toString` must read as an unmapped code, not as something inherited from
// Object.prototype. An unmapped code is `pending` with known=false, never a guessed final state: polling
// goes on and the poll deadline turns the row into needs_review.
import type { Logger } from '../log.ts';
import type { CanonicalStatus } from './types.ts';

export interface MappedStatus {
  canonical: CanonicalStatus;
  /** False when the raw value is in no table (the client logs it once). */
  known: boolean;
}

export interface StatusTable {
  map(raw: string): MappedStatus;
  /** The canonical status of a raw value, or undefined when the table does not list it. */
  get(raw: string): CanonicalStatus | undefined;
}

type Entries = Iterable<readonly [string, CanonicalStatus]> | Readonly<Record<string, CanonicalStatus>>;

/**
 * A table from raw codes to canonical statuses. `normalise` is applied to the table's keys and to every
 * looked-up value alike (e.g. trim + upper case). Later entries win over earlier ones for the same key.
 */
export function statusTable(entries: Entries, normalise: (raw: string) => string = (raw) => raw): StatusTable {
  const pairs: Iterable<readonly [string, CanonicalStatus]> =
    Symbol.iterator in Object(entries) ? (entries as Iterable<readonly [string, CanonicalStatus]>) : Object.entries(entries);
  const byKey = new Map<string, CanonicalStatus>();
  for (const [raw, canonical] of pairs) byKey.set(normalise(raw), canonical);
  const get = (raw: string) => byKey.get(normalise(raw));
  return {
    get,
    map(raw) {
      const canonical = get(raw);
      return canonical === undefined ? { canonical: 'pending', known: false } : { canonical, known: true };
    },
  };
}

export const upperTrimmed = (raw: string): string => raw.trim().toUpperCase();
export const lowerTrimmed = (raw: string): string => raw.trim().toLowerCase();

/**
 * A client's view of its table: maps raw values and logs each value no table lists once (as `field`), so a
 * status the provider adds later gets noticed without flooding the log at every poll.
 */
export function statusReader(table: StatusTable, log: Logger, message: string, field = 'rawStatus'): (raw: string) => MappedStatus {
  const logged = new Set<string>();
  return (raw) => {
    const mapped = table.map(raw);
    if (!mapped.known && !logged.has(raw)) {
      logged.add(raw);
      log.warn(message, { [field]: raw === '' ? '(missing)' : raw });
    }
    return mapped;
  };
}
