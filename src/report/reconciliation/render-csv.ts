// reconciliation.csv: the model's lines in long format, one record per line, in model order.
import { formatMinorWithExponent } from '../../validate/currencies.ts';
import { CsvStreamWriter } from '../results.ts';
import { neutraliseFormula } from '../safe-cells.ts';
import type { ReportBatch } from '../types.ts';
import { reconciliationLines, type ReconLine } from './model.ts';
import { readSpool } from './spool.ts';
import type { ReconciliationData } from './totals.ts';

export const RECONCILIATION_COLUMNS = ['section', 'currency', 'item', 'rows', 'amount', 'usd_amount', 'detail'] as const;

/** A line's CSV record, in RECONCILIATION_COLUMNS order; text columns are formula-neutralised. */
export function csvRecord(l: ReconLine): string[] {
  return [
    l.section,
    neutraliseFormula(l.currency),
    neutraliseFormula(l.item),
    l.rows === null ? '' : String(l.rows),
    l.amount === null ? '' : formatMinorWithExponent(l.amount.minor, l.amount.exponent),
    l.usdAmount,
    neutraliseFormula(String(l.detail)),
  ];
}

/** Writes reconciliation.csv to `path`; exception lines come from the spool. */
export function writeReconciliationCsv(path: string, batch: ReportBatch, data: ReconciliationData, spoolPath: string): Promise<void> {
  return writeCsvLines(path, reconciliationLines(batch, data, readSpool(spoolPath)));
}

/** Writes `lines` (in order) as a reconciliation CSV; lines marked only: 'xlsx' are left out. */
export async function writeCsvLines(path: string, lines: AsyncIterable<ReconLine> | Iterable<ReconLine>): Promise<void> {
  const csv = CsvStreamWriter.open(path);
  try {
    await csv.write([...RECONCILIATION_COLUMNS]);
    for await (const l of lines) {
      if (l.only !== 'xlsx') await csv.write(csvRecord(l));
    }
    await csv.end();
  } catch (err) {
    await csv.destroy();
    throw err;
  }
}
