// Journal schema and migrations. Amounts are TEXT of integer minor units (read back as bigint): SQLite's
// SUM would turn them into floats, so totals are added up in code.
export const migrations: string[] = [
  `
  CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE,
    file_bytes INTEGER NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    source_path TEXT,
    archived_path TEXT,
    format TEXT,
    header_json TEXT NOT NULL DEFAULT '[]',
    amount_column INTEGER,
    mask_columns_json TEXT NOT NULL DEFAULT '[]',
    -- canonical column → index in the sheet: a row's fields are its original cells read through this map
    columns_json TEXT NOT NULL DEFAULT '[]',
    row_count INTEGER NOT NULL DEFAULT 0,
    hold_reason TEXT,
    approved_at TEXT,
    stop_reason TEXT,
    balances_json TEXT,
    reports_json TEXT,
    errors_csv TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    last_reversal_check_at INTEGER
  );
  CREATE TABLE payouts (
    -- a payout's id is '<batch>-<row>'; rows are stored in sheet order, keyed by both
    batch_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    id TEXT GENERATED ALWAYS AS (batch_id || '-' || row_number) VIRTUAL,
    provider TEXT NOT NULL,
    merchant_reference TEXT,
    status TEXT NOT NULL,
    amount_minor TEXT,
    currency TEXT,
    original_json TEXT NOT NULL,
    payee_key TEXT,
    prepared_json TEXT,
    provider_reference TEXT,
    raw_status TEXT,
    error_code TEXT,
    error_message TEXT,
    submitted_at TEXT,
    completed_at TEXT,
    paid_amount_minor TEXT,
    fee_minor TEXT,
    create_attempts INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    next_check_at INTEGER,
    last_create_at INTEGER,
    deadline_at INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_number)
  ) WITHOUT ROWID;
  -- A merchant reference is sent for one payout only, across all batches (DESIGN §4 duplicates).
  CREATE UNIQUE INDEX payouts_reference ON payouts(provider, merchant_reference)
    WHERE merchant_reference IS NOT NULL AND status NOT IN ('invalid', 'duplicate');
  CREATE INDEX payouts_batch_status ON payouts(batch_id, status);
  -- Only rows being polled are in it, so journaling a sheet never writes this index.
  CREATE INDEX payouts_due ON payouts(batch_id, next_check_at) WHERE status IN ('submitted', 'unknown');
  CREATE TABLE row_errors (
    batch_id TEXT NOT NULL,
    row_number INTEGER,
    column_name TEXT NOT NULL,
    value TEXT NOT NULL,
    rule TEXT NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX row_errors_batch ON row_errors(batch_id, row_number);
  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    payout_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    detail TEXT
  );
  CREATE INDEX attempts_payout ON attempts(payout_id);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    batch_id TEXT,
    payout_id TEXT,
    type TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    detail TEXT
  );
  CREATE INDEX events_payout ON events(payout_id);
  -- The audit trail is append-only.
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TABLE payees (
    provider TEXT NOT NULL,
    payee_key TEXT NOT NULL,
    prepared_json TEXT NOT NULL,
    -- 'partial' (checkpointed mid-way, e.g. registered without a bank account) or 'ready'
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (provider, payee_key)
  );
  CREATE TABLE callbacks_seen (
    digest TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    at TEXT NOT NULL
  );
  `,
  // 2: the work folder's binding to its journal, notes that outlive a run, sheets waiting for a fixed
  // configuration, and what each payout pays to (for the duplicate-payment window).
  `
  -- Single values: journal_id (the id written into <work>/journal.id; a journal that does not know a
  -- work folder's id is not that folder's journal).
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  -- Notes on a batch that status shows later (the sheet changed while read, or after payouts began).
  CREATE TABLE batch_notes (
    id INTEGER PRIMARY KEY,
    batch_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX batch_notes_batch ON batch_notes(batch_id);
  -- Sheets left where they were because their provider's configuration failed to load (path relative to
  -- the work folder); cleared when the sheet is taken.
  CREATE TABLE intake_waits (
    path TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
  );
  -- What a payout pays to, hashed (provider, account identifiers, amount, currency): finds the same payment
  -- in other batches without reading their rows.
  CREATE TABLE payout_fingerprints (
    batch_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    provider TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_number)
  ) WITHOUT ROWID;
  CREATE INDEX payout_fingerprints_lookup ON payout_fingerprints(provider, fingerprint);
  `,
  // 3: the USD rates a provider declared for the batch (StarPago usdRate), so every later rewrite of its
  // reports (approve, report, resolve, reversals) shows the same USD column.
  `
  ALTER TABLE batches ADD COLUMN usd_rates_json TEXT;
  `,
  // 4: controls (DESIGN §12): who released the file (four eyes), when it was released (daily limits count
  // batches by it), and when a cancel was asked (nothing more is sent from then on).
  `
  ALTER TABLE batches ADD COLUMN released_by TEXT;
  ALTER TABLE batches ADD COLUMN released_os_user TEXT;
  ALTER TABLE batches ADD COLUMN released_at TEXT;
  ALTER TABLE batches ADD COLUMN cancelled_at TEXT;
  CREATE INDEX batches_released ON batches(provider, released_at) WHERE released_at IS NOT NULL;
  `,
  // 5: the delivery outbox (DESIGN §12): a notification is recorded here before it is sent, so a crash never
  // loses one; one row per event and channel, kept after delivery so the same id is never sent again.
  `
  CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    batch_id TEXT,
    channel TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- epoch ms of the next attempt (of the last one, once delivered or given up)
    next_attempt_at INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    gave_up_at TEXT,
    last_error TEXT
  );
  CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
  `,
  // 6: the events of a batch by type (the reports read a batch's approval events).
  `
  CREATE INDEX IF NOT EXISTS events_batch_type ON events(batch_id, type);
  `,
];
