// The append-only audit trail (a trigger refuses UPDATE and DELETE) and the attempts made at the provider.
import type { AttemptKind, AttemptRecord, AuditTrail, JournalEvent } from '../contract.ts';
import { detailJson, now, parseDetail } from './codec.ts';
import { Params, type Session } from './session.ts';

const detailOf = (detail: unknown) => (detail === undefined ? null : detailJson(detail));

/** Events and attempts are written, never read back by the change that writes them: they ride with its next statement. */
export class PostgresAudit implements AuditTrail {
  constructor(
    private readonly session: Session,
    /** This process's rows of attempt_totals (its holder). */
    private readonly shard: string,
  ) {}

  event(type: string, batchId: string | null, payoutId: string | null, from: string | null, to: string | null, detail?: unknown): void {
    this.session.writeLater('INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      now(),
      batchId,
      payoutId,
      type,
      from,
      to,
      detailOf(detail),
    ]);
  }

  /**
   * The attempt and its count in the running tally (attempt_totals, ConsoleQueries.attemptTotals) in one statement:
   * counted under this process's shard, for the provider of the payout's batch ('<batch>-<row>': the row's digits
   * and the dash stripped, as the SQLite journal finds it); an attempt of no known batch is not counted.
   * Throttled: the detail says `throttled: true` (or 1), as SQLite's json_extract(detail, '$.throttled') = 1.
   */
  recordAttempt(payoutId: string, kind: AttemptKind, startedAt: string, outcome: string, detail?: unknown): void {
    const throttled = (detail as { throttled?: unknown } | null | undefined)?.throttled;
    this.session.writeLater(
      `WITH attempt AS (
         INSERT INTO attempts (payout_id, kind, started_at, finished_at, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1)
       INSERT INTO attempt_totals (provider, outcome, throttled, shard, requests)
       SELECT b.provider, COALESCE($5, 'none'), $7, $8, 1 FROM batches b WHERE b.id = $9
       ON CONFLICT (provider, outcome, throttled, shard) DO UPDATE SET requests = attempt_totals.requests + 1`,
      [
        payoutId,
        kind,
        startedAt,
        now(),
        outcome,
        detailOf(detail),
        typeof detail === 'object' && detail !== null && !Array.isArray(detail) && (throttled === true || throttled === 1),
        this.shard,
        payoutId.replace(/[0-9]*$/, '').slice(0, -1),
      ],
    );
  }

  eventsOf(filter: { batchId?: string; payoutId?: string; type?: string }): JournalEvent[] {
    const p = new Params();
    const where: string[] = [];
    for (const [column, value] of [['batch_id', filter.batchId], ['payout_id', filter.payoutId], ['type', filter.type]] as const)
      if (value !== undefined) where.push(`${column} = ${p.add(value)}`);
    return this.session.rows(`SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, p.values).map((r) => ({
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
    return this.session.rows('SELECT * FROM attempts WHERE payout_id = $1 ORDER BY id', [payoutId]).map((r) => ({
      payoutId: r.payout_id as string,
      kind: r.kind as AttemptKind,
      startedAt: r.started_at as string,
      finishedAt: (r.finished_at as string) ?? null,
      outcome: (r.outcome as string) ?? null,
      detail: parseDetail(r.detail),
    }));
  }
}
