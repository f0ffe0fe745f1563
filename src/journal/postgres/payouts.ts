// Payouts in the shared journal: the sheet's rows, their state changes (checked against the transition table,
// one event each, fenced by claims) and their problems. Each change is one statement, so one round trip.
import type { EventNote, NewPayout, PayoutPatch, PayoutRecord, PayoutStore } from '../contract.ts';
import { LeaseLostError, splitPayoutId } from '../contract.ts';
import { IllegalTransitionError, OPEN_STATUSES, PAYOUT_STATUSES, assertTransition, canTransition, type PayoutStatus } from '../states.ts';
import type { RowProblem } from '../../validate/problem.ts';
import { detailJson, now, payoutAssignments, payoutOf, PAYOUT_SELECT } from './codec.ts';
import { Params, type Row, type Session } from './session.ts';

/** Streamed reads take this many rows per round trip. */
const PAGE = 1000;

/** SQL: this process (holder `h`) may change the row: no one holds it, or it does and its lease is alive. */
export const mayWrite = (h: string) =>
  `(claimed_by IS NULL OR (claimed_by = ${h} AND EXISTS (SELECT 1 FROM processes WHERE holder = ${h} AND lease_until > clock_timestamp())))`;

/** SQL: the row `alias` is held by no live process. */
export const heldByNoLiveProcess = (alias: string) =>
  `NOT EXISTS (SELECT 1 FROM processes q WHERE q.holder = ${alias}.claimed_by AND q.lease_until > clock_timestamp())`;

const leaseLost = (id: string) => new LeaseLostError(`payout ${id} is held by another process, or this process's lease expired: not changed`);

export class PostgresPayouts implements PayoutStore {
  constructor(
    private readonly session: Session,
    private readonly holder: string,
  ) {}

  insertRows(batchId: string, provider: string, rows: NewPayout[], problems: RowProblem[]): { duplicates: number } {
    // A row number twice in one chunk is a caller's bug the unique checks below would not all catch.
    if (new Set(rows.map((r) => r.rowNumber)).size !== rows.length) throw new Error(`a chunk of batch ${batchId} names a row twice`);
    // One statement for the whole chunk (arrays, not a statement per row): all of it is journaled, or none.
    const r = this.session.write(
      `WITH input AS (
         SELECT * FROM unnest($4::int[], $5::text[], $6::text[], $7::numeric[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY
           AS t(row_number, merchant_reference, status, amount_minor, currency, original_json, error_message, ord)),
       kept AS (
         INSERT INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor, currency, original_json, error_message, updated_at)
         SELECT $1, row_number, $2, merchant_reference, status, amount_minor, currency, original_json, error_message, $3 FROM input ORDER BY ord
         ON CONFLICT (provider, merchant_reference) WHERE merchant_reference IS NOT NULL AND status NOT IN ('invalid', 'duplicate') DO NOTHING
         RETURNING row_number),
       duplicates AS (
         INSERT INTO payouts (batch_id, row_number, provider, merchant_reference, status, amount_minor, currency, original_json, error_code, error_message, updated_at)
         SELECT $1, row_number, $2, merchant_reference, 'duplicate', amount_minor, currency, original_json, 'DUPLICATE_REFERENCE',
                'reference ' || merchant_reference || ' was already used for another payout; not sent again', $3
           FROM input WHERE row_number NOT IN (SELECT row_number FROM kept) ORDER BY ord
         RETURNING 1),
       problems AS (
         INSERT INTO row_errors (batch_id, row_number, column_name, value, rule, message)
         SELECT $1, row_number, column_name, value, rule, message
           FROM unnest($11::int[], $12::text[], $13::text[], $14::text[], $15::text[]) WITH ORDINALITY AS e(row_number, column_name, value, rule, message, ord)
          ORDER BY ord)
       SELECT count(*) AS duplicates FROM duplicates`,
      [
        batchId,
        provider,
        now(),
        rows.map((x) => x.rowNumber),
        rows.map((x) => x.merchantReference),
        rows.map((x) => x.status),
        rows.map((x) => (x.amountMinor === null ? null : x.amountMinor.toString())),
        rows.map((x) => x.currency),
        rows.map((x) => JSON.stringify(x.original)),
        rows.map((x) => x.errorMessage ?? null),
        problems.map((x) => x.row),
        problems.map((x) => x.column),
        problems.map((x) => x.value),
        problems.map((x) => x.rule),
        problems.map((x) => x.message),
      ],
    );
    return { duplicates: r.rows[0]!.duplicates as number };
  }

  getPayout(id: string): PayoutRecord | undefined {
    const key = splitPayoutId(id);
    const r = key ? this.session.row(`${PAYOUT_SELECT} WHERE p.batch_id = $1 AND p.row_number = $2`, key) : undefined;
    return r ? payoutOf(r) : undefined;
  }

