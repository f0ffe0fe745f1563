// The append-only audit trail (events; triggers refuse UPDATE and DELETE) and the attempts made at the provider.
import type Database from 'better-sqlite3';
import type { AttemptKind, AttemptRecord, AuditTrail, JournalEvent } from '../contract.ts';
import { detailJson, now, parseDetail, type Row } from './codec.ts';

export class SqliteAudit implements AuditTrail {
  private readonly insertEvent: Database.Statement;
  private readonly insertAttempt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertEvent = db.prepare('INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.insertAttempt = db.prepare('INSERT INTO attempts (payout_id, kind, started_at, finished_at, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
  }

  event(type: string, batchId: string | null, payoutId: string | null, from: string | null, to: string | null, detail?: unknown): void {
    this.insertEvent.run(now(), batchId, payoutId, type, from, to, detail === undefined ? null : detailJson(detail));
  }

  recordAttempt(payoutId: string, kind: AttemptKind, startedAt: string, outcome: string, detail?: unknown): void {
    this.insertAttempt.run(payoutId, kind, startedAt, now(), outcome, detail === undefined ? null : detailJson(detail));
  }

  eventsOf(filter: { batchId?: string; payoutId?: string; type?: string }): JournalEvent[] {
    const where: string[] = [];
    const values: string[] = [];
    for (const [column, value] of [['batch_id', filter.batchId], ['payout_id', filter.payoutId], ['type', filter.type]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      values.push(value);
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return (this.db.prepare(sql).all(...values) as Row[]).map((r) => ({
      at: r.at as string,
      batchId: (r.batch_id as string) ?? null,
      payoutId: (r.payout_id as string) ?? null,
      type: r.type as string,
      from: (r.from_status as string) ?? null,
      to: (r.to_status as string) ?? null,
      detail: parseDetail(r.detail),
    }));
  }

  attemptsOf(payoutId: string): AttemptRecord[] {
    return (this.db.prepare('SELECT * FROM attempts WHERE payout_id = ? ORDER BY id').all(payoutId) as Row[]).map((r) => ({
      payoutId: r.payout_id as string,
      kind: r.kind as AttemptKind,
      startedAt: r.started_at as string,
      finishedAt: (r.finished_at as string) ?? null,
      outcome: (r.outcome as string) ?? null,
      detail: parseDetail(r.detail),
    }));
  }
}
