// The state machine and payout ids every journal shares (src/journal/states.ts, contract.ts).
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, OPEN_STATUSES, PAYOUT_STATUSES, assertTransition, canTransition, payoutIdOf, splitPayoutId } from '../../src/journal/store.ts';

describe('the row state machine', () => {
  it('nothing leaves a final status except a succeeded payout being reversed', () => {
    for (const from of ['failed', 'reversed', 'invalid', 'duplicate'] as const)
      expect(PAYOUT_STATUSES.filter((to) => to !== from && canTransition(from, to)), from).toEqual([]);
    expect(PAYOUT_STATUSES.filter((to) => to !== 'succeeded' && canTransition('succeeded', to))).toEqual(['reversed']);
  });

  it('an unknown outcome is never sent again directly: it is asked first (unknown → submitting is refused)', () => {
    expect(canTransition('unknown', 'submitting')).toBe(false);
    expect(() => assertTransition('b-2', 'unknown', 'submitting')).toThrow(new IllegalTransitionError('payout b-2: unknown → submitting is not allowed'));
  });

  it('a guarded change names the states it expected', () => {
    expect(() => assertTransition('b-2', 'succeeded', 'failed', ['submitted', 'unknown'])).toThrow('payout b-2 is succeeded, expected submitted/unknown');
    expect(() => assertTransition('b-2', 'submitted', 'failed', ['submitted', 'unknown'])).not.toThrow();
  });

  it('open statuses are the ones the engine still acts on', () => {
    expect([...OPEN_STATUSES]).toEqual(['validated', 'queued', 'submitting', 'submitted', 'unknown']);
  });
});

describe('payout ids', () => {
  it("are '<batch>-<row>', split at the last dash (batch ids have dashes too)", () => {
    expect(payoutIdOf('20261121-ab12cd34', 7)).toBe('20261121-ab12cd34-7');
    expect(splitPayoutId('20261121-ab12cd34-7')).toEqual(['20261121-ab12cd34', 7]);
    expect(splitPayoutId('nodash')).toBeUndefined();
    expect(splitPayoutId('batch-x')).toBeUndefined();
    expect(splitPayoutId('-3')).toBeUndefined();
  });
});
