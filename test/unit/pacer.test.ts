// The request budget: evenly spaced slots at the configured rate; "too many requests" pauses for Retry-After
// and halves the rate, which then climbs back.
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/engine/pacer.ts';

describe('Pacer', () => {
  it('spaces calls at the configured rate without bursts', async () => {
    const pacer = new Pacer(50); // one slot every 20 ms
    const times: number[] = [];
    const start = performance.now();
    for (let i = 0; i < 11; i++) {
      await pacer.acquire();
      times.push(performance.now() - start);
    }
    // 10 intervals of 20 ms: about 200 ms, and no two calls closer than a slot allows (timer jitter aside).
    expect(times[10]).toBeGreaterThanOrEqual(190);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.min(...gaps)).toBeGreaterThan(5);
  });

  it('pauses for Retry-After and halves the rate on "too many requests"', async () => {
    const pacer = new Pacer(100);
    await pacer.acquire();
    pacer.slowDown(300);
    expect(pacer.currentRate).toBe(50);
    const before = performance.now();
    await pacer.acquire();
    expect(performance.now() - before).toBeGreaterThanOrEqual(280);
    // More rejections in the same burst do not halve it again and again.
    pacer.slowDown(10);
    expect(pacer.currentRate).toBe(50);
    expect(pacer.slowDowns).toBe(2);
  });
});
