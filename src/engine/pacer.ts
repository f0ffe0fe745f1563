// Requests-per-second budget per provider, shared by every create and query call (DESIGN §6). Slots are
// spaced evenly from an absolute schedule so timer jitter does not accumulate; a 429 or "too frequent"
// halves the rate and pauses for Retry-After, and the rate climbs back while the provider stays quiet.

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Pacer {
  private nextSlot = 0;
  private pausedUntil = 0;
  private rate: number;
  private lastSlowDown = -Infinity;
  slowDowns = 0;

  constructor(private readonly configuredPerSecond: number) {
    this.rate = configuredPerSecond;
  }

  get currentRate(): number {
    return this.rate;
  }

  /** Waits for this caller's slot. */
  async acquire(): Promise<void> {
    this.recover();
    const now = performance.now();
    const start = Math.max(now, this.nextSlot, this.pausedUntil);
    this.nextSlot = start + 1000 / this.rate;
    const wait = start - now;
    if (wait > 0.5) await sleep(wait);
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
