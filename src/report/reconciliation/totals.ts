// The single pass over the rows: per currency and status, rows and amounts added up in O(currencies)
// memory, and each row's exception records handed back for the caller to spool.
//
// The invariant, per currency:
//   Σ file = Σ succeeded + Σ failed + Σ reversed + Σ invalid + Σ duplicate + Σ cancelled + Σ pending + Σ needs_review
// (every status of RESULT_STATUSES: a status added there is a term here, a status line and an XLSX
// title term without any edit in this folder). DESIGN §7 once left Σ duplicate out; without it the
// equation is false whenever a batch has duplicates (a duplicate row is in the file but in none of the
// other statuses), so it is included. Invalid rows whose amount or currency could not be parsed have no
// known amount: they are counted on a separate 'unparsed' line (rows only) and enter no currency's sums.
import { currencyExponent, formatMinorWithExponent, type ExponentOverrides } from '../../validate/currencies.ts';
import { RESULT_STATUSES, type CurrencyTotals, type ReconciliationSummary, type ReportRow, type ResultStatus } from '../types.ts';

/** Statuses listed one row per line in the exceptions list (DESIGN §7). */
const EXCEPTION_STATUSES: ReadonlySet<ResultStatus> = new Set(['failed', 'reversed', 'needs_review', 'duplicate']);

/** One exceptions-list entry, spooled to disk as a JSON line while the rows stream past. */
export interface ExceptionRecord {
  row: number;
  /** A status (failed, reversed, needs_review, duplicate), 'amount_difference' or 'unparsed_amount'. */
  item: string;
  currency: string;
  /** Minor units as decimal integer text (bigint is not JSON); null when unknown. */
  amountMinor: string | null;
  /** amount_difference: the requested and the paid amount. */
  requestedMinor?: string;
  paidMinor?: string;
  merchantReference: string;
  providerReference: string;
  rawStatus: string;
  errorCode: string;
  errorMessage: string;
}

export interface CurrencyWork extends CurrencyTotals {
  exponent: number;
  feeRows: number;
  paidRows: number;
}

/** Everything the reconciliation needs, gathered in O(currencies) memory during the single pass. */
export interface ReconciliationData {
  summary: ReconciliationSummary;
  /** Per currency, sorted by code, with the working fields (exponent, row counts of fees and paid). */
  work: CurrencyWork[];
}

function emptyByStatus(): Record<ResultStatus, { rows: number; amountMinor: bigint }> {
  const out = {} as Record<ResultStatus, { rows: number; amountMinor: bigint }>;
  for (const s of RESULT_STATUSES) out[s] = { rows: 0, amountMinor: 0n };
  return out;
}

function emptyCounts(): Record<ResultStatus, number> {
  const out = {} as Record<ResultStatus, number>;
  for (const s of RESULT_STATUSES) out[s] = 0;
  return out;
}

/** Adds rows up per currency and status; returns each row's exception lines for the caller to spool. */
export class ReconciliationAccumulator {
  private readonly byCurrency = new Map<string, CurrencyWork>();
  private rows = 0;
  private unparsed = 0;
  private exceptions = 0;
  private readonly counts = emptyCounts();

  constructor(private readonly overrides?: ExponentOverrides) {}

  private currency(code: string, exponent: number): CurrencyWork {
    let c = this.byCurrency.get(code);
    if (!c) {
      c = {
        currency: code,
        fileRows: 0,
        fileAmountMinor: 0n,
        byStatus: emptyByStatus(),
        feesMinor: 0n,
        paidMinor: 0n,
        invariantHolds: true,
        exponent,
        feeRows: 0,
        paidRows: 0,
      };
      this.byCurrency.set(code, c);
    }
    return c;
  }

