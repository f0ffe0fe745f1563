// Payouts: the sheet's rows as journaled, their state changes (checked against the transition table, one event
// each, one transaction each) and the problems found with them.
import type Database from 'better-sqlite3';
import type { EventNote, NewPayout, PayoutPatch, PayoutRecord, PayoutStore, RowPageFrom } from '../contract.ts';
import { splitPayoutId } from '../contract.ts';
import { IllegalTransitionError, PAYOUT_STATUSES, assertTransition, type PayoutStatus } from '../states.ts';
import type { RowProblem } from '../../validate/problem.ts';
import type { SqliteAudit } from './audit.ts';
import { now, payoutAssignments, payoutFromRow, type Row } from './codec.ts';
import { prepareChunkWriter, rowTuple } from './chunk-writer.js';

export class SqlitePayouts implements PayoutStore {
  private readonly writeChunk: ReturnType<typeof prepareChunkWriter>;
  private readonly selectPayout: Database.Statement;
  private readonly selectColumns: Database.Statement;
  private readonly selectStatus: Database.Statement;
  /** Prepared once per distinct SQL (a patch's columns make its UPDATE; a few shapes in all). */
  private readonly statements = new Map<string, Database.Statement>();
  /** Column maps per batch (fixed once the batch is journaled). */
  private readonly columnsCache = new Map<string, [string, number][]>();

