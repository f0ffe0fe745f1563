// `paybatch validate` asks the provider's preflight about the same requests `run` sends (issue 11): one
// builder (src/engine/request.ts). Before it, validate's preflight saw `extra.*` / `field.*` columns left in
// `fields`, empty `extra` / `additional`, and references derived from a placeholder batch key.
// In-process, so the adapter's preflight and submit can be watched; the provider is the embedded sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openEngine } from '../../src/cli/context.ts';
import { processFile } from '../../src/engine/batch.ts';
import { buildRequest } from '../../src/engine/request.ts';
import { validateFile } from '../../src/engine/validate-file.ts';
import { starpayProvider } from '../../src/providers/starpay/index.ts';
import type { PayoutRequest, ProviderAdapter } from '../../src/providers/types.ts';
import { tempDir, writeJson } from '../helpers/cli.ts';

const QR = '00020101021128400011ph.ppmi.p2m0107STARPAY031077889900115204581253036085802PH5912KAPE NI JUAN6011QUEZON CITY63046908';

/** A Starpay sheet with pass-through columns of both groups and no reference column (references derived). */
const SHEET = [
  'method,amount,currency,account_number,account_name,first_name,last_name,bank_name,mobile,extra.qr,extra.purpose,field.cost_center,note',
  'instapay,15000.00,PHP,109450001234,,Maria,Reyes,"BDO Unibank, Inc.",,,salary,CC-100,November payroll',
  'instapay,3200.00,PHP,09171230007,Ana Lim,,Lim,GCash,,,,CC-200,Sales incentive',
  `p2m-qr,1999.75,PHP,,,,,,,${QR},supplies,CC-300,Supplier invoice 4471`,
].join('\n') + '\n';

type Seen = { preflight: PayoutRequest[][]; submit: PayoutRequest[] };

/** Records what every Starpay adapter created from now on is asked. */
function watchStarpay(): Seen {
  const seen: Seen = { preflight: [], submit: [] };
  const create = starpayProvider.createAdapter.bind(starpayProvider);
  vi.spyOn(starpayProvider, 'createAdapter').mockImplementation((config, deps) => {
    const adapter: ProviderAdapter = create(config, deps);
    const preflight = adapter.preflight!.bind(adapter);
    const submit = adapter.submit.bind(adapter);
    adapter.preflight = async (rows) => {
      seen.preflight.push(structuredClone([...rows]));
      return preflight(rows);
    };
    adapter.submit = async (request) => {
      seen.submit.push(structuredClone(request));
      return submit(request);
    };
    return adapter;
  });
  return seen;
}

/** What identifies the payout inside one command (validate has no batch and no journal ids). */
const withoutIds = (rows: readonly PayoutRequest[]) =>
  [...rows].sort((a, b) => a.rowNumber - b.rowNumber).map(({ payoutId: _p, batchId: _b, prepared: _x, providerReference: _r, ...rest }) => rest);

function setUp() {
  const dir = tempDir('paybatch-same-request-');
  const work = path.join(dir, 'work');
  const config = writeJson(path.join(dir, 'config.json'), {
    work,
    provider: 'starpay',
    providers: { starpay: { baseUrl: 'sandbox', poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 1 } } },
  });
  const file = path.join(dir, 'payouts.csv');
  fs.writeFileSync(file, SHEET);
  return { dir, work, config, file };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('validate and run build one request', () => {
  it('the provider preflight sees the same requests from validate as from run, and run sends them', async () => {
    const { dir, config, file } = setUp();
    try {
      const seen = watchStarpay();

      const validated = await validateFile({ config }, file);
      expect(validated.state).toBe('validated');
      expect(seen.preflight).toHaveLength(1);
      const fromValidate = seen.preflight[0]!;

      const opened = await openEngine({ config, json: true }, 'run');
      try {
        const summary = await processFile(opened.engine, file, { origin: 'run', noWait: true });
        expect(summary.counts.invalid).toBe(0);
      } finally {
        await opened.close();
      }
      expect(seen.preflight).toHaveLength(2);
      const fromRun = seen.preflight[1]!;

      expect(fromValidate).toHaveLength(3);
      expect(withoutIds(fromValidate)).toEqual(withoutIds(fromRun));
      // What run sends is what both preflights saw.
      expect(withoutIds(seen.submit)).toEqual(withoutIds(fromRun));

      // The pass-through groups are split off `fields`, keyed without their prefix, on both paths.
      const qrRow = withoutIds(fromValidate).find((r) => r.rowNumber === 4)!;
      expect(qrRow.extra).toEqual({ qr: QR, purpose: 'supplies' });
      expect(qrRow.additional).toEqual({ cost_center: 'CC-300' });
      expect(Object.keys(qrRow.fields).some((k) => k.startsWith('extra.') || k.startsWith('field.'))).toBe(false);
      // The reference derived from the file (no reference column) is the one the run journals and sends.
      expect(qrRow.merchantReference).toMatch(/^\d{24}$/);
      expect(qrRow.amount).toBe('1999.75');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an unknown currency is an error, not 2 decimals', () => {
  const row = { rowNumber: 2, merchantReference: 'R-1', amountMinor: 1234n, fields: {} };

  it('a request carries the amount in the currency exponent', () => {
    expect(buildRequest({ ...row, currency: 'JPY' }, { payoutId: '1', batchId: 'b' }).amount).toBe('1234');
    expect(buildRequest({ ...row, currency: 'KWD' }, { payoutId: '1', batchId: 'b' }).amount).toBe('1.234');
    expect(buildRequest({ ...row, currency: 'USD' }, { payoutId: '1', batchId: 'b' }).amount).toBe('12.34');
  });

  it('a row whose currency has no known exponent is never given a guessed amount', () => {
    expect(() => buildRequest({ ...row, currency: 'ZZZ' }, { payoutId: '1', batchId: 'b' })).toThrow(/unknown currency "ZZZ"/);
    expect(() => buildRequest({ ...row, currency: null }, { payoutId: '1', batchId: 'b' })).toThrow(/unknown currency/);
  });
});
