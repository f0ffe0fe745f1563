// Printing summaries: the --json document of DESIGN §8 (exactly its keys), or short human lines.
import type { BatchSummary } from '../engine/batch.ts';

export function jsonDocument(summaries: BatchSummary[]): string {
  return JSON.stringify(
    {
      batches: summaries.map((s) => ({
        id: s.id,
        file: s.file,
        provider: s.provider,
        state: s.state,
        rows: s.rows,
        counts: s.counts,
        reports: s.reports,
      })),
    },
    null,
    2,
  );
}

export function humanLines(s: BatchSummary): string[] {
  const c = s.counts;
  const lines = [
    `batch ${s.id || '(none)'}  ${s.file}  ${s.provider}  ${s.state}`,
    `  rows ${s.rows}: succeeded ${c.succeeded}, failed ${c.failed}, reversed ${c.reversed}, invalid ${c.invalid}, duplicate ${c.duplicate}, pending ${c.pending}, needs_review ${c.needs_review}`,
  ];
  for (const note of s.notes) lines.push(`  ${note}`);
  if (s.reports.results_csv) lines.push(`  results: ${s.reports.results_csv} (+ .xlsx)`);
  if (s.reports.reconciliation_csv) lines.push(`  reconciliation: ${s.reports.reconciliation_csv} (+ .xlsx)`);
  if (s.reports.errors_csv) lines.push(`  errors: ${s.reports.errors_csv}`);
  return lines;
}

export function printSummaries(summaries: BatchSummary[], json: boolean | undefined): void {
  if (json) process.stdout.write(jsonDocument(summaries) + '\n');
  else for (const s of summaries) process.stdout.write(humanLines(s).join('\n') + '\n');
}
