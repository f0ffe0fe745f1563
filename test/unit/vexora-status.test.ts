// Vexora data.status → canonical (PROVIDERS.md §5 "Status codes" and Decisions): 0000 is success, 0015 is
// processing, a documented failure code (00029, the AU reading) is a failure, and anything else — missing,
// empty or unrecognised — is nothing certain: pending, flagged unknown, so the poll deadline decides.
import { describe, it, expect } from 'vitest';
import { defaultStatusTable, mapVexoraStatus, type VexoraStatusTable } from '../../src/providers/vexora/status.ts';
import { vexoraConfigSchema } from '../../src/providers/vexora/schema.ts';

describe('mapVexoraStatus (default table)', () => {
  it('0000 → succeeded', () => {
    expect(mapVexoraStatus('0000')).toEqual({ canonical: 'succeeded', known: true });
  });

  it('0015 → pending', () => {
    expect(mapVexoraStatus('0015')).toEqual({ canonical: 'pending', known: true });
  });

  it('00029 → failed (the AU reading; the KR "Processing" example is a doc inconsistency)', () => {
    expect(mapVexoraStatus('00029')).toEqual({ canonical: 'failed', known: true });
  });

  it('an empty or unrecognised code → pending, flagged unknown (never failed)', () => {
    for (const raw of ['0001', '0100019', '0100024', '60019', '00028', '00032', '8000', '9999', 'FAIL', '', 'constructor', '__proto__', 'toString']) {
      expect(mapVexoraStatus(raw), raw).toEqual({ canonical: 'pending', known: false });
    }
  });

  it('matches codes exactly: no trimming, no numeric equality', () => {
    for (const raw of ['0', '000', '00000', ' 0000', '15', '29']) expect(mapVexoraStatus(raw), raw).toEqual({ canonical: 'pending', known: false });
  });

  it('never answers reversed or needs_review (Vexora documents neither)', () => {
    const seen = new Set(['0000', '0015', '00029', '0001', 'x'].map((c) => mapVexoraStatus(c).canonical));
    expect([...seen].sort()).toEqual(['failed', 'pending', 'succeeded']);
  });

  it('the default table is the documented one', () => {
    expect(defaultStatusTable).toEqual({ successCodes: ['0000'], pendingCodes: ['0015'], failedCodes: ['00029'] });
  });
});

describe('mapVexoraStatus (configurable table)', () => {
  it('a merchant can read 00029 as processing, per the KR example, from configuration (pending wins over failed)', () => {
    const table: VexoraStatusTable = { successCodes: ['0000'], pendingCodes: ['0015', '00029'], failedCodes: ['00029'] };
    expect(mapVexoraStatus('00029', table).canonical).toBe('pending');
    expect(mapVexoraStatus('0015', table).canonical).toBe('pending');
    expect(mapVexoraStatus('0000', table).canonical).toBe('succeeded');
    expect(mapVexoraStatus('60019', table)).toEqual({ canonical: 'pending', known: false });
  });

  it('extra success and failure codes, and an emptied pending list', () => {
    const table: VexoraStatusTable = { successCodes: ['0000', 'SUCCESS'], pendingCodes: [], failedCodes: ['00029', '60019'] };
    expect(mapVexoraStatus('SUCCESS', table).canonical).toBe('succeeded');
    expect(mapVexoraStatus('60019', table)).toEqual({ canonical: 'failed', known: true });
    expect(mapVexoraStatus('0015', table)).toEqual({ canonical: 'pending', known: false });
  });

  it('the config block carries the table with the documented defaults, and overrides', () => {
    const defaults = vexoraConfigSchema.parse({});
    expect(defaults.successCodes).toEqual(['0000']);
    expect(defaults.pendingCodes).toEqual(['0015']);
    expect(defaults.failedCodes).toEqual(['00029']);
    const custom = vexoraConfigSchema.parse({ pendingCodes: ['0015', '00029'] });
    expect(mapVexoraStatus('00029', { successCodes: custom.successCodes, pendingCodes: custom.pendingCodes, failedCodes: custom.failedCodes }).canonical).toBe('pending');
  });
});
