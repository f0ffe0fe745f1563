// Batches: one per sheet (one per SHA-256), its state and what the reports need to know about the sheet.
import type Database from 'better-sqlite3';
import type { BatchPatch, BatchRecord, BatchStore, EventNote, NewBatch } from '../contract.ts';
import type { SqliteAudit } from './audit.ts';
import type { BatchState } from '../states.ts';
import { batchAssignments, batchFromRow, now, type Row } from './codec.ts';

export class SqliteBatches implements BatchStore {
  /** Prepared once per distinct SQL (a patch's columns make its UPDATE). */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly audit: SqliteAudit,
  ) {}

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private one(sql: string, ...values: unknown[]): BatchRecord | undefined {
    const r = this.statement(sql).get(...values) as Row | undefined;
    return r ? batchFromRow(r) : undefined;
  }

  findBatchBySha(sha256: string): BatchRecord | undefined {
    return this.one('SELECT * FROM batches WHERE file_sha256 = ?', sha256);
  }

  getBatch(id: string): BatchRecord | undefined {
    return this.one('SELECT * FROM batches WHERE id = ?', id);
  }

  batchBySourcePath(sourcePath: string): BatchRecord | undefined {
    return this.one('SELECT * FROM batches WHERE source_path = ? ORDER BY created_at DESC LIMIT 1', sourcePath);
  }

  listBatches(): BatchRecord[] {
    return (this.statement('SELECT * FROM batches ORDER BY created_at, id').all() as Row[]).map(batchFromRow);
  }

  countBatches(): number {
    return (this.statement('SELECT COUNT(*) n FROM batches').get() as { n: number }).n;
  }

  createBatch(b: NewBatch): BatchRecord {
    const at = now();
    this.db.transaction(() => {
      this.statement(
          `INSERT INTO batches (id, file_name, file_sha256, file_bytes, provider, state, source_path, format, released_by, released_os_user, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?)`,
        )
        .run(b.id, b.fileName, b.fileSha256, b.fileBytes, b.provider, b.sourcePath, b.format, b.releasedBy ?? null, b.releasedOsUser ?? null, at, at);
      this.audit.event('batch-received', b.id, null, null, 'received', { file: b.fileName, sha256: b.fileSha256 });
    })();
    return this.getBatch(b.id)!;
  }

  updateBatch(id: string, patch: BatchPatch, event?: EventNote, from?: readonly BatchState[]): boolean {
    const { sets, values } = batchAssignments(patch);
    return this.db.transaction(() => {
      const before = this.getBatch(id);
      if (!before) throw new Error(`no batch ${id}`);
      if (from && !from.includes(before.state)) return false;
      this.statement(`UPDATE batches SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
      if (event || (patch.state && patch.state !== before.state))
        this.audit.event(event?.type ?? 'batch-state', id, null, before.state, patch.state ?? before.state, event?.detail);
      return true;
    })();
  }

  discardUnsentBatch(id: string): boolean {
    return this.db.transaction(() => {
      const sent = this.statement(`SELECT COUNT(*) n FROM payouts WHERE batch_id = ? AND status NOT IN ('validated','invalid','duplicate')`)
        .get(id) as { n: number };
      if (sent.n > 0) throw new Error(`batch ${id} has rows that were sent: it cannot be read again`);
      this.statement('DELETE FROM row_errors WHERE batch_id = ?').run(id);
      this.statement('DELETE FROM payouts WHERE batch_id = ?').run(id);
      this.statement('DELETE FROM batches WHERE id = ?').run(id);
      this.audit.event('batch-ingest-restarted', id, null, 'received', null, { reason: 'reading was interrupted; the sheet is read again' });
      return true;
    })();
  }
}
