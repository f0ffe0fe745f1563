// What providers' prepare() set up, cached per payee (a payee is registered once across rows and batches),
// and the digests of callbacks already seen (a replay is acknowledged, not acted on twice).
import type Database from 'better-sqlite3';
import type { CallbackDedupe, PayeeCache, PayeeEntry } from '../contract.ts';
import type { SqliteAudit } from './audit.ts';
import { now } from './codec.ts';

export class SqlitePayees implements PayeeCache, CallbackDedupe {
  constructor(
    private readonly db: Database.Database,
    private readonly audit: SqliteAudit,
  ) {}

  getPayee(provider: string, key: string): PayeeEntry | undefined {
    const r = this.db.prepare('SELECT prepared_json, state FROM payees WHERE provider = ? AND payee_key = ?').get(provider, key) as
      | { prepared_json: string; state: string }
      | undefined;
    return r ? { prepared: JSON.parse(r.prepared_json), ready: r.state === 'ready' } : undefined;
  }

  putPayee(provider: string, key: string, prepared: Record<string, string>, ready: boolean): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO payees (provider, payee_key, prepared_json, state, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(provider, payee_key) DO UPDATE SET prepared_json = excluded.prepared_json, state = excluded.state,
             updated_at = excluded.updated_at`,
        )
        .run(provider, key, JSON.stringify(prepared), ready ? 'ready' : 'partial', now());
      this.audit.event(ready ? 'payee-prepared' : 'payee-checkpoint', null, null, null, null, { provider, payeeKey: key });
    })();
  }

  rememberCallback(provider: string, digest: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO callbacks_seen (digest, provider, at) VALUES (?, ?, ?)').run(digest, provider, now()).changes === 1;
  }
}
