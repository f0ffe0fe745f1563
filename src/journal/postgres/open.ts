// Opening the shared journal: the schema migrated by paybatch itself (versioned, under an advisory lock, so two
// processes starting at once migrate once), then this process's row with its first lease.
import os from 'node:os';
import { migrations } from './schema.ts';
import type { Session } from './session.ts';

/** Runs the migrations the database lacks, all in one transaction. */
export function migrate(session: Session): void {
  session.transaction(() => {
    const answers = session.run(
      [
        // Held until COMMIT: a second process waits here, then finds the schema migrated.
        { text: `SELECT pg_advisory_xact_lock(hashtext('paybatch journal migrations'))` },
        { text: 'CREATE SCHEMA IF NOT EXISTS paybatch' },
        // A schema created in this transaction: name it again so the statements below create their tables in it.
        { text: 'SET LOCAL search_path = paybatch' },
        { text: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())' },
        { text: 'SELECT COALESCE(max(version), 0) AS version FROM schema_migrations' },
      ],
      true,
    );
    for (let v = answers[4]!.rows[0]!.version as number; v < migrations.length; v++)
      session.run([{ text: migrations[v]! }, { text: 'INSERT INTO schema_migrations (version) VALUES ($1)', values: [v + 1] }], true);
  });
}

/** This process's row: who it is (status shows it) and its lease, on the server's clock. */
export function registerProcess(session: Session, holder: string, command: string, leaseSeconds: number): void {
  session.run(
    [
      // Processes gone for a day are history; their claims were free since their leases expired.
      { text: `DELETE FROM processes WHERE lease_until < clock_timestamp() - interval '1 day'` },
      {
        text: `INSERT INTO processes (holder, host, pid, command, started_at, heartbeat_at, lease_until)
               VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp(), clock_timestamp() + make_interval(secs => $5))`,
        values: [holder, os.hostname(), process.pid, command, leaseSeconds],
      },
    ],
    true,
  );
}
