// The messages between the PostgreSQL journal (main thread, bridge.ts) and its worker thread (worker.js), which
// owns the connections. The main thread blocks on `signal` until the worker answers (see bridge.ts).
import type { MessagePort } from 'node:worker_threads';

export interface WorkerData {
  url: string;
  /** Int32 counter the worker bumps (and notifies) after posting each answer. */
  signal: SharedArrayBuffer;
  /** The worker's end of the channel the main thread reads with receiveMessageOnPort. */
  port: MessagePort;
  holder: string;
  leaseSeconds: number;
  /** false: no heartbeat timer (tests: a process that stalls); writes still check the lease. */
  heartbeat: boolean;
}

export interface Statement {
  text: string;
  values?: unknown[];
  /** Transaction control (BEGIN, SAVEPOINT…): run even in front of a write that is refused. */
  control?: boolean;
}

export type RequestBody =
  /** Connects both connections. */
  | { type: 'open' }
  /**
   * The statements, pipelined in order; answers every result, or the first error. `write`: refused once the lease
   * was lost (then only the control statements run).
   */
  | { type: 'run'; statements: Statement[]; write: boolean }
  /** Renews the lease now, and starts the heartbeat (after the process row is written). */
  | { type: 'renew' }
  /** Ends both connections. */
  | { type: 'close' };

export type Request = RequestBody & { id: number };

export interface Result {
  rows: Record<string, unknown>[];
  rowCount: number;
  command: string;
}

export interface WorkerError {
  /** lease-lost: fenced (LeaseLostError); connection: the server cannot be reached or used (JournalError). */
  kind: 'lease-lost' | 'connection' | 'sql';
  message: string;
  code?: string;
}

export type Answer = { id: number } & ({ ok: true; results: Result[] } | { ok: false; error: WorkerError });
