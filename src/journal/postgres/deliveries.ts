// The delivery outbox (DESIGN §12): one row per notification, recorded before it is sent; due ones are claimed
// like payouts (FOR UPDATE SKIP LOCKED under this process's lease), so one process sends a delivery at a time.
import type { Delivery, DeliveryOutbox } from '../contract.ts';
import { detailJson, now } from './codec.ts';
import { heldByNoLiveProcess } from './payouts.ts';
import type { Row, Session } from './session.ts';

function deliveryOf(r: Row): Delivery {
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

const PENDING = 'delivered_at IS NULL AND gave_up_at IS NULL';

export class PostgresDeliveries implements DeliveryOutbox {
  constructor(
    private readonly session: Session,
    private readonly holder: string,
  ) {}

  enqueueDelivery(d: Pick<Delivery, 'id' | 'event' | 'batchId' | 'channel' | 'payload'> & { nextAttemptAt?: number }): boolean {
    return (
      this.session.write(
        `INSERT INTO deliveries (id, event, batch_id, channel, payload_json, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING`,
        [d.id, d.event, d.batchId, d.channel, detailJson(d.payload), d.nextAttemptAt ?? Date.now(), now()],
      ).rowCount === 1
    );
  }

  dueDeliveries(at: number, limit: number): Delivery[] {
    const rows = this.session.write(
      `WITH picked AS (
         SELECT id FROM deliveries d
          WHERE ${PENDING} AND next_attempt_at <= $1 AND (claimed_by IS NULL OR claimed_by = $3 OR ${heldByNoLiveProcess('d')})
            AND EXISTS (SELECT 1 FROM processes WHERE holder = $3 AND lease_until > clock_timestamp())
          ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE deliveries d SET claimed_by = $3 FROM picked WHERE d.id = picked.id RETURNING d.*`,
      [at, limit, this.holder],
    ).rows;
    return rows.map(deliveryOf).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /** Recorded whoever holds it: a delivery made is never to be made again. */
  markDelivered(id: string): void {
    this.session.write(`UPDATE deliveries SET delivered_at = $2, attempts = attempts + 1, last_error = NULL, claimed_by = NULL WHERE id = $1 AND delivered_at IS NULL`, [id, now()]);
  }

  markDeliveryFailed(id: string, error: string, nextAttemptAt: number | null): void {
    this.session.write(
      `UPDATE deliveries SET attempts = attempts + 1, last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at),
              gave_up_at = CASE WHEN $3::bigint IS NULL THEN $4 END, claimed_by = NULL
        WHERE id = $1 AND ${PENDING} AND (claimed_by IS NULL OR claimed_by = $5)`,
      [id, error, nextAttemptAt, now(), this.holder],
    );
  }

  deliveriesPending(): number {
    return this.session.row(`SELECT count(*) AS n FROM deliveries WHERE ${PENDING}`)!.n as number;
  }

  deliveriesGivenUp(limit: number): Delivery[] {
    return this.session.rows('SELECT * FROM deliveries WHERE gave_up_at IS NOT NULL ORDER BY gave_up_at DESC, id DESC LIMIT $1', [limit]).map(deliveryOf);
  }

  getDelivery(id: string): Delivery | undefined {
    const r = this.session.row('SELECT * FROM deliveries WHERE id = $1', [id]);
    return r ? deliveryOf(r) : undefined;
  }
}
