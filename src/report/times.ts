// Times shown to people in the reports (DESIGN §12 `timezone`): the journal's UTC ISO-8601 instants as wall
// time in the configured IANA zone, with its offset ("2024-05-01 07:00:01 -03:00"). The CSV results and the
// JSON keep UTC ISO-8601; this is only for the reconciliation and the XLSX cells people read.
import { DateTime, IANAZone } from 'luxon';

const FORMAT = 'yyyy-MM-dd HH:mm:ss ZZ';
/** The journal's instants (toISOString): split at the minute, whose offset is cached. */
const UTC_ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::(\d{2})(?:\.\d+)?)?Z$/;
const CACHE_LIMIT = 4096;

export class ShownTime {
  /** Wall-clock minute and offset per UTC minute: luxon costs ~30 µs a call, and results.xlsx shows two per row. */
  private readonly minutes = new Map<string, { minute: string; offset: string }>();

  constructor(readonly zone: string = 'UTC') {
    if (!IANAZone.isValidZone(zone)) throw new Error(`timezone ${JSON.stringify(zone)} is not an IANA time zone name`);
  }

  /** `iso` in the zone; '' for ''; text that is not an ISO-8601 time is returned as it is. */
  text(iso: string): string {
    if (iso === '') return '';
    const m = UTC_ISO.exec(iso);
    if (!m) {
      const t = DateTime.fromISO(iso, { zone: 'utc' });
      return t.isValid ? t.setZone(this.zone).toFormat(FORMAT) : iso;
    }
    // Zone offsets change on whole minutes (tzdata since 1970), so a minute's offset holds for its seconds.
    let at = this.minutes.get(m[1]!);
    if (!at) {
      const t = DateTime.fromISO(`${m[1]}Z`, { zone: 'utc' }).setZone(this.zone);
      if (!t.isValid) return iso;
      if (this.minutes.size >= CACHE_LIMIT) this.minutes.clear();
      at = { minute: t.toFormat('yyyy-MM-dd HH:mm'), offset: t.toFormat('ZZ') };
      this.minutes.set(m[1]!, at);
    }
    return `${at.minute}:${m[2] ?? '00'} ${at.offset}`;
  }
}
