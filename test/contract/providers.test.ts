// Every registered provider keeps the adapter contract against its own sandbox (suite.ts), and is
// registered the way CONTRIBUTING.md "Adding a provider" says: its folder, one registry line, a sample sheet
// and a block in config/default.json. The list is the registry's; no provider is named here.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProvider, providerIds } from '../../src/providers/registry.ts';
import { capabilityMismatches } from '../../src/providers/define.ts';
import { silentLogger } from '../../src/log.ts';
import { contractSuite } from './suite.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const defaults = JSON.parse(fs.readFileSync(path.join(repo, 'config', 'default.json'), 'utf8')) as { providers: Record<string, unknown> };

describe.each(providerIds)('%s is registered as CONTRIBUTING.md says', (id) => {
  const module = getProvider(id)!;

  it('has its folder with a README, a sample sheet (CSV and XLSX) and a block in config/default.json', () => {
    expect(module.id).toBe(id);
    expect(fs.existsSync(path.join(repo, 'src', 'providers', id, 'README.md'))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'samples', `${id}-payouts.csv`))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'samples', `${id}-payouts.xlsx`))).toBe(true);
    expect(defaults.providers[id]).toBeDefined();
  });

  it('parses its own block: a parsed block parses to itself, and its adapter has the capabilities it declares', () => {
    const credentials = Object.fromEntries(module.credentials.map((c) => [c.key, c.sandboxValue]));
    const block = module.configSchema.parse({ baseUrl: 'http://127.0.0.1:9', callbackUrl: 'https://merchant.invalid/cb', ...credentials });
    expect(module.configSchema.parse(block)).toEqual(block);
    const adapter = module.createAdapter(block, { log: silentLogger() });
    expect(adapter.id).toBe(id);
    expect(capabilityMismatches(module.capabilities, adapter)).toEqual([]);
    expect(module.rowRules(block).columns.length).toBeGreaterThan(0);
  });
});

for (const id of providerIds) contractSuite(getProvider(id)!);
