// The delivery outbox (DESIGN §12): notifications recorded before they are sent, each with its audit event.
// A delivery is open until delivered or given up; its row stays, so a known id is never enqueued again.
import type Database from 'better-sqlite3';
import type { Delivery, DeliveryOutbox } from '../contract.ts';
import type { SqliteAudit } from './audit.ts';
import { deliveryFromRow, detailJson, now, type Row } from './codec.ts';

const OPEN = 'delivered_at IS NULL AND gave_up_at IS NULL';

export class SqliteDeliveries implements DeliveryOutbox {
  constructor(
    private readonly db: Database.Database,
    private readonly audit: SqliteAudit,
  ) {}

  enqueueDelivery(d: Pick<Delivery, 'id' | 'event' | 'batchId' | 'channel' | 'payload'> & { nextAttemptAt?: number }): boolean {
    return this.db.transaction(() => {
      const added = this.db
        .prepare(
          `INSERT INTO deliveries (id, event, batch_id, channel, payload_json, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO NOTHING`,
        )
        .run(d.id, d.event, d.batchId, d.channel, detailJson(d.payload), d.nextAttemptAt ?? Date.now(), now()).changes === 1;
      if (added) this.audit.event('delivery-queued', d.batchId, null, null, null, { id: d.id, event: d.event, channel: d.channel });
      return added;
    })();
  }

  dueDeliveries(at: number, limit: number): Delivery[] {
    return (this.db.prepare(`SELECT * FROM deliveries WHERE ${OPEN} AND next_attempt_at <= ? ORDER BY rowid LIMIT ?`).all(at, limit) as Row[]).map(deliveryFromRow);
  }

  /** Only an open delivery changes: one given up (or delivered by another attempt) stays as it is. */
  private settle(id: string, set: string, values: unknown[], event: string, detail: Record<string, unknown>): void {
    this.db.transaction(() => {
      const row = this.db.prepare(`SELECT batch_id, event, channel FROM deliveries WHERE id = ? AND ${OPEN}`).get(id) as Row | undefined;
      if (!row) return;
      this.db.prepare(`UPDATE deliveries SET attempts = attempts + 1, ${set} WHERE id = ?`).run(...values, id);
      this.audit.event(event, (row.batch_id as string) ?? null, null, null, null, { id, event: row.event, channel: row.channel, ...detail });
    })();
  }

  markDelivered(id: string): void {
    this.settle(id, 'delivered_at = ?', [now()], 'delivery-sent', {});
  }

  markDeliveryFailed(id: string, error: string, nextAttemptAt: number | null): void {
    if (nextAttemptAt === null) this.settle(id, 'gave_up_at = ?, last_error = ?', [now(), error], 'delivery-given-up', { error });
    else this.db.prepare(`UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND ${OPEN}`).run(error, nextAttemptAt, id);
  }

  deliveriesPending(): number {
    return (this.db.prepare(`SELECT COUNT(*) n FROM deliveries WHERE ${OPEN}`).get() as { n: number }).n;
  }

  deliveriesGivenUp(limit: number): Delivery[] {
    return (this.db.prepare('SELECT * FROM deliveries WHERE gave_up_at IS NOT NULL ORDER BY gave_up_at DESC, id LIMIT ?').all(limit) as Row[]).map(deliveryFromRow);
  }

  getDelivery(id: string): Delivery | undefined {
    const r = this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return r ? deliveryFromRow(r) : undefined;
  }
}
