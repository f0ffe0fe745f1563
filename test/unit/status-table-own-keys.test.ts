// Issue 9, item 6: raw status codes are looked up as own keys. A provider answering `constructor`,
// `__proto__` or another Object.prototype name must read as an unmapped code (pending, flagged unknown, so the
// client logs it and the poll deadline decides), never as a known status — in every provider's status map.
import { describe, expect, it } from 'vitest';
import { statusTable } from '../../src/providers/status-table.ts';
import { mapPaystarStatus } from '../../src/providers/paystar/status.ts';
import { mapStatus as mapStarpagoStatus } from '../../src/providers/starpago/status.ts';
import { mapTrxState } from '../../src/providers/starpay/status.ts';
import { mapVexoraStatus } from '../../src/providers/vexora/status.ts';
import { mapPayoutStatus } from '../../src/providers/yuansfer/status.ts';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'toLocaleString'];
const UNMAPPED = { canonical: 'pending', known: false };

const maps: [string, (raw: string) => unknown][] = [
  ['vexora', (raw) => mapVexoraStatus(raw)],
  ['starpay', (raw) => mapTrxState(raw)],
  ['starpay with config trxStates', (raw) => mapTrxState(raw, { ON_HOLD: 'pending' })],
  ['yuansfer', (raw) => mapPayoutStatus(raw)],
  ['starpago', (raw) => mapStarpagoStatus(raw)],
  ['paystar', (raw) => mapPaystarStatus(raw)],
];

describe.each(maps)('%s status map', (_name, map) => {
  it.each(PROTOTYPE_NAMES)('%s (any case, padded) reads as an unmapped code', (raw) => {
    for (const variant of [raw, raw.toUpperCase(), raw.toLowerCase(), ` ${raw} `]) expect(map(variant), variant).toEqual(UNMAPPED);
  });
});

describe('statusTable', () => {
  it('knows only its own entries, from an object or from pairs; later pairs win', () => {
    const fromObject = statusTable({ PAID: 'succeeded' });
    expect(fromObject.map('PAID')).toEqual({ canonical: 'succeeded', known: true });
    expect(fromObject.map('constructor')).toEqual(UNMAPPED);
    expect(fromObject.get('__proto__')).toBeUndefined();
    const fromPairs = statusTable([['x', 'failed'], ['x', 'pending']]);
    expect(fromPairs.map('x')).toEqual({ canonical: 'pending', known: true });
  });

  it('an entry named like a prototype member is a plain entry', () => {
    const table = statusTable([['__proto__', 'failed']]);
    expect(table.map('__proto__')).toEqual({ canonical: 'failed', known: true });
    expect(table.map('constructor')).toEqual(UNMAPPED);
  });
});
