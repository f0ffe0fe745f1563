// Types shared by the report writers (DESIGN §7) and their callers (engine, cli).
// Amounts are bigint integer minor units of the row's currency; never a JS number.
import type { RowProblem } from '../validate/problem.ts';

export type ResultStatus = 'succeeded' | 'failed' | 'reversed' | 'invalid' | 'duplicate' | 'cancelled' | 'pending' | 'needs_review';

/** Every status, in the order the reports print them. */
export const RESULT_STATUSES: readonly ResultStatus[] = Object.freeze([
  'succeeded',
  'failed',
  'reversed',
  'invalid',
  'duplicate',
  'cancelled',
  'pending',
  'needs_review',
] as const);

/** The columns appended after the original ones, in this order (DESIGN §7). */
export const RESULT_COLUMNS = [
  'payout_status',
  'provider_reference',
  'merchant_reference',
  'raw_status',
  'error_code',
  'error_message',
  'submitted_at',
  'completed_at',
  'paid_amount',
  'fee',
] as const;

export interface ReportRow {
  /** The row number as the spreadsheet numbers it. */
  rowNumber: number;
  /** The input row's cells in header order, as read. */
  original: string[];
  status: ResultStatus;
  /** '' for invalid rows without one. */
  merchantReference: string;
  providerReference: string;
  rawStatus: string;
  errorCode: string;
  errorMessage: string;
  /** ISO-8601 UTC or ''. */
  submittedAt: string;
  completedAt: string;
  /** '' when unknown (invalid row). */
  currency: string;
  /** null for an invalid row whose amount could not be parsed. */
  amountMinor: bigint | null;
  paidAmountMinor: bigint | null;
  feeMinor: bigint | null;
}

export interface BalanceLine {
  currency: string;
  beforeMinor: bigint | null;
  afterMinor: bigint | null;
}

/**
 * A person's action on the batch (DESIGN §12): its release, an approval, a cancel, a manual resolution, as
 * journaled. The reconciliation's "approvals" section lists them.
 */
export interface ReportApproval {
  /** ISO-8601 UTC, as journaled. */
  at: string;
  /** 'released', 'approved', 'cancelled', 'resolved as succeeded', … */
  action: string;
  by: string;
  /** '' where the journal has none (older events). */
  osUser: string;
  via: string;
  note: string;
  /** A resolution's payout: its reference and id; '' for batch actions. */
  payout: string;
}

export interface ReportBatch {
  id: string;
  fileName: string;
  provider: string;
  /** e.g. 'completed' | 'held' | 'polling' | 'rejected'. */
  state: string;
  createdAt: string;
  /** ISO-8601 UTC; null or absent while the batch is open. */
  completedAt?: string | null;
  /** IANA zone of the times shown to people (config `timezone`); UTC when absent. */
  timezone?: string;
  /** In the order they happened; absent or empty: the approvals section says none. */
  approvals?: ReportApproval[];
  fileSha256: string;
  /** The original header cells. */
  header: string[];
  /** Index in header of the amount column (a number in XLSX when the row's amount was parsed). */
  amountColumn: number | null;
  /** Indices of account/card number columns to mask in reports. */
  maskColumns: number[];
  /** config reports.maskAccountNumbers: 'last4' → '****' + the last 4 characters. */
  maskMode: 'last4' | 'none';
  /** When the batch is held for approval: shown in the reconciliation. */
  holdReason?: string | null;
  balances?: BalanceLine[];
  /** currency → decimal text rate to USD; adds a USD equivalent to the reconciliation for that currency. */
  usdRates?: Record<string, string>;
  /**
   * Addition to the contract: configured exponents for codes outside ISO 4217 or overriding the
   * built-in table (e.g. `{ USDT: 6 }`); the same map validation used to parse the amounts.
   */
  currencyExponents?: Record<string, number>;
}

export interface ReportPaths {
  results_csv: string;
  /** '' when the workbook could not be written (the CSV was; see WrittenReports.xlsxError). */
  results_xlsx: string;
  reconciliation_csv: string;
  /** '' when the workbook could not be written. */
  reconciliation_xlsx: string;
  review_csv: string | null;
  errors_csv: string | null;
}

/** A line of <name>.errors.csv: the one row-problem type (validate/problem.ts), by its report name. */
export type ValidationError = RowProblem;

export interface CurrencyTotals {
  currency: string;
  fileRows: number;
  fileAmountMinor: bigint;
  byStatus: Record<ResultStatus, { rows: number; amountMinor: bigint }>;
  /** Σ fee over all rows of the currency that report one (a failed or reversed payout may carry a fee). */
  feesMinor: bigint;
  /** Σ over succeeded rows of paid_amount, or of the amount where the provider reported none. */
  paidMinor: bigint;
  invariantHolds: boolean;
}

export interface ReconciliationSummary {
  currencies: CurrencyTotals[];
  /** Invalid rows whose amount or currency could not be parsed: counted here, in no currency's sums. */
  unparsedInvalidRows: number;
  /** Number of exception lines (failed, reversed, needs_review, duplicate rows and amount differences). */
  exceptions: number;
  /** One per currency, e.g. "ARS: file 1500.00 = succeeded 900.00 + … + needs_review 0.00 ✓". */
  invariantLines: string[];
  /** Addition to the contract: all rows seen. */
  rows: number;
  /** Addition to the contract: rows per status over all currencies, unparsed invalid rows included (CLI --json counts). */
  counts: Record<ResultStatus, number>;
}
