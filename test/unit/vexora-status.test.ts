// Vexora data.status → canonical (PROVIDERS.md §5 "Status codes" and Decisions): only 0000 is success,
// 0015 is processing, every other code (00029 included, despite the KR example) is a failure.
import { describe, it, expect } from 'vitest';
import { defaultStatusTable, mapVexoraStatus, type VexoraStatusTable } from '../../src/providers/vexora/status.ts';
import { vexoraConfigSchema } from '../../src/providers/vexora/schema.ts';

describe('mapVexoraStatus (default table)', () => {
  it('0000 → succeeded', () => {
    expect(mapVexoraStatus('0000')).toBe('succeeded');
  });

  it('0015 → pending', () => {
    expect(mapVexoraStatus('0015')).toBe('pending');
  });

  it('00029 → failed (the AU reading; the KR "Processing" example is a doc inconsistency)', () => {
    expect(mapVexoraStatus('00029')).toBe('failed');
  });

  it('any other code → failed', () => {
    for (const raw of ['0001', '0100019', '0100024', '60019', '00028', '00032', '8000', '9999', 'FAIL', '']) {
      expect(mapVexoraStatus(raw), raw).toBe('failed');
    }
  });

  it('matches codes exactly: no trimming, no numeric equality', () => {
    expect(mapVexoraStatus('0')).toBe('failed');
    expect(mapVexoraStatus('000')).toBe('failed');
    expect(mapVexoraStatus('00000')).toBe('failed');
    expect(mapVexoraStatus(' 0000')).toBe('failed');
    expect(mapVexoraStatus('15')).toBe('failed');
  });

  it('never answers reversed or needs_review (Vexora documents neither)', () => {
    const seen = new Set(['0000', '0015', '00029', '0001', 'x'].map((c) => mapVexoraStatus(c)));
    expect([...seen].sort()).toEqual(['failed', 'pending', 'succeeded']);
  });

  it('the default table is the documented one', () => {
    expect(defaultStatusTable).toEqual({ successCodes: ['0000'], pendingCodes: ['0015'] });
  });
});

describe('mapVexoraStatus (configurable table)', () => {
  it('a merchant can read 00029 as processing, per the KR example, from configuration', () => {
    const table: VexoraStatusTable = { successCodes: ['0000'], pendingCodes: ['0015', '00029'] };
    expect(mapVexoraStatus('00029', table)).toBe('pending');
    expect(mapVexoraStatus('0015', table)).toBe('pending');
    expect(mapVexoraStatus('0000', table)).toBe('succeeded');
    expect(mapVexoraStatus('60019', table)).toBe('failed');
  });

  it('extra success codes and an emptied pending list', () => {
    const table: VexoraStatusTable = { successCodes: ['0000', 'SUCCESS'], pendingCodes: [] };
    expect(mapVexoraStatus('SUCCESS', table)).toBe('succeeded');
    expect(mapVexoraStatus('0015', table)).toBe('failed');
  });

  it('the config block carries the table with the documented defaults, and overrides', () => {
    const defaults = vexoraConfigSchema.parse({});
    expect(defaults.successCodes).toEqual(['0000']);
    expect(defaults.pendingCodes).toEqual(['0015']);
    const custom = vexoraConfigSchema.parse({ pendingCodes: ['0015', '00029'] });
    expect(mapVexoraStatus('00029', { successCodes: custom.successCodes, pendingCodes: custom.pendingCodes })).toBe('pending');
  });
});