  payoutByReference(provider: string, reference: string): PayoutRecord | undefined {
    const r = this.session.row(`${PAYOUT_SELECT} WHERE p.provider = $1 AND p.merchant_reference = $2 AND p.status NOT IN ('invalid', 'duplicate')`, [provider, reference]);
    return r ? payoutOf(r) : undefined;
  }

  findPayoutForCallback(provider: string, merchantReference: string, providerReference?: string): PayoutRecord | undefined {
    if (merchantReference) {
      const p = this.payoutByReference(provider, merchantReference);
      if (p) return p;
    }
    if (providerReference) {
      const r = this.session.row(`${PAYOUT_SELECT} WHERE p.provider = $1 AND p.provider_reference = $2 ORDER BY p.batch_id, p.row_number LIMIT 1`, [provider, providerReference]);
      if (r) return payoutOf(r);
    }
    return undefined;
  }

  payoutsOf(batchId: string, statuses?: readonly PayoutStatus[], limit = -1): PayoutRecord[] {
    const where = statuses ? 'AND p.status = ANY($3::text[])' : '';
    // LIMIT NULL: every row.
    return this.session
      .rows(`${PAYOUT_SELECT} WHERE p.batch_id = $1 ${where} ORDER BY p.row_number LIMIT $2`, [batchId, limit < 0 ? null : limit, ...(statuses ? [statuses] : [])])
      .map(payoutOf);
  }

  /** A page per round trip (keyset on the row number): a large batch is never held whole, and no cursor is left open. */
  *iteratePayouts(batchId: string): Generator<PayoutRecord> {
    for (let after = -1; ; ) {
      const page = this.session.rows(`${PAYOUT_SELECT} WHERE p.batch_id = $1 AND p.row_number > $2 ORDER BY p.row_number LIMIT ${PAGE}`, [batchId, after]);
      for (const r of page) yield payoutOf(r);
      if (page.length < PAGE) return;
      after = page.at(-1)!.row_number as number;
    }
  }

  counts(batchId: string): Record<PayoutStatus, number> {
    const out = Object.fromEntries(PAYOUT_STATUSES.map((s) => [s, 0])) as Record<PayoutStatus, number>;
    for (const r of this.session.rows('SELECT status, count(*) AS n FROM payouts WHERE batch_id = $1 GROUP BY status', [batchId])) out[r.status as PayoutStatus] = r.n as number;
    return out;
  }

  duePayouts(batchId: string, at: number, limit: number): PayoutRecord[] {
    return this.session
      .rows(
        `${PAYOUT_SELECT} WHERE p.batch_id = $1 AND p.status IN ('submitted', 'unknown') AND COALESCE(p.next_check_at, 0) <= $2
          ORDER BY p.next_check_at NULLS FIRST, p.row_number LIMIT $3`,
        [batchId, at, limit],
      )
      .map(payoutOf);
  }

  nextDueAt(batchId: string): number | null {
    const r = this.session.row(`SELECT min(COALESCE(next_check_at, 0)) AS t FROM payouts WHERE batch_id = $1 AND status IN ('submitted', 'unknown')`, [batchId]);
    return (r?.t as number | null) ?? null;
  }

  transition(id: string, to: PayoutStatus, patch: PayoutPatch, event: EventNote, from?: readonly PayoutStatus[]): void {
    const key = splitPayoutId(id);
    if (!key) throw new Error(`no payout ${id}`);
    const p = new Params();
    const [batch, row, holder] = [p.add(key[0]), p.add(key[1]), p.add(this.holder)];
    const at = now();
    const sets = payoutAssignments(patch, at, p);
    const status = p.add(to);
    sets.push(`status = ${status}`);
    // A row leaving the open statuses needs no one's hands any more.
    if (!OPEN_STATUSES.includes(to)) sets.push('claimed_by = NULL');
    // The table's check made in the statement: the change applies from these states only.
    const allowed = PAYOUT_STATUSES.filter((s) => canTransition(s, to) && (!from || from.includes(s)));
    const r = this.session.write(
      `WITH cur AS (
         SELECT status, claimed_by, ${mayWrite(holder)} AS may_write FROM payouts WHERE batch_id = ${batch} AND row_number = ${row}),
       changed AS (
         UPDATE payouts p SET ${sets.join(', ')} FROM cur
          WHERE p.batch_id = ${batch} AND p.row_number = ${row} AND p.status = cur.status AND p.claimed_by IS NOT DISTINCT FROM cur.claimed_by
            AND cur.may_write AND cur.status = ANY(${p.add(allowed)}::text[])
         RETURNING cur.status AS from_status),
       logged AS (
         INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail)
         SELECT ${p.add(at)}, ${batch}, ${p.add(id)}, ${p.add(event.type)}, from_status, ${status}, ${p.add(event.detail === undefined ? null : detailJson(event.detail))} FROM changed)
       SELECT cur.status, cur.may_write, EXISTS (SELECT 1 FROM changed) AS changed FROM cur`,
      p.values,
    ).rows[0];
    if (!r) throw new Error(`no payout ${id}`);
    if (r.changed) return;
    // Nothing changed: say why, from the row as it is now (it may have moved on since the statement read it).
    const current = r.may_write ? this.session.row(`SELECT status, ${mayWrite('$3')} AS may_write FROM payouts WHERE batch_id = $1 AND row_number = $2`, [...key, this.holder]) : r;
    if (!current) throw new Error(`no payout ${id}`);
    if (!current.may_write) throw leaseLost(id);
    assertTransition(id, current.status as PayoutStatus, to, from);
    throw new IllegalTransitionError(`payout ${id} is no longer ${r.status as string}`);
  }

