// Requests-per-second budget per provider, shared by every create and query call (DESIGN §6). Slots are
// spaced evenly from an absolute schedule so timer jitter does not accumulate; a 429 or "too frequent"
// halves the rate and pauses for Retry-After, and the rate climbs back while the provider stays quiet.
//
// Catch-up: a slot the event loop missed (a synced commit, a GC pause) may still be used, up to 100 ms of them
// (the burst `paybatch sandbox` allows by default, rate ÷ 10; providers allow at least that), and never more
// than the rate's worth of slots in any sliding one-second window, so catching up never earns a 429.

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How far behind the schedule a caller may start: missed slots older than this are lost. */
const CATCH_UP_MS = 100;
const WINDOW_MS = 1000;

export class Pacer {
  private nextSlot = 0;
  private pausedUntil = 0;
  private rate: number;
  private lastSlowDown = -Infinity;
  /** When the last slots were given (ring of the configured rate's size), for the sliding window. */
  private readonly given: Float64Array;
  private head = 0;
  private count = 0;
  private lastGiven = 0;
  slowDowns = 0;

  constructor(
    private readonly configuredPerSecond: number,
    /** A budget shared with other processes (shared-budget.ts), asked before each slot. */
    private readonly shared?: { acquire(): Promise<void> },
  ) {
    this.rate = configuredPerSecond;
    this.given = new Float64Array(Math.max(1, Math.ceil(configuredPerSecond)));
  }

  get currentRate(): number {
    return this.rate;
  }

  /** Waits for this caller's slot. */
  async acquire(): Promise<void> {
    if (this.shared) await this.shared.acquire();
    this.recover();
    const now = performance.now();
    // The first slot is now: there is nothing to catch up on before the first request.
    let start = Math.max(this.nextSlot === 0 ? now : now - CATCH_UP_MS, this.nextSlot, this.pausedUntil);
    this.nextSlot = start + 1000 / this.rate;
    start = Math.max(start, now, this.lastGiven);
    // No more than `rate` slots in any window of one second: the slot `rate` back must be a window ago.
    const perWindow = Math.max(1, Math.floor(this.rate));
    if (this.count >= perWindow) {
      const back = this.given[(this.head - perWindow + this.given.length) % this.given.length]!;
      start = Math.max(start, back + WINDOW_MS);
    }
    this.lastGiven = start;
    this.given[this.head] = start;
    this.head = (this.head + 1) % this.given.length;
    this.count = Math.min(this.count + 1, this.given.length);
    const wait = start - now;
    if (wait > 0.5) {
      const slot = (this.head - 1 + this.given.length) % this.given.length;
      await sleep(wait);
      // A timer fires late: the window counts the slot from when it was really used.
      if (this.given[slot] === start) this.given[slot] = performance.now();
    }
  }

  /** The provider said "too many": pause for its Retry-After and halve the rate. */
  slowDown(retryAfterMs = 1000): void {
    const now = performance.now();
    this.slowDowns++;
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    // One halving per burst of rejections, not one per rejected request in flight.
    if (now - this.lastSlowDown > 1000) this.rate = Math.max(1, this.rate / 2);
    this.lastSlowDown = now;
    this.nextSlot = Math.max(this.nextSlot, this.pausedUntil);
  }

  /** Additive recovery: +10% of the configured rate per quiet 2 seconds. */
  private recover(): void {
    if (this.rate >= this.configuredPerSecond) return;
    const quiet = performance.now() - this.lastSlowDown;
    if (quiet > 2000) {
      this.rate = Math.min(this.configuredPerSecond, this.rate + this.configuredPerSecond * 0.1 * Math.floor(quiet / 2000));
      this.lastSlowDown = performance.now() - (quiet % 2000);
    }
  }
}