  add(row: ReportRow): ExceptionRecord[] {
    this.rows += 1;
    // A status outside RESULT_STATUSES (a caller bug) is still counted in the file total: the invariant
    // then shows BROKEN instead of the row vanishing.
    if (Object.prototype.hasOwnProperty.call(this.counts, row.status)) this.counts[row.status] += 1;
    const out: ExceptionRecord[] = [];
    const exponent = row.currency === '' ? undefined : currencyExponent(row.currency, this.overrides);
    const base = {
      row: row.rowNumber,
      currency: row.currency,
      merchantReference: row.merchantReference,
      providerReference: row.providerReference,
      rawStatus: row.rawStatus,
      errorCode: row.errorCode,
      errorMessage: row.errorMessage,
    };
    if (row.amountMinor === null || exponent === undefined) {
      // No known amount: counted on the unparsed line only.
      this.unparsed += 1;
      if (row.status !== 'invalid') {
        // Should not happen (only invalid rows lack an amount): make it visible rather than silent.
        out.push({ ...base, item: 'unparsed_amount', amountMinor: null });
      }
      if (EXCEPTION_STATUSES.has(row.status)) out.push({ ...base, item: row.status, amountMinor: null });
      this.exceptions += out.length;
      return out;
    }
    const c = this.currency(row.currency, exponent);
    c.fileRows += 1;
    c.fileAmountMinor += row.amountMinor;
    const bucket = c.byStatus[row.status];
    if (bucket) {
      bucket.rows += 1;
      bucket.amountMinor += row.amountMinor;
    }
    if (row.feeMinor !== null) {
      c.feesMinor += row.feeMinor;
      c.feeRows += 1;
    }
    if (row.status === 'succeeded') {
      c.paidMinor += row.paidAmountMinor ?? row.amountMinor;
      c.paidRows += 1;
    }
    if (EXCEPTION_STATUSES.has(row.status)) {
      out.push({ ...base, item: row.status, amountMinor: row.amountMinor.toString() });
    }
    if (row.status === 'succeeded' && row.paidAmountMinor !== null && row.paidAmountMinor !== row.amountMinor) {
      out.push({
        ...base,
        item: 'amount_difference',
        amountMinor: (row.paidAmountMinor - row.amountMinor).toString(),
        requestedMinor: row.amountMinor.toString(),
        paidMinor: row.paidAmountMinor.toString(),
      });
    }
    this.exceptions += out.length;
    return out;
  }

  finish(): ReconciliationData {
    const work = [...this.byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
    const invariantLines: string[] = [];
    for (const c of work) {
      let sumAmount = 0n;
      let sumRows = 0;
      for (const s of RESULT_STATUSES) {
        sumAmount += c.byStatus[s].amountMinor;
        sumRows += c.byStatus[s].rows;
      }
      c.invariantHolds = sumAmount === c.fileAmountMinor && sumRows === c.fileRows;
      invariantLines.push(invariantLine(c, sumAmount, sumRows));
    }
    const summary: ReconciliationSummary = {
      currencies: work.map((c) => ({
        currency: c.currency,
        fileRows: c.fileRows,
        fileAmountMinor: c.fileAmountMinor,
        byStatus: c.byStatus,
        feesMinor: c.feesMinor,
        paidMinor: c.paidMinor,
        invariantHolds: c.invariantHolds,
      })),
      unparsedInvalidRows: this.unparsed,
      exceptions: this.exceptions,
      invariantLines,
      rows: this.rows,
      counts: { ...this.counts },
    };
    return { summary, work };
  }
}

function invariantLine(c: CurrencyWork, sumAmount: bigint, sumRows: number): string {
  const f = (m: bigint) => formatMinorWithExponent(m, c.exponent);
  const terms = RESULT_STATUSES.map((s) => `${s} ${f(c.byStatus[s].amountMinor)}`).join(' + ');
  let line = `${c.currency}: file ${f(c.fileAmountMinor)} = ${terms}`;
  if (c.invariantHolds) return `${line} ✓`;
  line += ` ✗ BROKEN: statuses sum to ${f(sumAmount)}`;
  if (sumAmount !== c.fileAmountMinor) line += ` (difference ${f(sumAmount - c.fileAmountMinor)})`;
  if (sumRows !== c.fileRows) line += `; rows: file ${c.fileRows}, statuses ${sumRows}`;
  return line;
}
