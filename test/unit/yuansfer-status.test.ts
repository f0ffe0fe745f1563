import { describe, it, expect } from 'vitest';
import { mapPayoutStatus, PAYOUT_STATUS } from '../../src/providers/yuansfer/status.ts';

describe('yuansfer status map', () => {
  it.each([
    ['pending', 'pending'],
    ['success', 'succeeded'],
    ['failed', 'failed'],
    ['returned', 'reversed'],
  ] as const)('%s → %s', (raw, canonical) => {
    expect(mapPayoutStatus(raw)).toEqual({ canonical, known: true });
  });

  it('covers every documented status and nothing else', () => {
    expect(Object.keys(PAYOUT_STATUS).sort()).toEqual(['failed', 'pending', 'returned', 'success']);
  });

  it('ignores case and surrounding spaces', () => {
    expect(mapPayoutStatus(' SUCCESS ')).toEqual({ canonical: 'succeeded', known: true });
    expect(mapPayoutStatus('Returned').canonical).toBe('reversed');
  });

  it('treats an unmapped status as pending and says it is unknown, never a guessed final state', () => {
    expect(mapPayoutStatus('processing')).toEqual({ canonical: 'pending', known: false });
    expect(mapPayoutStatus('')).toEqual({ canonical: 'pending', known: false });
    expect(mapPayoutStatus('succeeded')).toEqual({ canonical: 'pending', known: false });
  });
});
