// What outlives one payout: payees set up by prepare(), callbacks seen, the work folder's binding (meta), notes
// on batches and sheets waiting for their configuration. Each write with its event is one statement.
import type { BatchNote, CallbackDedupe, FolderRecords, IntakeWait, PayeeCache, PayeeEntry } from '../contract.ts';
import { detailJson, now } from './codec.ts';
import type { Session } from './session.ts';

const EVENT = 'INSERT INTO events (at, batch_id, payout_id, type, from_status, to_status, detail)';

export class PostgresFolderRecords implements FolderRecords, PayeeCache, CallbackDedupe {
  constructor(private readonly session: Session) {}

  getPayee(provider: string, key: string): PayeeEntry | undefined {
    const r = this.session.row('SELECT prepared_json, state FROM payees WHERE provider = $1 AND payee_key = $2', [provider, key]);
    return r ? { prepared: JSON.parse(r.prepared_json as string), ready: r.state === 'ready' } : undefined;
  }

  putPayee(provider: string, key: string, prepared: Record<string, string>, ready: boolean): void {
    const at = now();
    this.session.write(
      `WITH put AS (
         INSERT INTO payees (provider, payee_key, prepared_json, state, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (provider, payee_key) DO UPDATE SET prepared_json = excluded.prepared_json, state = excluded.state, updated_at = excluded.updated_at
         RETURNING 1)
       ${EVENT} SELECT $5, NULL, NULL, $6, NULL, NULL, $7 FROM put`,
      [provider, key, JSON.stringify(prepared), ready ? 'ready' : 'partial', at, ready ? 'payee-prepared' : 'payee-checkpoint', detailJson({ provider, payeeKey: key })],
    );
  }

  rememberCallback(provider: string, digest: string): boolean {
    return this.session.write('INSERT INTO callbacks_seen (digest, provider, at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING', [digest, provider, now()]).rowCount === 1;
  }

  getMeta(key: string): string | undefined {
    return this.session.row('SELECT value FROM meta WHERE key = $1', [key])?.value as string | undefined;
  }

  claimMeta(key: string, value: string): string {
    // The read is a statement of its own: it sees a value another process committed while the insert waited.
    const [, kept] = this.session.run(
      [
        {
          text: `WITH claimed AS (INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key, value)
                 ${EVENT} SELECT $3, NULL, NULL, 'journal-meta', NULL, NULL, $4 FROM claimed`,
          values: [key, value, now(), detailJson({ key, value })],
        },
        { text: 'SELECT value FROM meta WHERE key = $1', values: [key] },
      ],
      true,
    );
    return kept!.rows[0]!.value as string;
  }

  addBatchNote(batchId: string, kind: string, note: string): void {
    const at = now();
    this.session.write(
      `WITH added AS (INSERT INTO batch_notes (batch_id, kind, note, at) VALUES ($1, $2, $3, $4) RETURNING batch_id)
       ${EVENT} SELECT $4, batch_id, NULL, 'batch-note', NULL, NULL, $5 FROM added`,
      [batchId, kind, note, at, detailJson({ kind, note })],
    );
  }

  batchNotes(batchId: string): BatchNote[] {
    return this.session.rows('SELECT kind, note, at FROM batch_notes WHERE batch_id = $1 ORDER BY id', [batchId]) as unknown as BatchNote[];
  }

  recordIntakeWait(sheetPath: string, provider: string, reason: string): void {
    this.session.write(
      'INSERT INTO intake_waits (path, provider, reason, at) VALUES ($1, $2, $3, $4) ON CONFLICT (path) DO UPDATE SET provider = excluded.provider, reason = excluded.reason, at = excluded.at',
      [sheetPath, provider, reason, now()],
    );
  }

  clearIntakeWait(sheetPath: string): void {
    this.session.write('DELETE FROM intake_waits WHERE path = $1', [sheetPath]);
  }

  intakeWaits(): IntakeWait[] {
    return this.session.rows('SELECT path, provider, reason, at FROM intake_waits ORDER BY path COLLATE "C"') as unknown as IntakeWait[];
  }
}
