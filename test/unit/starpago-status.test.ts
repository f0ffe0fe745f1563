// StarPago v3 status enum (callback.html) → canonical status, every raw code.
import { describe, it, expect } from 'vitest';
import { mapStatus, STATUS_TABLE } from '../../src/providers/starpago/status.ts';

describe('StarPago status map', () => {
  it.each([
    ['CREATED', 'pending'],
    ['PENDING', 'pending'],
    ['PAID', 'succeeded'],
    ['FAILED', 'failed'],
    ['EXPIRED', 'failed'],
    ['REFUNDED', 'reversed'],
    ['EXCEPTION', 'needs_review'],
  ])('%s → %s', (raw, canonical) => {
    expect(mapStatus(raw)).toEqual({ canonical, known: true });
  });

  it('covers exactly the documented enum', () => {
    expect(Object.keys(STATUS_TABLE).sort()).toEqual(['CREATED', 'EXCEPTION', 'EXPIRED', 'FAILED', 'PAID', 'PENDING', 'REFUNDED']);
  });

  it('reads lower-case and padded codes the same way', () => {
    expect(mapStatus(' paid ')).toEqual({ canonical: 'succeeded', known: true });
  });

  it('an unmapped status is pending and flagged (logged once, the poll deadline decides), never failed', () => {
    expect(mapStatus('CANCELLED')).toEqual({ canonical: 'pending', known: false });
    expect(mapStatus('')).toEqual({ canonical: 'pending', known: false });
    expect(mapStatus('__proto__')).toEqual({ canonical: 'pending', known: false });
  });
});
