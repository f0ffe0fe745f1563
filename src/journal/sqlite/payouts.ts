// Payouts: the sheet's rows as journaled, their state changes (checked against the transition table, one event
// each, one transaction each) and the problems found with them.
import type Database from 'better-sqlite3';
import type { EventNote, NewPayout, PayoutPatch, PayoutRecord, PayoutStore } from '../contract.ts';
import { splitPayoutId } from '../contract.ts';
import { PAYOUT_STATUSES, assertTransition, type PayoutStatus } from '../states.ts';
import type { RowProblem } from '../../validate/problem.ts';
import type { SqliteAudit } from './audit.ts';
import { now, payoutAssignments, payoutFromRow, type Row } from './codec.ts';
import { prepareChunkWriter, rowTuple } from './chunk-writer.js';

export class SqlitePayouts implements PayoutStore {
  private readonly writeChunk: ReturnType<typeof prepareChunkWriter>;
  private readonly selectPayout: Database.Statement;
  private readonly selectColumns: Database.Statement;
  /** Column maps per batch (fixed once the batch is journaled). */
  private readonly columnsCache = new Map<string, [string, number][]>();

  constructor(
    private readonly db: Database.Database,
    private readonly audit: SqliteAudit,
  ) {
    this.writeChunk = prepareChunkWriter(db);
    this.selectPayout = db.prepare('SELECT * FROM payouts WHERE batch_id = ? AND row_number = ?');
    this.selectColumns = db.prepare('SELECT columns_json FROM batches WHERE id = ?');
  }

  insertRows(batchId: string, provider: string, rows: NewPayout[], problems: RowProblem[]): { duplicates: number } {
    return { duplicates: this.writeChunk(batchId, provider, rows.map(rowTuple), problems, now()) };
  }

  payoutByReference(provider: string, reference: string): PayoutRecord | undefined {
    const r = this.db
      .prepare(`SELECT * FROM payouts WHERE provider = ? AND merchant_reference = ? AND status NOT IN ('invalid','duplicate')`)
      .get(provider, reference) as Row | undefined;
    return r ? this.payout(r) : undefined;
  }

  findPayoutForCallback(provider: string, merchantReference: string, providerReference?: string): PayoutRecord | undefined {
    if (merchantReference) {
      const p = this.payoutByReference(provider, merchantReference);
      if (p) return p;
    }
    if (providerReference) {
      const r = this.db.prepare('SELECT * FROM payouts WHERE provider = ? AND provider_reference = ?').get(provider, providerReference) as Row | undefined;
      if (r) return this.payout(r);
    }
    return undefined;
  }

  getPayout(id: string): PayoutRecord | undefined {
    const key = splitPayoutId(id);
    const r = key ? (this.selectPayout.get(key[0], key[1]) as Row | undefined) : undefined;
    return r ? this.payout(r) : undefined;
  }

  private payout(r: Row): PayoutRecord {
    const batchId = r.batch_id as string;
    let columns = this.columnsCache.get(batchId);
    if (!columns) {
      const b = this.selectColumns.get(batchId) as { columns_json: string } | undefined;
      columns = b ? (JSON.parse(b.columns_json) as [string, number][]) : [];
      if (columns.length) this.columnsCache.set(batchId, columns);
    }
    return payoutFromRow(r, columns);
  }

  payoutsOf(batchId: string, statuses?: readonly PayoutStatus[], limit = -1): PayoutRecord[] {
    const where = statuses ? `AND status IN (${statuses.map(() => '?').join(',')})` : '';
    return (
      this.db
        .prepare(`SELECT * FROM payouts WHERE batch_id = ? ${where} ORDER BY row_number LIMIT ?`)
        .all(batchId, ...(statuses ?? []), limit) as Row[]
    ).map((r) => this.payout(r));
  }

  *iteratePayouts(batchId: string): Generator<PayoutRecord> {
    for (const r of this.db.prepare('SELECT * FROM payouts WHERE batch_id = ? ORDER BY row_number').iterate(batchId))
      yield this.payout(r as Row);
  }

  counts(batchId: string): Record<PayoutStatus, number> {
    const out = Object.fromEntries(PAYOUT_STATUSES.map((s) => [s, 0])) as Record<PayoutStatus, number>;
    for (const r of this.db.prepare('SELECT status, COUNT(*) n FROM payouts WHERE batch_id = ? GROUP BY status').all(batchId) as {
      status: PayoutStatus;
      n: number;
    }[])
      out[r.status] = r.n;
    return out;
  }

  duePayouts(batchId: string, at: number, limit: number): PayoutRecord[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM payouts WHERE batch_id = ? AND status IN ('submitted','unknown') AND COALESCE(next_check_at, 0) <= ?
           ORDER BY next_check_at LIMIT ?`,
        )
        .all(batchId, at, limit) as Row[]
    ).map((r) => this.payout(r));
  }

  nextDueAt(batchId: string): number | null {
    const r = this.db
      .prepare(`SELECT MIN(COALESCE(next_check_at, 0)) t FROM payouts WHERE batch_id = ? AND status IN ('submitted','unknown')`)
      .get(batchId) as { t: number | null };
    return r.t;
  }

  transition(id: string, to: PayoutStatus, patch: PayoutPatch, event: EventNote, from?: readonly PayoutStatus[]): PayoutRecord {
    return this.db.transaction(() => {
      const current = this.getPayout(id);
      if (!current) throw new Error(`no payout ${id}`);
      assertTransition(id, current.status, to, from);
      this.applyPatch(id, patch, to);
      this.audit.event(event.type, current.batchId, id, current.status, to, event.detail);
      return this.getPayout(id)!;
    })();
  }

  touch(id: string, patch: PayoutPatch): void {
    this.applyPatch(id, patch);
  }

  private applyPatch(id: string, patch: PayoutPatch, status?: PayoutStatus): void {
    const { sets, values } = payoutAssignments(patch);
    if (status) {
      sets.push('status = ?');
      values.push(status);
    }
    const [batchId, row] = splitPayoutId(id) ?? ['', -1];
    this.db.prepare(`UPDATE payouts SET ${sets.join(', ')} WHERE batch_id = ? AND row_number = ?`).run(...values, batchId, row);
  }

  recoverInFlight(): number {
    // One commit for all of them (a restart after a kill at 1,000 requests/s finds hundreds): each row still
    // changes alone, with its own event.
    return this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT batch_id || '-' || row_number AS id FROM payouts WHERE status = 'submitting'`).all() as { id: string }[];
      for (const { id } of rows)
        this.transition(id, 'unknown', { nextCheckAt: 0 }, { type: 'recovered-in-flight', detail: { reason: 'process stopped while submitting' } });
      return rows.length;
    })();
  }

  *iterateRowErrors(batchId: string): Generator<RowProblem> {
    // Kept per batch: the file is the batch's.
    const file = this.fileNameOf(batchId) ?? '';
    for (const r of this.db
      .prepare('SELECT * FROM row_errors WHERE batch_id = ? ORDER BY row_number, rowid')
      .iterate(batchId) as IterableIterator<Row>)
      yield { file, row: r.row_number as number | null, column: r.column_name as string, value: r.value as string, rule: r.rule as string, message: r.message as string };
  }

  private fileNameOf(batchId: string): string | undefined {
    return (this.db.prepare('SELECT file_name FROM batches WHERE id = ?').get(batchId) as { file_name: string } | undefined)?.file_name;
  }

  countRowErrors(batchId: string): number {
    return (this.db.prepare('SELECT COUNT(*) n FROM row_errors WHERE batch_id = ?').get(batchId) as { n: number }).n;
  }
}
