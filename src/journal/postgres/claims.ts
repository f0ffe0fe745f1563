// Claims (DESIGN §11, contract.ts PayoutClaims): a row is in one process's hands at a time, taken with
// FOR UPDATE SKIP LOCKED under this process's lease (renewed by the worker's heartbeat, on the server's clock).
import type { PayoutClaims, PayoutRecord, ProcessRecord } from '../contract.ts';
import { LeaseLostError, splitPayoutId } from '../contract.ts';
import type { PayoutStatus } from '../states.ts';
import type { Bridge } from './bridge.ts';
import { now, payoutOf } from './codec.ts';
import { heldByNoLiveProcess } from './payouts.ts';
import type { Row, Session } from './session.ts';

/** The bucket's tokens after refilling: what it held plus the time since, at `perSecond`, at most `burst`. */
const AVAILABLE = 'least($4::float8, b.tokens + $3::float8 * greatest(0, extract(epoch FROM t.at - b.refilled_at)))';

export class PostgresClaims implements PayoutClaims {
  constructor(
    private readonly session: Session,
    private readonly bridge: Bridge,
    readonly holder: string,
  ) {}

  /**
   * Takes up to `limit` rows of `batchId` matching `where` (the row is `p`) that no live process holds, in `order`,
   * skipping rows another transaction has locked; answers them sorted by `sorter`.
   */
  private take(batchId: string, where: string, order: string, values: unknown[], limit: number, sorter: (a: PayoutRecord, b: PayoutRecord) => number): PayoutRecord[] {
    const taken = this.session.write(
      `WITH picked AS (
         SELECT p.batch_id, p.row_number FROM payouts p
          WHERE p.batch_id = $1 AND ${where} AND (p.claimed_by IS NULL OR p.claimed_by = $2 OR ${heldByNoLiveProcess('p')})
            AND EXISTS (SELECT 1 FROM processes WHERE holder = $2 AND lease_until > clock_timestamp())
          ORDER BY ${order} LIMIT $3
          FOR UPDATE OF p SKIP LOCKED),
       taken AS (
         UPDATE payouts t SET claimed_by = $2 FROM picked WHERE t.batch_id = picked.batch_id AND t.row_number = picked.row_number
         RETURNING t.*)
       SELECT taken.*, (SELECT b.columns_json FROM batches b WHERE b.id = taken.batch_id) AS columns_json FROM taken`,
      [batchId, this.holder, limit, ...values],
    ).rows;
    if (!taken.length) this.assertLease();
    return taken.map(payoutOf).sort(sorter);
  }

  claim(batchId: string, statuses: readonly PayoutStatus[], limit: number): PayoutRecord[] {
    return this.take(batchId, 'p.status = ANY($4::text[])', 'p.row_number', [statuses], limit, (a, b) => a.rowNumber - b.rowNumber);
  }

  claimDue(batchId: string, at: number, limit: number): PayoutRecord[] {
    return this.take(
      batchId,
      `p.status IN ('submitted', 'unknown') AND COALESCE(p.next_check_at, 0) <= $4`,
      'p.next_check_at NULLS FIRST, p.row_number',
      [at],
      limit,
      (a, b) => (a.nextCheckAt ?? -Infinity) - (b.nextCheckAt ?? -Infinity) || a.rowNumber - b.rowNumber,
    );
  }

  /** Nothing was taken: was it because this process's lease is gone? */
  private assertLease(): void {
    const r = this.session.row('SELECT lease_until > clock_timestamp() AS alive FROM processes WHERE holder = $1', [this.holder]);
    if (!r?.alive) throw new LeaseLostError('this process lost its lease on the shared journal: re-open the journal to continue');
  }

  renew(): void {
    this.bridge.call({ type: 'renew' });
  }

  release(ids?: readonly string[]): void {
    // `submitting` rows stay held: their requests may be out (DESIGN §3 rule 2); the lease covers them.
    if (!ids) {
      this.session.write(`UPDATE payouts SET claimed_by = NULL WHERE claimed_by = $1 AND status <> 'submitting'`, [this.holder]);
      return;
    }
    const keys = ids.map(splitPayoutId).filter((k): k is [string, number] => k !== undefined);
    this.session.write(
      `UPDATE payouts SET claimed_by = NULL
        WHERE claimed_by = $1 AND status <> 'submitting' AND (batch_id, row_number) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
      [this.holder, keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
  }

  markDue(payoutId: string): void {
    const key = splitPayoutId(payoutId);
    if (!key) return;
    const at = Date.now();
    this.session.write('UPDATE payouts SET next_check_at = LEAST(COALESCE(next_check_at, $3), $3), updated_at = $4 WHERE batch_id = $1 AND row_number = $2', [
      ...key,
      at,
      now(),
    ]);
  }

  processes(): ProcessRecord[] {
    return this.session
      .rows(
        `SELECT holder, host, pid, command, to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS heartbeat_at,
                (SELECT count(*) FROM payouts WHERE claimed_by = q.holder) AS rows_claimed
           FROM processes q WHERE lease_until > clock_timestamp() AND closed_at IS NULL ORDER BY started_at, holder`,
      )
      .map((r: Row) => ({
        holder: r.holder as string,
        host: r.host as string,
        pid: r.pid as number,
        command: r.command as string,
        heartbeatAt: r.heartbeat_at as string,
        rowsClaimed: r.rows_claimed as number,
      }));
  }

  takeTokens(key: string, want: number, perSecond: number, burst: number): number {
    const wanted = Math.max(0, Math.floor(want));
    // One UPDATE, which locks the bucket and computes from the row as locked: concurrent takes never overlap.
    // The clock is read once (t); a take that waited for the lock never moves refilled_at back.
    const take = () =>
      this.session.write(
        `UPDATE token_buckets b SET
           granted = least($2::int, floor(${AVAILABLE}))::int,
           tokens = ${AVAILABLE} - least($2::int, floor(${AVAILABLE})),
           refilled_at = greatest(b.refilled_at, t.at)
          FROM (SELECT clock_timestamp() AS at) t
         WHERE b.key = $1
         RETURNING b.granted`,
        [key, wanted, perSecond, burst],
      ).rows[0]?.granted as number | undefined;
    const granted = take();
    if (granted !== undefined) return granted;
    // A new bucket starts full.
    this.session.write('INSERT INTO token_buckets (key, tokens, refilled_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT (key) DO NOTHING', [key, burst]);
    return take() ?? 0;
  }
}
