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

  it('catches up on slots the event loop missed, but never gives more than the rate in any one-second window', async () => {
    const pacer = new Pacer(100); // one slot every 10 ms
    const times: number[] = [];
    const take = async () => {
      await pacer.acquire();
      times.push(performance.now());
    };
    await take();
    // The event loop is blocked for 200 ms (a long commit): 20 slots are missed, the last 100 ms of them used at once.
    const blockedUntil = performance.now() + 200;
    while (performance.now() < blockedUntil);
    const before = performance.now();
    for (let i = 0; i < 15; i++) await take();
    expect(performance.now() - before).toBeLessThan(100);
    // Then a burst of callers at once: still at most 100 slots in any one second (timers aside: 20 ms).
    await Promise.all(Array.from({ length: 150 }, take));
    times.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 980) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(100);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1000);
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
