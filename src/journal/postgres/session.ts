// Statements on the journal's connection, and its transactions. BEGIN, SAVEPOINT and RELEASE are not sent on
// their own: they wait and go, as one simple query, in front of the next statement (or the COMMIT), so a
// transaction costs no round trip of its own and an empty one none at all.
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

export class Session {
  /** 0: autocommit; 1: in a transaction; more: in savepoints inside it. */
  private depth = 0;
  private waiting: string[] = [];
  /** Whether the open transaction has reached the server (if not, it ends without a round trip). */
  private sent = false;

  constructor(private readonly bridge: Bridge) {}

  /** Runs statements in order (stopping at the first that fails); `write`: refused once the lease is lost. */
  run(statements: Statement[], write: boolean): Result[] {
    const prefix = this.waiting.length ? this.waiting.join('; ') : null;
    this.waiting = [];
    if (this.depth > 0) this.sent = true;
    return this.bridge.call({ type: 'run', prefix, statements, write });
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

  /**
   * `fn` as one transaction, or as a savepoint inside the open one (undone alone when it throws, as
   * better-sqlite3's nested transactions are). Answers once COMMIT was answered: the commit is durable.
   */
  transaction<T>(fn: () => T): T {
    const savepoint = `paybatch_${this.depth}`;
    const outermost = this.depth === 0;
    if (outermost) this.sent = false;
    this.waiting.push(outermost ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
    this.depth++;
    let value: T;
    try {
      value = fn();
    } catch (err) {
      this.depth--;
      if (!outermost) this.waiting.push(`ROLLBACK TO SAVEPOINT ${savepoint}`, `RELEASE SAVEPOINT ${savepoint}`);
      else this.abandon();
      throw err;
    }
    this.depth--;
    if (!outermost) this.waiting.push(`RELEASE SAVEPOINT ${savepoint}`);
    else this.commit();
    return value;
  }

  private commit(): void {
    if (!this.sent) return void (this.waiting = []);
    try {
      const [result] = this.run([{ text: 'COMMIT' }], false);
      // PostgreSQL answers COMMIT of a transaction a failed statement spoiled with ROLLBACK, not an error.
      if (result!.command !== 'COMMIT') throw new Error('the transaction was rolled back: a statement in it failed');
    } catch (err) {
      this.waiting = [];
      throw err;
    }
  }

  private abandon(): void {
    const sent = this.sent;
    this.waiting = [];
    if (!sent) return;
    try {
      this.run([{ text: 'ROLLBACK' }], false);
    } catch {
      // The connection is gone, and with it the transaction: the error that got here is the one to report.
    }
  }
}
