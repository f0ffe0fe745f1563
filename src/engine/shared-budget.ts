// One request budget for a provider account across every process of a deployment (DESIGN §11): each
// process's pacer spaces its own requests, and before each one takes a token from a bucket kept in the
// shared journal (PayoutClaims.takeTokens), a few at a time so the journal is asked about fifty times a
// second at most. Processes with work take what the rate allows; idle ones take nothing, so one busy process
// alone still gets the whole rate, and three together never exceed it.
import type { PayoutClaims } from '../journal/contract.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Tokens asked for at once: 20 ms of the rate. */
const CHUNK_SECONDS = 0.02;
/**
 * Tokens the shared bucket may hold (a quarter second of the rate): what idle time may save up. The providers'
 * own buckets allow a second of burst; together with each process's share in hand this stays well inside it.
 */
const BURST_SECONDS = 0.25;

export class SharedBudget {
  private tokens = 0;
  private readonly chunk: number;
  private readonly burst: number;

  constructor(
    private readonly claims: Pick<PayoutClaims, 'takeTokens'>,
    private readonly key: string,
    private readonly perSecond: number,
  ) {
    this.chunk = Math.max(1, Math.ceil(perSecond * CHUNK_SECONDS));
    this.burst = Math.max(this.chunk, Math.ceil(perSecond * BURST_SECONDS));
  }

  /** Waits until the deployment's budget has a request for this process. */
  async acquire(): Promise<void> {
    for (;;) {
      if (this.tokens >= 1) {
        this.tokens--;
        return;
      }
      this.tokens += this.claims.takeTokens(this.key, this.chunk, this.perSecond, this.burst);
      if (this.tokens >= 1) continue;
      // The bucket is empty: it refills a chunk in chunk ÷ rate seconds (others may take it first).
      await sleep(Math.max(2, (1000 * this.chunk) / this.perSecond));
    }
  }
}
