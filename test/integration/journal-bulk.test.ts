// Journaling a sheet from the worker thread gives exactly the journal the in-thread path gives: every row,
// duplicates of earlier batches caught, row errors kept.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveProvider } from '../../src/config/load.ts';
import { ingestSheet } from '../../src/engine/ingest.ts';
import { Journal } from '../../src/journal/store.ts';
import { silentLogger } from '../../src/log.ts';
import { openSheet } from '../../src/sheet/open.ts';
import { tempDir, vexoraSheet, writeJson } from '../helpers/cli.ts';

async function journalSheet(dir: string, file: string, batchId: string, bulk: boolean, journal: Journal) {
  const config = loadConfig({ configPath: writeJson(path.join(dir, 'cfg.json'), { work: dir, providers: { vexora: { baseUrl: 'sandbox' } } }) });
  const resolved = resolveProvider(config, 'vexora');
  const sheet = await openSheet(file, config.sheet);
  journal.createBatch({ id: batchId, fileName: path.basename(file), fileSha256: batchId, fileBytes: 1, provider: 'vexora', sourcePath: file, format: 'csv' });
  return ingestSheet(
    { journal, config, log: silentLogger() },
    { sheet, batchId, providerId: 'vexora', rules: resolved.module.rowRules(resolved.block), module: resolved.module, batchKey: batchId, bulk },
  );
}

describe('bulk journaling', () => {
  it('journals 30,000 rows from the worker thread like the in-thread path, duplicates and errors included', async () => {
    const dir = tempDir();
    const journal = new Journal(path.join(dir, 'journal.sqlite'));
    try {
      const first = path.join(dir, 'first.csv');
      fs.writeFileSync(first, vexoraSheet(10, { prefix: 'R' }));
      const a = await journalSheet(dir, first, '20261121-aaaaaaaa', false, journal);
      expect(a.rowCount).toBe(10);

      // 30,000 rows; R-1..R-10 were journaled by the first batch; row 7 has an invalid amount.
      const lines = vexoraSheet(30_000, { prefix: 'R' }).trimEnd().split('\n');
      lines[7] = lines[7].replace(/^(R-7),\d+,/, '$1,12.345,');
      const second = path.join(dir, 'second.csv');
      fs.writeFileSync(second, lines.join('\n') + '\n');
      const b = await journalSheet(dir, second, '20261121-bbbbbbbb', true, journal);
      expect(b.rowCount).toBe(30_000);
      expect(b.invalid).toBe(1);
      const counts = journal.counts('20261121-bbbbbbbb');
      expect(counts.validated + counts.invalid + counts.duplicate).toBe(30_000);
      expect(counts.duplicate).toBe(9); // R-1..R-10 less the invalid R-7
      expect(counts.invalid).toBe(1);
      expect([...journal.iterateRowErrors('20261121-bbbbbbbb')].map((e) => [e.row, e.column, e.rule])).toEqual([[8, 'amount', 'amount-decimals']]);
      const last = journal.getPayout('20261121-bbbbbbbb-30001');
      expect(last?.merchantReference).toBe('R-30000');
      expect(last?.fields.email).toBe('payee30000@example.com');
    } finally {
      journal.close();
    }
  }, 60_000);
});
