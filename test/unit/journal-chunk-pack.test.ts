// The bulk writer's hand-off (chunk-writer.js packRows/unpackRows): a chunk packed on the reading thread and
// unpacked on the writer's must be exactly the tuples the in-thread path journals, whatever the cells hold.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { packRows, rowTuple, unpackRows } from '../../src/journal/sqlite/chunk-writer.js';
import type { NewPayout } from '../../src/journal/contract.ts';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const payout: fc.Arbitrary<NewPayout> = fc.record({
  rowNumber: fc.integer({ min: 2, max: 2 ** 40 }),
  merchantReference: fc.option(text, { nil: null }),
  status: fc.constantFrom('validated', 'invalid', 'duplicate') as fc.Arbitrary<NewPayout['status']>,
  amountMinor: fc.option(fc.bigInt({ min: 0n, max: 10n ** 24n }), { nil: null }),
  currency: fc.option(text, { nil: null }),
  original: fc.array(text, { maxLength: 12 }),
  fields: fc.constant({}),
  errorMessage: fc.option(text, { nil: null }),
});

describe('bulk hand-off packing', () => {
  it('unpackRows(packRows(rows)) is the tuples of the rows, cells as JSON', () => {
    fc.assert(
      fc.property(fc.array(payout, { maxLength: 30 }), (rows) => {
        expect(unpackRows(packRows(rows))).toEqual(rows.map(rowTuple));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps empty texts apart from nulls, and characters outside the BMP whole', () => {
    const rows: NewPayout[] = [
      { rowNumber: 2, merchantReference: '', status: 'validated', amountMinor: 0n, currency: '', original: ['', ''], fields: {}, errorMessage: '' },
      { rowNumber: 3, merchantReference: null, status: 'invalid', amountMinor: null, currency: null, original: [], fields: {}, errorMessage: null },
      { rowNumber: 1_048_576, merchantReference: 'R-😀', status: 'validated', amountMinor: 120_000_000_000_000_000_000n, currency: 'USD', original: ['"q"', 'a,b\nc', 'é😀'], fields: {}, errorMessage: null },
    ];
    const back = unpackRows(packRows(rows));
    expect(back[0]).toEqual([2, '', 'validated', '0', '', '["",""]', '']);
    expect(back[1]).toEqual([3, null, 'invalid', null, null, '[]', null]);
    expect(back[2]).toEqual([1_048_576, 'R-😀', 'validated', '120000000000000000000', 'USD', JSON.stringify(['"q"', 'a,b\nc', 'é😀']), null]);
  });
});
