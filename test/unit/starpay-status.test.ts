import { describe, expect, it } from 'vitest';
import { TRX_STATES, mapTrxState } from '../../src/providers/starpay/status.ts';

describe('starpay trxState table', () => {
  it.each([
    ['SUCCESS', 'succeeded'],
    ['FAIL', 'failed'],
    ['FAILED', 'failed'],
    ['CLOSE', 'failed'],
    ['REVERSED', 'reversed'],
    ['PROCESSING', 'pending'],
    ['PENDING', 'pending'],
  ] as const)('%s → %s', (raw, canonical) => {
    expect(mapTrxState(raw)).toEqual({ canonical, known: true });
  });

  it('covers every raw value in the table', () => {
    expect(Object.keys(TRX_STATES).sort()).toEqual(['CLOSE', 'FAIL', 'FAILED', 'PENDING', 'PROCESSING', 'REVERSED', 'SUCCESS']);
  });

  it('compares case- and space-insensitively', () => {
    expect(mapTrxState(' success ')).toEqual({ canonical: 'succeeded', known: true });
  });

  it('treats an unmapped value as pending and says it is unmapped (so the client logs it)', () => {
    expect(mapTrxState('ON_HOLD')).toEqual({ canonical: 'pending', known: false });
    expect(mapTrxState('constructor')).toEqual({ canonical: 'pending', known: false });
    expect(mapTrxState('__proto__')).toEqual({ canonical: 'pending', known: false });
  });

  it('lets config trxStates add and override values', () => {
    expect(mapTrxState('REFUNDED', { REFUNDED: 'reversed' })).toEqual({ canonical: 'reversed', known: true });
    expect(mapTrxState('CLOSE', { close: 'needs_review' })).toEqual({ canonical: 'needs_review', known: true });
  });
});
