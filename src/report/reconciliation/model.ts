// The reconciliation as data (issue 11): one list of lines (section, currency, item, rows, amount,
// detail) built from the batch and the totals of the single pass. This file alone decides which lines
// exist and what they say; render-csv.ts and render-xlsx.ts only lay them out, so a new line is one edit
// here and both files show it.
//
// Pure: no files, no clock. Amounts stay bigint minor units with their exponent (USD equivalents are
// decimal text); only the XLSX renderer turns them into spreadsheet numbers. Times are shown in the batch's
// time zone (config `timezone`), with their offset.
import { currencyExponent, formatMinorWithExponent } from '../../validate/currencies.ts';
import { ShownTime } from '../times.ts';
import { RESULT_STATUSES, type ReportApproval, type ReportBatch, type ReportRow } from '../types.ts';
import { ReconciliationAccumulator, type CurrencyWork, type ExceptionRecord, type ReconciliationData } from './totals.ts';
import { UsdConverter } from './usd.ts';

/** An amount: integer minor units and the currency's exponent (2 for USD, 0 for JPY, 3 for KWD). */
export interface Money {
  minor: bigint;
  exponent: number;
}

export interface ReconLine {
  section: ReconSection;
  currency: string;
  item: string;
  /** Payout rows the line counts; null where it counts none (batch facts, balances). */
  rows: number | null;
  /** null where there is none, or it is not reported or not expressible (unknown exponent). */
  amount: Money | null;
  /** The amount in USD, decimal text with 2 decimals; '' without a rate (or an amount). */
  usdAmount: string;
  /** Text; a number where the value is a count (the batch's rows), so the XLSX gets a number cell. */
  detail: string | number;
  /**
   * Set on the few lines that exist in one file only, kept as the files had them before the model
   * (see each line's builder); the CSV/XLSX agreement test checks every other line in both.
   */
  only?: 'csv' | 'xlsx';
  /** Exception lines: the spooled record (row number, references, raw status, error) they describe. */
  exception?: ExceptionRecord;
  /** Approvals lines (but the 'none' line): the columns the XLSX shows; the CSV's detail says the same. */
  approval?: ApprovalCells;
}

/** An approvals line's columns as people read them (the action is the line's item). */
export interface ApprovalCells {
  /** In the batch's time zone, with its offset. */
  when: string;
  by: string;
  osUser: string;
  via: string;
  note: string;
  payout: string;
}

interface ModelContext {
  batch: ReportBatch;
  data: ReconciliationData;
  usd: UsdConverter;
  times: ShownTime;
}

/** A line whose fields other than section, currency and item are empty. */
function line(section: ReconSection, currency: string, item: string, fields: Partial<ReconLine> = {}): ReconLine {
  return { section, currency, item, rows: null, amount: null, usdAmount: '', detail: '', ...fields };
}

/** A money line of currency `c`: rows, the amount and its USD equivalent. */
function moneyLine(section: ReconSection, c: CurrencyWork, item: string, rows: number, minor: bigint, ctx: ModelContext, detail = ''): ReconLine {
  return line(section, c.currency, item, {
    rows,
    amount: { minor, exponent: c.exponent },
    usdAmount: ctx.usd.text(minor, c.currency, c.exponent),
    detail,
  });
}

export const UNPARSED_DETAIL =
  "invalid rows whose amount or currency could not be parsed: amount unknown, counted here only, not in any currency's sums";

function batchLines({ batch, data: { summary }, times }: ModelContext): ReconLine[] {
  const fact = (item: string, detail: string | number, only?: 'xlsx') => line('batch', '', item, { detail, only });
  return [
    fact('id', batch.id),
    fact('file', batch.fileName),
    fact('provider', batch.provider),
    fact('state', batch.state),
    fact('sha256', batch.fileSha256),
    // Read by people: in their zone (the journal and --json keep UTC).
    fact('created_at', times.text(batch.createdAt)),
    fact('completed_at', times.text(batch.completedAt ?? '')),
    fact('timezone', times.zone),
    fact('hold_reason', batch.holdReason ?? ''),
    fact('rows', summary.rows),
    // The Summary sheet's head has always shown these two counts; the CSV shows them as the control
    // 'unparsed' line's rows and as its exception lines.
    fact('unparsed invalid rows', summary.unparsedInvalidRows, 'xlsx'),
    fact('exceptions', summary.exceptions, 'xlsx'),
  ];
}

