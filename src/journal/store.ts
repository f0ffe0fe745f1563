// The journal as the rest of paybatch imports it: the contract (contract.ts), the state machine (states.ts)
// and the SQLite journal that implements it (sqlite/). `new Journal(file)` opens the SQLite journal at `file`;
// the type `Journal` is the contract, so callers depend on no one implementation.
import type { Journal as JournalContract } from './contract.ts';
import { SqliteJournal } from './sqlite/store.ts';
import type { RowProblem } from '../validate/problem.ts';

export type {
  AttemptKind,
  AttemptRecord,
  BatchNote,
  BatchPatch,
  BatchRecord,
  BulkRowWriter,
  EmptyCellRow,
  EventNote,
  IntakeWait,
  JournalEvent,
  NewBatch,
  NewPayout,
  PaidLookalike,
  PayeeEntry,
  PayoutClaims,
  ProcessRecord,
  PayoutPatch,
  PayoutRecord,
  ReleasedTotal,
} from './contract.ts';
export { JournalError, LeaseLostError, payoutIdOf, splitPayoutId } from './contract.ts';
export type { BatchState, PayoutStatus } from './states.ts';
export { IllegalTransitionError, OPEN_STATUSES, PAYOUT_STATUSES, allowedTransitions, assertTransition, canTransition } from './states.ts';
export { journalError } from './sqlite/errors.ts';
export { SqliteJournal, openSqliteJournal } from './sqlite/store.ts';
export type { RowProblem };

/** The journal contract; as a value, the SQLite journal's constructor (`new Journal(file)`). */
export type Journal = JournalContract;
export const Journal: new (file: string) => Journal = SqliteJournal;

/** @deprecated the one row-problem type is RowProblem (validate/problem.ts). */
export type RowErrorRecord = RowProblem;
