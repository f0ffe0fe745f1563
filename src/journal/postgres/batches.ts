// Batches in the shared journal: one per sheet (one per SHA-256, whichever process read it first), with the
// process reading it (read_by), so a batch is not discarded under its live reader.
import type { BatchPatch, BatchRecord, BatchStore, EventNote, NewBatch } from '../contract.ts';
import type { BatchState } from '../states.ts';
import { batchAssignments, batchFromRow, detailJson, now } from './codec.ts';
import { Params, type Session } from './session.ts';

const detailOf = (detail: unknown) => (detail === undefined ? null : detailJson(detail));

export class PostgresBatches implements BatchStore {
  constructor(
    private readonly session: Session,
    private readonly holder: string,
  ) {}

  private one(sql: string, values: unknown[]): BatchRecord | undefined {
    const r = this.session.row(sql, values);
    return r ? batchFromRow(r) : undefined;
  }

  findBatchBySha(sha256: string): BatchRecord | undefined {
    return this.one('SELECT * FROM batches WHERE file_sha256 = $1', [sha256]);
  }

  getBatch(id: string): BatchRecord | undefined {
    return this.one('SELECT * FROM batches WHERE id = $1', [id]);
  }

  batchBySourcePath(sourcePath: string): BatchRecord | undefined {
    return this.one('SELECT * FROM batches WHERE source_path = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [sourcePath]);
  }

  listBatches(): BatchRecord[] {
    return this.session.rows('SELECT * FROM batches ORDER BY created_at, id').map(batchFromRow);
  }

  countBatches(): number {
    return this.session.row('SELECT count(*) AS n FROM batches')!.n as number;
  }

  createBatch(b: NewBatch): BatchRecord {
    const at = now();
    const r = this.session.write(
      `WITH created AS (
         INSERT INTO batches (id, file_name, file_sha256, file_bytes, provider, state, source_path, format, released_by, released_os_user, created_at, updated_at, read_by)
         VALUES ($1, $2, $3, $4, $5, 'received', $6, $7, $11, $12, $8, $8, $9) RETURNING *),
       logged AS (
         INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail)
         SELECT $8, id, NULL, 'batch-received', NULL, 'received', $10 FROM created)
       SELECT * FROM created`,
      [
        b.id, b.fileName, b.fileSha256, b.fileBytes, b.provider, b.sourcePath, b.format, at, this.holder,
        detailJson({ file: b.fileName, sha256: b.fileSha256 }),
        // Stored as given; absent: null.
        b.releasedBy ?? null,
        b.releasedOsUser ?? null,
      ],
    );
    return batchFromRow(r.rows[0]!);
  }

  updateBatch(id: string, patch: BatchPatch, event?: EventNote, from?: readonly BatchState[]): boolean {
    const p = new Params();
    const batch = p.add(id);
    const sets = batchAssignments(patch, now(), p);
    const guard = from ? `AND before.state = ANY(${p.add(from)}::text[])` : '';
    const newState = p.add(patch.state ?? null);
    // The state before, the change (guarded by `from`) and its event, in one statement.
    const r = this.session.write(
      `WITH before AS (SELECT id, state FROM batches WHERE id = ${batch} FOR UPDATE),
       changed AS (
         UPDATE batches b SET ${sets.join(', ')} FROM before WHERE b.id = before.id ${guard} RETURNING before.state AS from_state),
       logged AS (
         INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail)
         SELECT ${p.add(now())}, ${batch}, NULL, ${p.add(event?.type ?? 'batch-state')}, from_state, COALESCE(${newState}::text, from_state), ${p.add(detailOf(event?.detail))}
           FROM changed WHERE ${p.add(event !== undefined)}::boolean OR (${newState}::text IS NOT NULL AND ${newState}::text <> from_state))
       SELECT EXISTS (SELECT 1 FROM before) AS found, EXISTS (SELECT 1 FROM changed) AS changed`,
      p.values,
    ).rows[0]!;
    if (!r.found) throw new Error(`no batch ${id}`);
    return r.changed as boolean;
  }

  discardUnsentBatch(id: string): boolean {
    return this.session.transaction(() => {
      const r = this.session.write(
        `WITH b AS (SELECT read_by FROM batches WHERE id = $1 FOR UPDATE)
         SELECT EXISTS (SELECT 1 FROM b JOIN processes q ON q.holder = b.read_by
                         WHERE b.read_by <> $2 AND q.lease_until > clock_timestamp() AND q.closed_at IS NULL) AS read_elsewhere,
                (SELECT count(*) FROM payouts WHERE batch_id = $1 AND status NOT IN ('validated', 'invalid', 'duplicate')) AS sent`,
        [id, this.holder],
      ).rows[0]!;
      // Another live process is reading it: its rows are still coming.
      if (r.read_elsewhere) return false;
      if ((r.sent as number) > 0) throw new Error(`batch ${id} has rows that were sent: it cannot be read again`);
      this.session.run(
        [
          { text: 'DELETE FROM row_errors WHERE batch_id = $1', values: [id] },
          { text: 'DELETE FROM payout_fingerprints WHERE batch_id = $1', values: [id] },
          { text: 'DELETE FROM payouts WHERE batch_id = $1', values: [id] },
          { text: 'DELETE FROM batches WHERE id = $1', values: [id] },
          {
            text: `INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail) VALUES ($1, $2, NULL, 'batch-ingest-restarted', 'received', NULL, $3)`,
            values: [now(), id, detailJson({ reason: 'reading was interrupted; the sheet is read again' })],
          },
        ],
        true,
      );
      return true;
    });
  }
}
