// The synchronous face of the PostgreSQL journal (DESIGN §11): the journal contract is synchronous, `pg` is not.
// A worker thread (worker.js) owns the connections; each call posts a request and blocks this thread on
// Atomics.wait until the worker has posted its answer, read with receiveMessageOnPort (synckit's technique,
// written out here so each journal has its own worker, ended by close). Every wait has a deadline: a server that
// is gone becomes one JournalError line, never a hang.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { JournalError, LeaseLostError } from '../contract.ts';
import type { Answer, RequestBody, Result, WorkerData } from './protocol.ts';

/** A statement failed on a working connection (a constraint, a bad value): the caller's error, with SQLSTATE. */
export class PostgresStatementError extends Error {
  override name = 'PostgresStatementError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The URL as it may be shown: user, host, port and database; never the password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `postgres://${user}${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'postgres://(an unreadable URL)';
  }
}

export class Bridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private requests = 0;
  /** Set once the worker stopped answering: every later call fails the same way. */
  private failure: JournalError | null = null;
  private ended = false;

  constructor(
    url: string,
    config: Omit<WorkerData, 'url' | 'signal' | 'port'>,
    /** What errors name the journal by (describeUrl). */
    readonly where: string,
    private readonly timeoutMs: number,
  ) {
    const shared = new SharedArrayBuffer(4);
    this.signal = new Int32Array(shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const workerData: WorkerData = { ...config, url, signal: shared, port: port2 };
    // execArgv []: the worker is plain JavaScript and needs no loader (tsx) of the parent.
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData, transferList: [port2], execArgv: [] });
    // An unclosed journal does not keep the process alive; its lease expires by itself.
    this.worker.unref();
    this.worker.on('error', (err) => (this.failure ??= new JournalError(`${where}: the journal's connection thread failed: ${err.message}`)));
    this.worker.on('exit', () => (this.failure ??= new JournalError(`${where}: the journal is closed`)));
  }

  /** Sends one request and blocks until its answer (or the deadline). */
  call(body: RequestBody): Result[] {
    if (this.failure) throw this.failure;
    const id = ++this.requests;
    let seen = Atomics.load(this.signal, 0);
    this.port.postMessage({ ...body, id });
    const deadline = performance.now() + this.timeoutMs;
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (received) {
        const answer = received.message as Answer;
        // An answer to a request that timed out earlier is not this one's.
        if (answer.id === id) return this.unwrap(answer);
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.signal, 0, seen, left) === 'timed-out') {
        this.failure = new JournalError(`${this.where} did not answer within ${Math.round(this.timeoutMs / 1000)} s: the server is unreachable or stalled`);
        throw this.failure;
      }
      seen = Atomics.load(this.signal, 0);
    }
  }

  private unwrap(answer: Answer): Result[] {
    if (answer.ok) return answer.results;
    const { kind, message, code } = answer.error;
    if (kind === 'lease-lost') throw new LeaseLostError(message);
    if (kind === 'connection') throw new JournalError(`${this.where} cannot be used: ${message}`);
    throw new PostgresStatementError(message, code);
  }

  /** Ends the connections (best effort) and the thread. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      if (!this.failure) this.call({ type: 'close' });
    } finally {
      this.failure ??= new JournalError(`${this.where}: the journal is closed`);
      void this.worker.terminate();
      this.port.close();
    }
  }
}
