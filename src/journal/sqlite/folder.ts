// What belongs to the work folder rather than to one payout: its binding to this journal (meta: journal_id),
// notes on batches that `status` shows later, and sheets left in the inbox until their configuration loads.
import type Database from 'better-sqlite3';
import type { BatchNote, FolderRecords, IntakeWait } from '../contract.ts';
import type { SqliteAudit } from './audit.ts';
import { now } from './codec.ts';

export class SqliteFolderRecords implements FolderRecords {
  constructor(
    private readonly db: Database.Database,
    private readonly audit: SqliteAudit,
  ) {}

  getMeta(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  claimMeta(key: string, value: string): string {
    return this.db.transaction(() => {
      const changed = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(key, value).changes;
      if (changed) this.audit.event('journal-meta', null, null, null, null, { key, value });
      return this.getMeta(key)!;
    })();
  }

  addBatchNote(batchId: string, kind: string, note: string): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO batch_notes (batch_id, kind, note, at) VALUES (?, ?, ?, ?)').run(batchId, kind, note, now());
      this.audit.event('batch-note', batchId, null, null, null, { kind, note });
    })();
  }

  batchNotes(batchId: string): BatchNote[] {
    return this.db.prepare('SELECT kind, note, at FROM batch_notes WHERE batch_id = ? ORDER BY id').all(batchId) as BatchNote[];
  }

  recordIntakeWait(sheetPath: string, provider: string, reason: string): void {
    this.db
      .prepare('INSERT INTO intake_waits (path, provider, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET provider = excluded.provider, reason = excluded.reason, at = excluded.at')
      .run(sheetPath, provider, reason, now());
  }

  clearIntakeWait(sheetPath: string): void {
    this.db.prepare('DELETE FROM intake_waits WHERE path = ?').run(sheetPath);
  }

  intakeWaits(): IntakeWait[] {
    return this.db.prepare('SELECT path, provider, reason, at FROM intake_waits ORDER BY path').all() as IntakeWait[];
  }
}
