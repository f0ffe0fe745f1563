// Amounts and statuses as people read them on the pages: decimal text from minor units (never a float),
// payout_status names as in results.csv.
import { resultStatusOf } from '../../engine/reporting.ts';
import type { AmountTotal } from '../../journal/contract.ts';
import type { PayoutStatus } from '../../journal/states.ts';
import { RESULT_STATUSES, type ResultStatus } from '../../report/index.ts';
import { formatMinor } from '../../validate/currencies.ts';

export function amountText(minor: bigint | null, currency: string | null): string {
  if (minor === null) return '';
  if (!currency) return `${minor} (minor units)`;
  try {
    return formatMinor(minor, currency);
  } catch {
    return `${minor} (minor units)`;
  }
}

/** The journal statuses a payout_status (results.csv) stands for: `pending` is every open one. */
export function journalStatusesOf(status: ResultStatus): PayoutStatus[] {
  return (Object.keys(resultStatusOf) as PayoutStatus[]).filter((s) => resultStatusOf[s] === status);
}

export const isResultStatus = (s: unknown): s is ResultStatus => typeof s === 'string' && (RESULT_STATUSES as readonly string[]).includes(s);

/**
 * The invariant per currency (DESIGN §7), worded as the reconciliation words it:
 * "ARS: file 1500.00 = succeeded 900.00 + … + needs_review 0.00 ✓".
 */
export function invariantLines(totals: AmountTotal[]): string[] {
  const byCurrency = new Map<string, { file: bigint; fileRows: number; byStatus: Map<ResultStatus, bigint>; rows: number }>();
  for (const t of totals) {
    if (t.currency === null) continue; // invalid rows without an amount: in no currency's sums
    const c = byCurrency.get(t.currency) ?? { file: 0n, fileRows: 0, byStatus: new Map(), rows: 0 };
    c.file += t.amountMinor;
    c.fileRows += t.rows;
    const status = resultStatusOf[t.status];
    c.byStatus.set(status, (c.byStatus.get(status) ?? 0n) + t.amountMinor);
    byCurrency.set(t.currency, c);
  }
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, c]) => {
      const terms = RESULT_STATUSES.map((s) => `${s} ${amountText(c.byStatus.get(s) ?? 0n, currency)}`);
      const sum = [...c.byStatus.values()].reduce((a, b) => a + b, 0n);
      return `${currency}: file ${amountText(c.file, currency)} = ${terms.join(' + ')} ${sum === c.file ? '✓' : '✗ BROKEN'}`;
    });
}
