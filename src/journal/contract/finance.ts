// The journal's part in finance's controls and delivery (DESIGN §12): what was released per day, and the
// outbox of notifications. Part of the journal contract (../contract.ts), which every journal implements.

/** One currency's total of `releasedTotals`. */
export interface ReleasedTotal {
  currency: string;
  amountMinor: bigint;
}

/** What was released to be paid, per provider and period: `limits.maxDailyTotal` (DESIGN §12) across batches. */
export interface ReleaseLedger {
  /**
   * Per currency, the exact sum (bigint, minor units) of `amountMinor` over the rows of `provider`'s batches whose
   * `releasedAt` is at or after `fromIso` and before `toIso` (ISO-8601 UTC instants as Date#toISOString writes
   * them; the caller turns a calendar day of `timezone` into that window), counting every row that is paid or may
   * still be: any status but `invalid`, `duplicate`, `cancelled` (never sent) and `failed` (the provider's definite
   * no). Rows without an amount or currency are skipped; currencies without rows are left out. Sorted by
   * currency. A batch not released (held, rejected, being read) has no `releasedAt` and counts for nothing. With a
   * shared journal it answers for every process's batches. Asked once per batch before release: sum in the
   * database or stream the rows, never load whole batches (a day may hold 100,000 rows).
   */
  releasedTotals(provider: string, fromIso: string, toIso: string): ReleasedTotal[];
}

/** One notification to send (DESIGN §12): recorded before it is sent, retried until delivered or given up. */
export interface Delivery {
  /** The stable event id (X-Paybatch-Event-Id, the mail's Message-ID): one per event and channel. */
  id: string;
  event: string;
  batchId: string | null;
  channel: 'email' | 'webhook';
  /** What the sender needs, as JSON (recipients, body, attachments to render…). */
  payload: unknown;
  attempts: number;
  /** Epoch ms of the next attempt. */
  nextAttemptAt: number;
  createdAt: string;
  deliveredAt: string | null;
  gaveUpAt: string | null;
  lastError: string | null;
}

/**
 * The delivery outbox (DESIGN §12). With a shared journal, due deliveries are claimed like payouts (one process
 * sends one delivery at a time). Implemented by every journal; the notifier (notify/) is its only writer.
 */
export interface DeliveryOutbox {
  /** Records a delivery unless one with the same id exists; answers whether it was new. */
  enqueueDelivery(d: Pick<Delivery, 'id' | 'event' | 'batchId' | 'channel' | 'payload'> & { nextAttemptAt?: number }): boolean;
  /** Deliveries neither delivered nor given up whose next attempt is at or before `at`, oldest first (claimed, with claims). */
  dueDeliveries(at: number, limit: number): Delivery[];
  /** A confirmed delivery (one more attempt): never sent again. Only an open delivery changes (as below). */
  markDelivered(id: string): void;
  /**
   * A failed attempt (one more attempt, `error` kept as lastError): tried again at `nextAttemptAt`, or given up
   * when it is null. A delivery already delivered or given up stays as it is (a late answer changes nothing).
   */
  markDeliveryFailed(id: string, error: string, nextAttemptAt: number | null): void;
  /** Deliveries neither delivered nor given up. */
  deliveriesPending(): number;
  /** Given up, newest first (status shows them). */
  deliveriesGivenUp(limit: number): Delivery[];
  getDelivery(id: string): Delivery | undefined;
}
