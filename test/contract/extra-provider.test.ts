// CONTRIBUTING.md "Adding a provider", followed in a test: TinyPay (test/contract/tinypay/, a provider that
// exists only here) gets its folder and one registry line — here the registry module with that line added —
// and nothing else. It then keeps the same adapter contract as the shipped providers, and the config loader,
// `paybatch template`, validation, the engine, the reports and log redaction take it as they are: a sheet
// of TinyPay rows is paid end to end against its embedded sandbox.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getProvider, providerIds } from '../../src/providers/registry.ts';
import { runCommand } from '../../src/cli/run.ts';
import { templateCommand } from '../../src/cli/template.ts';
import { csvOf } from '../helpers/providers.ts';
import { tinypayProvider } from './tinypay/index.ts';
import { contractSuite } from './suite.ts';

vi.mock('../../src/providers/registry.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/providers/registry.ts')>();
  const { tinypayProvider: tinypay } = await import('./tinypay/index.ts');
  // The one registry line a new provider adds.
  return { ...real, ...real.registryOf({ ...real.providers, tinypay }) };
});

describe('a provider added by its folder and one registry line', () => {
  it('is registered, after the shipped ones', () => {
    expect(providerIds.at(-1)).toBe('tinypay');
    expect(getProvider('tinypay')).toBe(tinypayProvider);
  });

  describe('is paid end to end by the unchanged CLI and engine', () => {
    let dir: string;
    let config: string;
    let stdout: string[];

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-tinypay-'));
      config = path.join(dir, 'config.json');
      fs.writeFileSync(
        config,
        JSON.stringify({
          work: path.join(dir, 'work'),
          provider: 'tinypay',
          providers: {
            tinypay: { baseUrl: 'sandbox', poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, deadlineHours: 1 }, sandbox: { settleAfterSeconds: 0.2 } },
          },
        }),
      );
      stdout = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
    });

    afterAll(() => {
      vi.restoreAllMocks();
    });

    it('`paybatch template` writes its columns', async () => {
      const out = path.join(dir, 'tinypay-template.csv');
      expect(await templateCommand({ config, provider: 'tinypay', format: 'csv', out })).toBe(0);
      expect(fs.readFileSync(out, 'utf8').replace(/^\ufeff/, '').trim()).toBe('reference,amount,currency,account_number');
    });

    it('`paybatch run` pays a sheet against the embedded sandbox, and reports it with account numbers masked', async () => {
      const kit = tinypayProvider.sandboxKit;
      const rows = [kit.row('E2E', 1, '1111'), kit.row('E2E', 2, '0002'), kit.row('E2E', 3, '1111')];
      const sheet = path.join(dir, 'payouts.csv');
      fs.writeFileSync(sheet, csvOf(rows.map((r, i) => ({ reference: `TP-E2E-${process.pid}-${i + 1}`, ...r }))));
      stdout.length = 0;
      // Exit 1: the batch completed, and one row was not paid (DESIGN §8).
      expect(await runCommand([sheet], { config, json: true })).toBe(1);
      const doc = JSON.parse(stdout.join('')) as { batches: { provider: string; state: string; counts: Record<string, number>; reports: Record<string, string | null> }[] };
      const batch = doc.batches[0]!;
      expect(batch).toMatchObject({ provider: 'tinypay', state: 'completed' });
      expect(batch.counts).toMatchObject({ succeeded: 2, failed: 1 });
      const results = fs.readFileSync(batch.reports.results_csv!, 'utf8');
      for (const r of rows) expect(results).not.toContain(r.account_number);
      const logs = fs.readdirSync(path.join(dir, 'work', 'logs')).map((f) => fs.readFileSync(path.join(dir, 'work', 'logs', f), 'utf8')).join('\n');
      expect(logs).not.toContain(tinypayProvider.credentials[0]!.sandboxValue);
    }, 60_000);
  });
});

contractSuite(tinypayProvider);
