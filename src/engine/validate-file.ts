// `paybatch validate` and `run --dry-run`: the same reading and rules as a run, with nothing journaled and
// nothing sent (the provider is asked only for reference data such as Starpay's bank list).
import path from 'node:path';
import { loadConfig, resolveProvider } from '../config/load.ts';
import { ensureWorkFolders } from '../intake/folders.ts';
import { sha256File } from '../intake/identity.ts';
import { createLogger } from '../log.ts';
import { writeErrorsCsv } from '../report/errors.ts';
import { matchHeaders } from '../sheet/headers.ts';
import { openSheet } from '../sheet/open.ts';
import { SheetError } from '../sheet/types.ts';
import type { PayoutRequest } from '../providers/types.ts';
import { formatMinor } from '../validate/currencies.ts';
import { RowValidator, columnTitle, providerAliases } from '../validate/rows.ts';
import { sheetProblem, type RowProblem } from '../validate/problem.ts';
import type { BatchSummary } from './batch.ts';
import { headerOnly, tooWideForResults } from './ingest.ts';
import { batchKeyOf, buildRequest } from './request.ts';

export async function validateFile(options: { config?: string; work?: string; provider?: string }, file: string): Promise<BatchSummary> {
  const config = loadConfig({ configPath: options.config, work: options.work, provider: options.provider });
  const folders = ensureWorkFolders(config.workDir);
  const log = createLogger({ workDir: config.workDir, level: config.logging.level });
  const name = path.basename(file);
  const resolved = resolveProvider(config, config.provider);
  const rules = resolved.module.rowRules(resolved.block);
  const errorsCsv = path.join(folders.reports, 'validate', `${name.replace(/\.[^.]+$/, '')}.errors.csv`);
  const errors: RowProblem[] = [];
  const summary: BatchSummary = {
    id: '',
    file: name,
    provider: config.provider,
    state: 'validated',
    rows: 0,
    counts: { succeeded: 0, failed: 0, reversed: 0, invalid: 0, duplicate: 0, cancelled: 0, pending: 0, needs_review: 0 },
    reports: { results_csv: null, results_xlsx: null, reconciliation_csv: null, reconciliation_xlsx: null, errors_csv: null },
    notes: [],
  };
  let sheet;
  try {
    sheet = await openSheet(file, config.sheet);
  } catch (err) {
    if (!(err instanceof SheetError)) throw err;
    errors.push(sheetProblem(name, err));
    await writeErrorsCsv(errorsCsv, errors);
    return { ...summary, state: 'rejected', unreadable: true, reports: { ...summary.reports, errors_csv: errorsCsv }, notes: [err.message] };
  }
  const match = matchHeaders(sheet.header, providerAliases(rules));
  // Derived references as a run of this file today would derive them (the provider's checks may read them).
  const batchKey = batchKeyOf((await sha256File(file)).sha256);
  const validator = new RowValidator({ file: name, header: sheet.header, match, rules, provider: resolved.module, batchKey });
  errors.push(...validator.fileProblems());
  const fileLevel = errors.length > 0;
  const valid: PayoutRequest[] = [];
  const wantsPreflight = resolved.module.capabilities.preflight;
  const invalidRows = new Set<number>();
  const totals = new Map<string, bigint>();
  try {
    // The same whole-file refusals as a run (exit 2): too wide for results.xlsx, a header and no rows.
    const tooWide = tooWideForResults(sheet.header, name);
    if (tooWide) throw tooWide;
    for await (const rows of sheet.chunks) {
      for (const raw of rows) {
        summary.rows++;
        const { payout, issues } = validator.validate(raw);
        if (issues.length) errors.push(...issues);
        if (payout.status === 'invalid' || fileLevel) invalidRows.add(raw.rowNumber);
        else if (payout.amountMinor !== null && payout.currency) {
          totals.set(payout.currency, (totals.get(payout.currency) ?? 0n) + payout.amountMinor);
          // The request a run would build for this row (request.ts); no batch exists, so none is named. Kept only
          // for a provider that checks rows before sending (preflight): 200,000 of them are ~150 MB of heap.
          if (wantsPreflight && valid.length < 200_000) valid.push(buildRequest(payout, { payoutId: String(raw.rowNumber), batchId: '' }));
        }
      }
    }
    if (summary.rows === 0) throw headerOnly(name);
  } catch (err) {
    if (!(err instanceof SheetError)) throw err;
    errors.push(sheetProblem(name, err));
    summary.unreadable = true;
    summary.notes.push(`${name}: ${err.message}`);
  } finally {
    await sheet.close();
  }
  // Reference data checks (bank lists) without sending anything; a provider with none to check is not started.
  if (wantsPreflight && valid.length) {
    const { Runtimes } = await import('./runtime.ts');
    const runtimes = new Runtimes(config, log);
    try {
      const runtime = await runtimes.get(config.provider);
      const issues = await runtime.adapter.preflight?.(valid);
      for (const p of valid) {
        for (const i of issues?.get(p.payoutId) ?? []) {
          errors.push({ file: name, row: p.rowNumber, column: columnTitle(sheet.header, match, i.column), value: i.value, rule: i.rule, message: i.message });
          invalidRows.add(p.rowNumber);
        }
      }
    } finally {
      await runtimes.closeAll();
    }
  }
  summary.counts.invalid = invalidRows.size;
  if (errors.length) {
    await writeErrorsCsv(errorsCsv, errors);
    summary.reports.errors_csv = errorsCsv;
    summary.state = 'rejected';
  }
  for (const [cur, total] of totals) summary.notes.push(`${cur}: ${formatMinor(total, cur)} in valid rows`);
  summary.notes.push(`${summary.rows - invalidRows.size} valid, ${invalidRows.size} invalid row(s); nothing was sent`);
  log.end();
  return summary;
}
