import { describe, it, expect } from 'vitest';
import { mapPaystarStatus, PAYSTAR_STATUSES } from '../../src/providers/paystar/status.ts';

describe('paystar orderStatus map', () => {
  it.each([
    ['Created', 'pending'],
    ['Processing', 'pending'],
    ['Success', 'succeeded'],
    ['Successful', 'succeeded'],
    ['Failed', 'failed'],
  ] as const)('%s → %s', (raw, canonical) => {
    expect(mapPaystarStatus(raw)).toEqual({ canonical, known: true });
  });

  it('covers every documented code and nothing else', () => {
    expect(Object.keys(PAYSTAR_STATUSES).sort()).toEqual(['Created', 'Failed', 'Processing', 'Success', 'Successful']);
  });

  it('matches case-insensitively (the docs capitalise inconsistently)', () => {
    expect(mapPaystarStatus('SUCCESS')).toEqual({ canonical: 'succeeded', known: true });
    expect(mapPaystarStatus(' failed ')).toEqual({ canonical: 'failed', known: true });
  });

  it('an unmapped status stays pending and is flagged unknown (never guessed terminal)', () => {
    expect(mapPaystarStatus('Amount changed')).toEqual({ canonical: 'pending', known: false });
    expect(mapPaystarStatus('')).toEqual({ canonical: 'pending', known: false });
  });
});
