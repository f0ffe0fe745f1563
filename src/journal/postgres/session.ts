// Statements on the journal's connection, and its transactions. What needs no answer waits and goes in front of
// the next statement that does, in the same round trip: BEGIN, SAVEPOINT, RELEASE, and inside a transaction the
// writes nothing reads back (events, attempts). So a transaction costs no round trip of its own, an empty one
// none at all, and a group-commit change that records an attempt and a transition costs one.
import type { Bridge } from './bridge.ts';
import type { Result, Statement } from './protocol.ts';

export type Row = Record<string, unknown>;

/** Numbered parameters ($1, $2…) collected while a statement is written. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const control = (text: string): Statement => ({ text, control: true });

export class Session {
  /** 0: autocommit; 1: in a transaction; more: in savepoints inside it. */
  private depth = 0;
  private waiting: Statement[] = [];
  /** Whether `waiting` holds writes (a request carrying them is a write: refused once the lease is lost). */
  private waitingWrites = false;
  /** Requests sent so far: a scope that sent none has nothing on the server to commit or undo. */
  private requests = 0;

  constructor(private readonly bridge: Bridge) {}

  /** Runs what waits, then `statements` (pipelined, in order); answers the results of `statements`. */
  run(statements: Statement[], write: boolean): Result[] {
    const all = this.waiting.length ? [...this.waiting, ...statements] : statements;
    write ||= this.waitingWrites;
    this.waiting = [];
    this.waitingWrites = false;
    this.requests++;
    const results = this.bridge.call({ type: 'run', statements: all, write });
    return results.slice(results.length - statements.length);
  }

  rows(text: string, values: unknown[] = []): Row[] {
    return this.run([{ text, values }], false)[0]!.rows;
  }

  row(text: string, values: unknown[] = []): Row | undefined {
    return this.rows(text, values)[0];
  }

  /** A write; answers its result (rows returned, rows changed). */
  write(text: string, values: unknown[] = []): Result {
    return this.run([{ text, values }], true)[0]!;
  }

  /** A write nothing reads back: inside a transaction it goes with the next request; otherwise now. */
  writeLater(text: string, values: unknown[]): void {
    if (this.depth === 0) return void this.write(text, values);
    this.waiting.push({ text, values });
    this.waitingWrites = true;
  }

  /**
   * `fn` as one transaction, or as a savepoint inside the open one (undone alone when it throws, as
   * better-sqlite3's nested transactions are). Answers once COMMIT was answered: the commit is durable.
   */
  transaction<T>(fn: () => T): T {
    const savepoint = `paybatch_${this.depth}`;
    const outermost = this.depth === 0;
    const mark = this.waiting.length;
    const requestsBefore = this.requests;
    this.waiting.push(control(outermost ? 'BEGIN' : `SAVEPOINT ${savepoint}`));
    this.depth++;
    let value: T;
    try {
      value = fn();
    } catch (err) {
      this.depth--;
      this.undo(outermost, savepoint, mark, this.requests > requestsBefore);
      throw err;
    }
    this.depth--;
    if (outermost) this.commit(this.requests > requestsBefore);
    else if (this.requests === requestsBefore && !this.waitingWrites) this.waiting.length = mark;
    else {
      this.waiting.push(control(`RELEASE SAVEPOINT ${savepoint}`));
      // Writes of this scope still waiting go now, so an error of theirs is this scope's, not the next one's.
      if (this.waitingWrites) this.run([], true);
    }
    return value;
  }

  private commit(sent: boolean): void {
    if (!sent && !this.waitingWrites) return void this.clear();
    try {
      const [result] = this.run([control('COMMIT')], false);
      // PostgreSQL answers COMMIT of a transaction a failed statement spoiled with ROLLBACK, not an error.
      if (result!.command !== 'COMMIT') throw new Error('the transaction was rolled back: a statement in it failed');
    } catch (err) {
      this.clear();
      throw err;
    }
  }

  /** After `fn` threw: what waits is this scope's and is dropped; what reached the server is rolled back. */
  private undo(outermost: boolean, savepoint: string, mark: number, sent: boolean): void {
    if (!sent) {
      this.waiting.length = mark;
      this.waitingWrites = this.waiting.some((s) => !s.control);
      return;
    }
    this.clear();
    if (!outermost) return void this.waiting.push(control(`ROLLBACK TO SAVEPOINT ${savepoint}`), control(`RELEASE SAVEPOINT ${savepoint}`));
    try {
      this.run([control('ROLLBACK')], false);
    } catch {
      // The connection is gone, and with it the transaction: the error that got here is the one to report.
    }
  }

  private clear(): void {
    this.waiting = [];
    this.waitingWrites = false;
  }
}
