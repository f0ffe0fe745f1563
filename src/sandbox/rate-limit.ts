// Token bucket: the sandbox's own rate limit, so pacing bugs in the client show up as rejections.
export class TokenBucket {
  private tokens: number;
  private last: number;
  rejected = 0;

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number = Math.max(1, Math.ceil(perSecond / 10)),
  ) {
    this.tokens = capacity;
    this.last = performance.now();
  }

  /** Takes a token; when none is left, says how long until one is. Unlimited when perSecond is 0. */
  take(): { ok: true } | { ok: false; retryAfterMs: number } {
    if (this.perSecond <= 0) return { ok: true };
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    this.rejected++;
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.perSecond) * 1000) };
  }
}
