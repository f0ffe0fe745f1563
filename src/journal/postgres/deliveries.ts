// The delivery outbox (DESIGN §12): one row per notification, recorded before it is sent; due ones are claimed
// like payouts (FOR UPDATE SKIP LOCKED under this process's lease), so one process sends a delivery at a time.
import type { Delivery, DeliveryOutbox } from '../contract.ts';
import { detailJson, now } from './codec.ts';
import { deliveryFromRow } from '../sqlite/codec.ts';
import { heldByNoLiveProcess } from './payouts.ts';
import type { PostgresAudit } from './audit.ts';
import { Params, type Row, type Session } from './session.ts';

const PENDING = 'delivered_at IS NULL AND gave_up_at IS NULL';

export class PostgresDeliveries implements DeliveryOutbox {
  constructor(
    private readonly session: Session,
    private readonly holder: string,
    private readonly audit: PostgresAudit,
  ) {}

  /** The row and its `delivery-queued` event in one transaction (the event rides with COMMIT). */
  enqueueDelivery(d: Pick<Delivery, 'id' | 'event' | 'batchId' | 'channel' | 'payload'> & { nextAttemptAt?: number }): boolean {
    return this.session.transaction(() => {
      const added =
        this.session.write(
          `INSERT INTO deliveries (id, event, batch_id, channel, payload_json, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO NOTHING`,
          [d.id, d.event, d.batchId, d.channel, detailJson(d.payload), d.nextAttemptAt ?? Date.now(), now()],
        ).rowCount === 1;
      if (added) this.audit.event('delivery-queued', d.batchId, null, null, null, { id: d.id, event: d.event, channel: d.channel });
      return added;
    });
  }

  /** Claimed under this process's lease (FOR UPDATE SKIP LOCKED), oldest first by insertion order (seq). */
  dueDeliveries(at: number, limit: number): Delivery[] {
    const rows = this.session.write(
      `WITH picked AS (
         SELECT id FROM deliveries d
          WHERE ${PENDING} AND next_attempt_at <= $1 AND (claimed_by IS NULL OR claimed_by = $3 OR ${heldByNoLiveProcess('d')})
            AND EXISTS (SELECT 1 FROM processes WHERE holder = $3 AND lease_until > clock_timestamp())
          ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE deliveries d SET claimed_by = $3 FROM picked WHERE d.id = picked.id RETURNING d.*`,
      [at, limit, this.holder],
    ).rows;
    return rows.sort((a, b) => (a.seq as number) - (b.seq as number)).map(deliveryFromRow);
  }

  /**
   * Only an open delivery changes (one given up, or delivered by another attempt, stays as it is), with one more
   * attempt and its event (batch, {id, event, channel, …detail}) in the same transaction.
   */
  private settle(id: string, set: string, values: unknown[], fence: boolean, event: string | null, detail: Record<string, unknown>): void {
    const p = new Params();
    p.add(id);
    const sets = set.replace(/\?/g, () => p.add(values.shift()));
    const guard = fence ? `AND (claimed_by IS NULL OR claimed_by = ${p.add(this.holder)})` : '';
    const update = () =>
      this.session.write(
        `UPDATE deliveries SET attempts = attempts + 1, ${sets}, claimed_by = NULL WHERE id = $1 AND ${PENDING} ${guard} RETURNING batch_id, event, channel`,
        p.values,
      ).rows[0];
    // No event (a retry): the one statement alone, one round trip.
    if (!event) return void update();
    this.session.transaction(() => {
      const r = update();
      if (r) this.audit.event(event, (r.batch_id as string) ?? null, null, null, null, { id, event: r.event, channel: r.channel, ...detail });
    });
  }

  /** Recorded whoever holds it: a delivery made is never to be made again. */
  markDelivered(id: string): void {
    this.settle(id, 'delivered_at = ?', [now()], false, 'delivery-sent', {});
  }

  /** By the holder (or when no one holds it): a late failure of a process whose claim was taken over changes nothing. */
  markDeliveryFailed(id: string, error: string, nextAttemptAt: number | null): void {
    if (nextAttemptAt === null) this.settle(id, 'gave_up_at = ?, last_error = ?', [now(), error], true, 'delivery-given-up', { error });
    else this.settle(id, 'last_error = ?, next_attempt_at = ?', [error, nextAttemptAt], true, null, {});
  }

  deliveriesPending(): number {
    return this.session.row(`SELECT count(*) AS n FROM deliveries WHERE ${PENDING}`)!.n as number;
  }

  deliveriesGivenUp(limit: number): Delivery[] {
    return this.session.rows('SELECT * FROM deliveries WHERE gave_up_at IS NOT NULL ORDER BY gave_up_at DESC, id LIMIT $1', [limit]).map(deliveryFromRow);
  }

  getDelivery(id: string): Delivery | undefined {
    const r = this.session.row('SELECT * FROM deliveries WHERE id = $1', [id]);
    return r ? deliveryFromRow(r) : undefined;
  }
}
