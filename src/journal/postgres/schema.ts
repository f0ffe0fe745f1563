// The shared journal's schema (DESIGN §11), in its own PostgreSQL schema `paybatch`: the SQLite journal's tables
// and columns (sqlite/schema.ts) plus what many processes need — claims (payouts.claimed_by), the readers of
// batches, the processes and their leases, token buckets, and the delivery outbox (DESIGN §12). Times are the
// same ISO text the SQLite journal writes; leases alone are timestamptz, on the server's clock. Amounts are
// NUMERIC integers (exact, and wider than int8: a journal may carry any integer of minor units).
// Versioned: paybatch runs what a database lacks on first open, under an advisory lock (open.ts). An applied
// migration is never edited: a change is a new one at the end.
export const migrations: string[] = [
  `
  CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE,
    file_bytes BIGINT NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    source_path TEXT,
    archived_path TEXT,
    format TEXT,
    header_json TEXT NOT NULL DEFAULT '[]',
    amount_column INTEGER,
    mask_columns_json TEXT NOT NULL DEFAULT '[]',
    columns_json TEXT NOT NULL DEFAULT '[]',
    row_count INTEGER NOT NULL DEFAULT 0,
    hold_reason TEXT,
    approved_at TEXT,
    stop_reason TEXT,
    balances_json TEXT,
    usd_rates_json TEXT,
    reports_json TEXT,
    errors_csv TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    last_reversal_check_at BIGINT,
    -- the process (holder) that reads the sheet: its batch is not discarded under it
    read_by TEXT
  );
  CREATE INDEX batches_source_path ON batches(source_path, created_at);
  CREATE TABLE payouts (
    batch_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    provider TEXT NOT NULL,
    merchant_reference TEXT,
    status TEXT NOT NULL,
    amount_minor NUMERIC CHECK (amount_minor = trunc(amount_minor)),
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
    paid_amount_minor NUMERIC CHECK (paid_amount_minor = trunc(paid_amount_minor)),
    fee_minor NUMERIC CHECK (fee_minor = trunc(fee_minor)),
    create_attempts INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    next_check_at BIGINT,
    last_create_at BIGINT,
    deadline_at BIGINT,
    updated_at TEXT NOT NULL,
    -- the process holding the row (PayoutClaims); null: no one
    claimed_by TEXT,
    PRIMARY KEY (batch_id, row_number)
  );
  -- A merchant reference is sent for one payout only, across all batches (DESIGN §4 duplicates).
  CREATE UNIQUE INDEX payouts_reference ON payouts(provider, merchant_reference)
    WHERE merchant_reference IS NOT NULL AND status NOT IN ('invalid', 'duplicate');
  CREATE INDEX payouts_batch_status ON payouts(batch_id, status);
  CREATE INDEX payouts_due ON payouts(batch_id, next_check_at) WHERE status IN ('submitted', 'unknown');
  CREATE INDEX payouts_provider_reference ON payouts(provider, provider_reference) WHERE provider_reference IS NOT NULL;
  CREATE INDEX payouts_claimed ON payouts(claimed_by) WHERE claimed_by IS NOT NULL;
  CREATE INDEX payouts_in_flight ON payouts(batch_id, row_number) WHERE status = 'submitting';
  CREATE TABLE row_errors (
    id BIGSERIAL PRIMARY KEY,
    batch_id TEXT NOT NULL,
    row_number INTEGER,
    column_name TEXT NOT NULL,
    value TEXT NOT NULL,
    rule TEXT NOT NULL,
    message TEXT NOT NULL
  );
  -- File-level problems (no row) first: sheet rows are numbered from 1.
  CREATE INDEX row_errors_batch ON row_errors(batch_id, (COALESCE(row_number, -1)), id);
  CREATE TABLE attempts (
    id BIGSERIAL PRIMARY KEY,
    payout_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    detail TEXT
  );
  CREATE INDEX attempts_payout ON attempts(payout_id);
  CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    batch_id TEXT,
    payout_id TEXT,
    type TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    detail TEXT
  );
  CREATE INDEX events_payout ON events(payout_id);
  CREATE INDEX events_batch ON events(batch_id);
  -- The audit trail is append-only.
  CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
  CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();
  CREATE TABLE payees (
    provider TEXT NOT NULL,
    payee_key TEXT NOT NULL,
    prepared_json TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (provider, payee_key)
  );
  CREATE TABLE callbacks_seen (
    digest TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE batch_notes (
    id BIGSERIAL PRIMARY KEY,
    batch_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX batch_notes_batch ON batch_notes(batch_id);
  CREATE TABLE intake_waits (
    path TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE TABLE payout_fingerprints (
    batch_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    provider TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_number)
  );
  CREATE INDEX payout_fingerprints_lookup ON payout_fingerprints(provider, fingerprint);
  -- One row per opened journal: its lease, renewed by its heartbeat (server clock).
  CREATE TABLE processes (
    holder TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    command TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    -- closed: no longer listed; its lease still covers the rows it left submitting until it expires
    closed_at TIMESTAMPTZ
  );
  -- A provider account's request budget, shared by every process (PayoutClaims.takeTokens).
  CREATE TABLE token_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    refilled_at TIMESTAMPTZ NOT NULL,
    -- what the last take granted, so one UPDATE can answer it
    granted INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    batch_id TEXT,
    channel TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    gave_up_at TEXT,
    last_error TEXT,
    claimed_by TEXT
  );
  CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
  `,
  // 2: controls (DESIGN §12), as the SQLite journal's migration 4: who released the file (four eyes), when it was
  // released (daily limits count batches by it, releasedTotals), when a cancel was asked; and the events of a batch
  // by type (the reports read its approval events), which also serves what events_batch served.
  `
  ALTER TABLE batches ADD COLUMN released_by TEXT;
  ALTER TABLE batches ADD COLUMN released_os_user TEXT;
  -- ISO-8601 text compared byte by byte, as SQLite compares it, whatever the database's collation
  ALTER TABLE batches ADD COLUMN released_at TEXT COLLATE "C";
  ALTER TABLE batches ADD COLUMN cancelled_at TEXT;
  CREATE INDEX batches_released ON batches(provider, released_at) WHERE released_at IS NOT NULL;
  CREATE INDEX events_batch_type ON events(batch_id, type);
  DROP INDEX events_batch;
  `,
  // 3: what the console and /metrics read (ConsoleQueries, DESIGN §13), and the delivery outbox's order.
  // - payouts (batch_id, status, row_number): a page of one status is a range of it, walked from the keyset in row
  //   order (pageOfPayouts), as SQLite's payouts_batch_status; it serves every (batch_id, status) lookup the old
  //   index served, which goes.
  // - attempt_totals: the running tally of attempts (attemptTotals), one row per provider, outcome, throttled and
  //   shard (the process that recorded them: its own rows, so processes committing at once never wait on, nor
  //   deadlock over, a shared counter); recordAttempt adds to it in the same statement. Shard '' holds what
  //   closed processes and the attempts before this migration counted.
  // - deliveries.seq: insertion order (dueDeliveries answers oldest first, as SQLite's rowid); rows already there
  //   are numbered by when they were created.
  `
  CREATE INDEX payouts_batch_status_row ON payouts(batch_id, status, row_number);
  DROP INDEX payouts_batch_status;
  CREATE TABLE attempt_totals (
    provider TEXT NOT NULL,
    outcome TEXT NOT NULL,
    throttled BOOLEAN NOT NULL,
    shard TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (provider, outcome, throttled, shard)
  );
  INSERT INTO attempt_totals (provider, outcome, throttled, shard, requests)
  SELECT b.provider, COALESCE(a.outcome, 'none'),
         COALESCE(a.detail IS NOT NULL AND jsonb_typeof(a.detail::jsonb) = 'object' AND (a.detail::jsonb -> 'throttled') IN ('true'::jsonb, '1'::jsonb), false),
         '', count(*)
    FROM attempts a JOIN batches b ON b.id = left(rtrim(a.payout_id, '0123456789'), -1)
   GROUP BY 1, 2, 3;
  ALTER TABLE deliveries ADD COLUMN seq BIGINT;
  UPDATE deliveries d SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM deliveries) o WHERE o.id = d.id;
  CREATE SEQUENCE deliveries_seq OWNED BY deliveries.seq;
  SELECT setval('deliveries_seq', COALESCE((SELECT max(seq) FROM deliveries), 0) + 1, false);
  ALTER TABLE deliveries ALTER COLUMN seq SET DEFAULT nextval('deliveries_seq'), ALTER COLUMN seq SET NOT NULL;
  CREATE UNIQUE INDEX deliveries_seq_order ON deliveries(seq);
  `,
];