  constructor(
    private readonly db: Database.Database,
    private readonly audit: SqliteAudit,
  ) {
    this.writeChunk = prepareChunkWriter(db);
    this.selectPayout = db.prepare('SELECT * FROM payouts WHERE batch_id = ? AND row_number = ?');
    this.selectColumns = db.prepare('SELECT columns_json FROM batches WHERE id = ?');
    this.selectStatus = db.prepare('SELECT status FROM payouts WHERE batch_id = ? AND row_number = ?');
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  insertRows(batchId: string, provider: string, rows: NewPayout[], problems: RowProblem[]): { duplicates: number } {
    return { duplicates: this.writeChunk(batchId, provider, rows.map(rowTuple), problems, now()) };
  }

  payoutByReference(provider: string, reference: string): PayoutRecord | undefined {
    const r = this.statement(`SELECT * FROM payouts WHERE provider = ? AND merchant_reference = ? AND status NOT IN ('invalid','duplicate')`)
      .get(provider, reference) as Row | undefined;
    return r ? this.payout(r) : undefined;
  }

  findPayoutForCallback(provider: string, merchantReference: string, providerReference?: string): PayoutRecord | undefined {
    if (merchantReference) {
      const p = this.payoutByReference(provider, merchantReference);
      if (p) return p;
    }
    if (providerReference) {
      const r = this.statement('SELECT * FROM payouts WHERE provider = ? AND provider_reference = ?').get(provider, providerReference) as Row | undefined;
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
      this.statement(`SELECT * FROM payouts WHERE batch_id = ? ${where} ORDER BY row_number LIMIT ?`)
        .all(batchId, ...(statuses ?? []), limit) as Row[]
    ).map((r) => this.payout(r));
  }

  /**
   * Keyset paging (ConsoleQueries.pageOfPayouts). One status: a range of payouts_batch_status (batch, status, then
   * the row number it ends with), so a sparse status costs what a dense one does. Several (`pending` is five):
   * the primary key walked from the keyset, the others filtered out (merging five ranges would sort them all).
   */
  pageOfPayouts(batchId: string, statuses: readonly PayoutStatus[] | null, from: RowPageFrom, limit: number): PayoutRecord[] {
    const index = statuses?.length === 1 ? 'INDEXED BY payouts_batch_status' : '';
    const where = statuses ? `AND status IN (${statuses.map(() => '?').join(',')})` : '';
    const forward = 'after' in from;
    const sql = `SELECT * FROM payouts ${index} WHERE batch_id = ? ${where} AND row_number ${forward ? '>' : '<'} ?
                 ORDER BY row_number ${forward ? 'ASC' : 'DESC'} LIMIT ?`;
    const rows = this.statement(sql).all(batchId, ...(statuses ?? []), forward ? from.after : from.before, limit) as Row[];
    if (!forward) rows.reverse();
    return rows.map((r) => this.payout(r));
  }

  *iteratePayouts(batchId: string): Generator<PayoutRecord> {
    for (const r of this.db.prepare('SELECT * FROM payouts WHERE batch_id = ? ORDER BY row_number').iterate(batchId))
      yield this.payout(r as Row);
  }

  counts(batchId: string): Record<PayoutStatus, number> {
    const out = Object.fromEntries(PAYOUT_STATUSES.map((s) => [s, 0])) as Record<PayoutStatus, number>;
    for (const r of this.statement('SELECT status, COUNT(*) n FROM payouts WHERE batch_id = ? GROUP BY status').all(batchId) as {
      status: PayoutStatus;
      n: number;
    }[])
      out[r.status] = r.n;
    return out;
  }

  duePayouts(batchId: string, at: number, limit: number): PayoutRecord[] {
    return (
      this.statement(
          `SELECT * FROM payouts WHERE batch_id = ? AND status IN ('submitted','unknown') AND COALESCE(next_check_at, 0) <= ?
           ORDER BY next_check_at LIMIT ?`,
        )
        .all(batchId, at, limit) as Row[]
    ).map((r) => this.payout(r));
  }

  nextDueAt(batchId: string): number | null {
    const r = this.statement(`SELECT MIN(COALESCE(next_check_at, 0)) t FROM payouts WHERE batch_id = ? AND status IN ('submitted','unknown')`)
      .get(batchId) as { t: number | null };
    return r.t;
  }

  transition(id: string, to: PayoutStatus, patch: PayoutPatch, event: EventNote, from?: readonly PayoutStatus[]): void {
    this.db.transaction(() => {
      const key = splitPayoutId(id);
      // The status alone, not the row: the check needs nothing else, and nothing is read back after.
      const current = key ? (this.selectStatus.get(key[0], key[1]) as { status: PayoutStatus } | undefined)?.status : undefined;
      if (!key || !current) throw new Error(`no payout ${id}`);
      assertTransition(id, current, to, from);
      // Guarded by the status just checked: the change applies to that state or not at all.
      if (this.applyPatch(id, patch, to, [current]) !== 1) throw new IllegalTransitionError(`payout ${id} is no longer ${current}`);
      this.audit.event(event.type, key[0], id, current, to, event.detail);
    })();
  }

  touch(id: string, patch: PayoutPatch, from?: readonly PayoutStatus[]): boolean {
    return this.applyPatch(id, patch, undefined, from) === 1;
  }

  /** Answers how many rows changed (0: no such row, or not in one of `from`). */
  private applyPatch(id: string, patch: PayoutPatch, status?: PayoutStatus, from?: readonly PayoutStatus[]): number {
    const { sets, values } = payoutAssignments(patch);
    if (status) {
      sets.push('status = ?');
      values.push(status);
    }
    const [batchId, row] = splitPayoutId(id) ?? ['', -1];
    const guard = from ? ` AND status IN (${from.map(() => '?').join(',')})` : '';
    return this.statement(`UPDATE payouts SET ${sets.join(', ')} WHERE batch_id = ? AND row_number = ?${guard}`).run(...values, batchId, row, ...(from ?? [])).changes;
  }

  recoverInFlight(): number {
    // One commit for all of them (a restart after a kill at 1,000 requests/s finds hundreds): each row still
    // changes alone, with its own event.
    return this.db.transaction(() => {
      const rows = this.statement(`SELECT batch_id || '-' || row_number AS id FROM payouts WHERE status = 'submitting'`).all() as { id: string }[];
      for (const { id } of rows)
        this.transition(id, 'unknown', { nextCheckAt: 0 }, { type: 'recovered-in-flight', detail: { reason: 'process stopped while submitting' } });
      return rows.length;
    })();
  }

  *iterateRowErrors(batchId: string): Generator<RowProblem> {
    // Kept per batch: the file is the batch's.
    const file = this.fileNameOf(batchId) ?? '';
    for (const r of this.db.prepare('SELECT * FROM row_errors WHERE batch_id = ? ORDER BY row_number, rowid')
      .iterate(batchId) as IterableIterator<Row>)
      yield { file, row: r.row_number as number | null, column: r.column_name as string, value: r.value as string, rule: r.rule as string, message: r.message as string };
  }

  private fileNameOf(batchId: string): string | undefined {
    return (this.statement('SELECT file_name FROM batches WHERE id = ?').get(batchId) as { file_name: string } | undefined)?.file_name;
  }

  countRowErrors(batchId: string): number {
    return (this.statement('SELECT COUNT(*) n FROM row_errors WHERE batch_id = ?').get(batchId) as { n: number }).n;
  }
}