function controlLines(ctx: ModelContext): ReconLine[] {
  return [
    ...ctx.data.work.map((c) => moneyLine('control', c, 'file_total', c.fileRows, c.fileAmountMinor, ctx)),
    line('control', '', 'unparsed', { rows: ctx.data.summary.unparsedInvalidRows, detail: UNPARSED_DETAIL }),
  ];
}

/** Every status of RESULT_STATUSES for every currency, zeros included (a status added there appears here). */
function statusLines(ctx: ModelContext): ReconLine[] {
  return ctx.data.work.flatMap((c) => RESULT_STATUSES.map((s) => moneyLine('status', c, s, c.byStatus[s].rows, c.byStatus[s].amountMinor, ctx)));
}

function feeLines(ctx: ModelContext): ReconLine[] {
  return ctx.data.work.flatMap((c) => [
    moneyLine('fees', c, 'fees', c.feeRows, c.feesMinor, ctx, 'fees reported by the provider, all statuses'),
    moneyLine('fees', c, 'paid', c.paidRows, c.paidMinor, ctx, 'succeeded rows: paid_amount, or the amount where the provider reported none'),
  ]);
}

function balanceLines({ batch, data, usd }: ModelContext): ReconLine[] {
  return (batch.balances ?? []).flatMap((b) => {
    const e = currencyExponent(b.currency, batch.currencyExponents);
    const money = (minor: bigint | null) =>
      minor === null || e === undefined ? { amount: null, usdAmount: '' } : { amount: { minor, exponent: e }, usdAmount: usd.text(minor, b.currency, e) };
    const work = data.work.find((c) => c.currency === b.currency);
    const before = line('balance', b.currency, 'balance_before', { ...money(b.beforeMinor), detail: b.beforeMinor === null ? 'not reported' : '' });
    const after = line('balance', b.currency, 'balance_after', { ...money(b.afterMinor), detail: balanceDetail(b.beforeMinor, b.afterMinor, work, e) });
    if (e !== undefined) return [before, after];
    // A currency without a known exponent (its amounts cannot be written): the CSV has always kept both
    // lines with empty amounts, the Summary sheet one note instead.
    return [
      { ...before, only: 'csv' as const },
      { ...after, only: 'csv' as const },
      line('balance', b.currency, 'balance', { detail: 'unknown currency exponent', only: 'xlsx' }),
    ];
  });
}

function balanceDetail(before: bigint | null, after: bigint | null, c: CurrencyWork | undefined, e: number | undefined): string {
  if (after === null) return 'not reported';
  if (before === null || e === undefined) return '';
  const change = after - before;
  let text = `change ${formatMinorWithExponent(change, e)}`;
  if (c) text += `; succeeded paid + fees ${formatMinorWithExponent(c.paidMinor + c.feesMinor, e)}`;
  return text;
}

/** Per currency: 'holds' or 'BROKEN', the file's rows and amount, and the equation as text. */
function invariantLines({ data: { work, summary } }: ModelContext): ReconLine[] {
  return work.map((c, i) =>
    line('invariant', c.currency, c.invariantHolds ? 'holds' : 'BROKEN', {
      rows: c.fileRows,
      amount: { minor: c.fileAmountMinor, exponent: c.exponent },
      detail: summary.invariantLines[i]!,
    }),
  );
}

/** The invariant's equation in words, from RESULT_STATUSES (the XLSX title of the invariant lines). */
export const INVARIANT_TERMS = `file = ${RESULT_STATUSES.join(' + ')}`;

export const NO_APPROVALS = 'no release, approval, cancel or manual resolution recorded for this batch';

/** An approvals line's CSV detail: the XLSX's columns in their order, labelled, the empty ones left out. */
export function approvalDetail(a: ApprovalCells): string {
  return [a.when, a.by && `by ${a.by}`, a.osUser && `OS user ${a.osUser}`, a.via && `via ${a.via}`, a.note && `note: ${a.note}`, a.payout && `payout ${a.payout}`]
    .filter((part) => part !== '')
    .join('; ');
}

/** Who released, approved, cancelled or resolved by hand (DESIGN §12), oldest first; a 'none' line when nobody did. */
function approvalLines({ batch, times }: ModelContext): ReconLine[] {
  const approvals: ReportApproval[] = batch.approvals ?? [];
  if (approvals.length === 0) return [line('approvals', '', 'none', { detail: NO_APPROVALS })];
  return approvals.map((a) => {
    const cells: ApprovalCells = { when: times.text(a.at), by: a.by, osUser: a.osUser, via: a.via, note: a.note, payout: a.payout };
    return line('approvals', '', a.action, { detail: approvalDetail(cells), approval: cells });
  });
}

