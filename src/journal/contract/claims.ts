// Claims, leases and fencing of a shared journal (DESIGN §11). Part of the journal contract (../contract.ts);
// only a shared journal offers them (Journal.claims).
import type { PayoutRecord } from '../contract.ts';
import type { PayoutStatus } from '../states.ts';

/** A live process of a shared journal (status --json "processes"). */
export interface ProcessRecord {
  /** Its lease identity (one per opened journal). */
  holder: string;
  host: string;
  pid: number;
  command: string;
  heartbeatAt: string;
  rowsClaimed: number;
}

/** A write by a process whose lease expired, or on a row another live process holds: refused (DESIGN §11). */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/**
 * Claims (DESIGN §11): with a shared journal a row is in one process's hands at a time, taken with
 * `FOR UPDATE SKIP LOCKED` under this process's lease, which a heartbeat renews (the journal runs it itself,
 * every third of `leaseSeconds`, off the main thread). Only a shared journal offers it. The SQLite journal does
 * not: one process owns a work folder and its journal (the work-folder lock), so every row is that process's,
 * and an engine without `claims` acts on every row as it does today.
 *
 * Rules every shared journal keeps:
 * - A claimed row stays this process's until it reaches a status that is not open (the claim is dropped with
 *   that transition), `release`, or the lease expires (the process died or stalled).
 * - Fencing: `transition` and `touch` of a row held by another live process, or by this process after its lease
 *   expired, throw LeaseLostError and change nothing. Rows no one holds may be changed by anyone (CLI commands:
 *   resolve, cancel); the status guard of `transition` keeps those safe.
 * - `recoverInFlight` turns `submitting` rows into `unknown` only when their holder's lease expired (or no one
 *   holds them), and drops those claims: a live process's requests in flight are never touched.
 * - `discardUnsentBatch` is refused (answers false) while the process that reads the batch is alive.
 */
export interface PayoutClaims {
  /** This process's lease identity. */
  readonly holder: string;
  /**
   * Takes up to `limit` rows of `batchId` in `statuses` that no live process holds (rows this process already
   * holds included), in row order; they are now this process's.
   */
  claim(batchId: string, statuses: readonly PayoutStatus[], limit: number): PayoutRecord[];
  /** As `duePayouts`, claiming the rows answered (submitted/unknown, next check at or before `at`). */
  claimDue(batchId: string, at: number, limit: number): PayoutRecord[];
  /** The heartbeat, now (the journal also runs it by itself). Throws LeaseLostError when the lease was lost. */
  renew(): void;
  /** Gives rows back (all of this process's when no ids are given); `submitting` rows are kept (rule 2). */
  release(ids?: readonly string[]): void;
  /** A row a callback named: its next check becomes now, whoever holds it (no other change). */
  markDue(payoutId: string): void;
  /** Live processes (lease not expired), oldest first. */
  processes(): ProcessRecord[];
  /**
   * The deployment's request budget for one provider account (`key`): a token bucket in the journal refilled at
   * `perSecond`, holding at most `burst`. Takes up to `want` tokens; answers how many were granted (0 … want).
   */
  takeTokens(key: string, want: number, perSecond: number, burst: number): number;
}