  touch(id: string, patch: PayoutPatch, from?: readonly PayoutStatus[]): boolean {
    const key = splitPayoutId(id);
    if (!key) return false;
    const p = new Params();
    const [batch, row, holder] = [p.add(key[0]), p.add(key[1]), p.add(this.holder)];
    const sets = payoutAssignments(patch, now(), p);
    const guard = from ? `AND p.status = ANY(${p.add(from)}::text[])` : '';
    const r = this.session.write(
      `WITH cur AS (SELECT claimed_by, ${mayWrite(holder)} AS may_write FROM payouts WHERE batch_id = ${batch} AND row_number = ${row}),
       changed AS (
         UPDATE payouts p SET ${sets.join(', ')} FROM cur
          WHERE p.batch_id = ${batch} AND p.row_number = ${row} AND p.claimed_by IS NOT DISTINCT FROM cur.claimed_by AND cur.may_write ${guard}
         RETURNING 1)
       SELECT cur.may_write, EXISTS (SELECT 1 FROM changed) AS changed FROM cur`,
      p.values,
    ).rows[0];
    if (!r) return false;
    if (!r.may_write) throw leaseLost(id);
    return r.changed as boolean;
  }

  recoverInFlight(): number {
    // Only rows no live process holds: a live process's requests in flight are its own (DESIGN §11). One
    // statement for all of them, each row with its own event.
    const at = now();
    const r = this.session.write(
      `WITH stale AS (
         SELECT batch_id, row_number FROM payouts p WHERE status = 'submitting' AND (claimed_by IS NULL OR ${heldByNoLiveProcess('p')})
          ORDER BY batch_id, row_number FOR UPDATE SKIP LOCKED),
       recovered AS (
         UPDATE payouts p SET status = 'unknown', next_check_at = 0, claimed_by = NULL, updated_at = $1
           FROM stale WHERE p.batch_id = stale.batch_id AND p.row_number = stale.row_number AND p.status = 'submitting'
         RETURNING p.batch_id, p.row_number),
       logged AS (
         INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail)
         SELECT $1, batch_id, batch_id || '-' || row_number, 'recovered-in-flight', 'submitting', 'unknown', $2 FROM recovered ORDER BY batch_id, row_number)
       SELECT count(*) AS n FROM recovered`,
      [at, detailJson({ reason: 'process stopped while submitting' })],
    );
    return r.rows[0]!.n as number;
  }

  /** Keyset pages in the order journaled: the whole file's problems (no row) first, then by row. */
  *iterateRowErrors(batchId: string): Generator<RowProblem> {
    const file = (this.session.row('SELECT file_name FROM batches WHERE id = $1', [batchId])?.file_name as string | undefined) ?? '';
    for (let after: [number, number] = [-2, 0]; ; ) {
      const page = this.session.rows(
        `SELECT id, row_number, COALESCE(row_number, -1) AS sort_row, column_name, value, rule, message FROM row_errors
          WHERE batch_id = $1 AND (COALESCE(row_number, -1), id) > ($2, $3) ORDER BY COALESCE(row_number, -1), id LIMIT ${PAGE}`,
        [batchId, ...after],
      );
      for (const r of page)
        yield { file, row: r.row_number as number | null, column: r.column_name as string, value: r.value as string, rule: r.rule as string, message: r.message as string };
      if (page.length < PAGE) return;
      const last: Row = page.at(-1)!;
      after = [last.sort_row as number, last.id as number];
    }
  }

  countRowErrors(batchId: string): number {
    return this.session.row('SELECT count(*) AS n FROM row_errors WHERE batch_id = $1', [batchId])!.n as number;
  }
}