/**
 * The sections before the exceptions, in file order, each with the builder of its lines. Adding a
 * section is one entry here: the CSV prints its lines in this order, and the XLSX gives it a table of
 * its own at the end of the Summary sheet (render-xlsx.ts SUMMARY_BLOCKS may place it elsewhere).
 * A status (issue 14's `cancelled`) is one entry in RESULT_STATUSES (types.ts): its status lines, its
 * invariant term and the XLSX invariant title follow from there.
 */
const SECTIONS = {
  batch: batchLines,
  control: controlLines,
  status: statusLines,
  fees: feeLines,
  balance: balanceLines,
  invariant: invariantLines,
  approvals: approvalLines,
} satisfies Record<string, (ctx: ModelContext) => ReconLine[]>;

/** The exceptions list comes last: one line per spooled record, streamed (its length is unbounded). */
export type ReconSection = keyof typeof SECTIONS | 'exception';

/** Every line before the exceptions, in file order (O(currencies + balances): held in memory). */
export function summaryLines(batch: ReportBatch, data: ReconciliationData, usd = new UsdConverter(batch.usdRates)): ReconLine[] {
  const ctx: ModelContext = { batch, data, usd, times: new ShownTime(batch.timezone) };
  return Object.values(SECTIONS).flatMap((build) => build(ctx));
}

/** The exceptions-list line of one record. */
export function exceptionLine(r: ExceptionRecord, batch: ReportBatch, usd = new UsdConverter(batch.usdRates)): ReconLine {
  const e = r.currency === '' ? undefined : currencyExponent(r.currency, batch.currencyExponents);
  const minor = r.amountMinor === null || e === undefined ? null : BigInt(r.amountMinor);
  return line('exception', r.currency, r.item, {
    rows: 1,
    amount: minor === null ? null : { minor, exponent: e! },
    usdAmount: minor === null ? '' : usd.text(minor, r.currency, e!),
    detail: exceptionDetail(r, e),
    exception: r,
  });
}

export async function* exceptionLines(batch: ReportBatch, records: AsyncIterable<ExceptionRecord> | Iterable<ExceptionRecord>): AsyncGenerator<ReconLine> {
  const usd = new UsdConverter(batch.usdRates);
  for await (const r of records) yield exceptionLine(r, batch, usd);
}

/** The whole reconciliation, in file order: the summary lines, then the exceptions list. */
export async function* reconciliationLines(
  batch: ReportBatch,
  data: ReconciliationData,
  records: AsyncIterable<ExceptionRecord> | Iterable<ExceptionRecord>,
): AsyncGenerator<ReconLine> {
  yield* summaryLines(batch, data);
  yield* exceptionLines(batch, records);
}

/**
 * The reconciliation of `rows` in memory, without files: the same totals and lines the report writers
 * produce (they stream instead). For tests and small batches.
 */
export function buildReconciliation(batch: ReportBatch, rows: Iterable<ReportRow>): { data: ReconciliationData; lines: ReconLine[] } {
  const totals = new ReconciliationAccumulator(batch.currencyExponents);
  const records: ExceptionRecord[] = [];
  for (const row of rows) records.push(...totals.add(row));
  const data = totals.finish();
  const usd = new UsdConverter(batch.usdRates);
  return { data, lines: [...summaryLines(batch, data, usd), ...records.map((r) => exceptionLine(r, batch, usd))] };
}

/** "row 7 ref X: <code> <message>" (status/raw status when the provider gave neither). */
export function exceptionDetail(r: ExceptionRecord, exponent: number | undefined): string {
  const head = `row ${r.row} ref ${r.merchantReference || '-'}:`;
  if (r.item === 'amount_difference' && exponent !== undefined && r.requestedMinor && r.paidMinor) {
    return `${head} paid ${formatMinorWithExponent(BigInt(r.paidMinor), exponent)} for amount ${formatMinorWithExponent(BigInt(r.requestedMinor), exponent)}`;
  }
  if (r.item === 'unparsed_amount') {
    return `${head} status without a parsed amount or currency; not in any currency's sums`;
  }
  const what = [r.errorCode, r.errorMessage].filter((s) => s !== '').join(' ');
  return `${head} ${what || r.rawStatus || r.item}`;
}
