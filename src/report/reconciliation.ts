// reconciliation.csv / reconciliation.xlsx (DESIGN §7): control totals per currency, counts and sums
// per status, fees, balances, the invariant, and the exceptions list.
//
// One model, two thin renderers (issue 11), in reconciliation/:
//   totals.ts      the single pass over the rows: sums per currency and status, exception records
//   spool.ts       the exception records on disk (their number is unbounded)
//   model.ts       the lines (section, currency, item, rows, amount, detail): what the files say
//   render-csv.ts  the lines in long format
//   render-xlsx.ts the lines as the Summary and Exceptions sheets
//   usd.ts         USD equivalents (decimal text)
// This file is the entry point the report writers import.
export { ReconciliationAccumulator, type ExceptionRecord, type ReconciliationData } from './reconciliation/totals.ts';
export { ExceptionSpool, readSpool } from './reconciliation/spool.ts';
export { UsdConverter } from './reconciliation/usd.ts';
export {
  approvalDetail,
  buildReconciliation,
  exceptionDetail,
  exceptionLine,
  exceptionLines,
  reconciliationLines,
  summaryLines,
  NO_APPROVALS,
  type ApprovalCells,
  type Money,
  type ReconLine,
  type ReconSection,
} from './reconciliation/model.ts';
export { RECONCILIATION_COLUMNS, csvRecord, writeCsvLines, writeReconciliationCsv } from './reconciliation/render-csv.ts';
export { writeReconciliationXlsx, writeSummarySheet, writeXlsxLines } from './reconciliation/render-xlsx.ts';
