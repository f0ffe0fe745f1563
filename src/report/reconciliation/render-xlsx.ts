// reconciliation.xlsx (and the Summary sheet of results.xlsx): the model's lines laid out as tables.
// Nothing here decides what a line says; it decides only where a section goes and which cells show.
import { FittedSheet, type CellValue, type ColumnFit } from '../fitted-sheet.ts';
import { moneyCellValue, moneyStyle, numFmtForExponent, xlsxText, XlsxFile } from '../xlsx.ts';
import type { ReportBatch } from '../types.ts';
import { exceptionLines, INVARIANT_TERMS, summaryLines, type ReconLine, type ReconSection } from './model.ts';
import { readSpool } from './spool.ts';
import type { ReconciliationData } from './totals.ts';

const USD_STYLE = moneyStyle('#,##0.00');
const MONEY_COLUMNS = ['currency', 'item', 'rows', 'amount', 'usd_amount', 'detail'];
const APPROVAL_COLUMNS = ['when', 'action', 'by', 'OS user', 'via', 'note', 'payout/reference'];
/**
 * The Summary sheet's columns serve several tables (facts, money, approvals), so each fits the widest
 * of them; the detail/note column is the long one, and wraps beyond its cap.
 */
const SUMMARY_FITS: ColumnFit[] = [
  { min: 10, max: 32 },
  { min: 12, max: 40 },
  { min: 6, max: 24 },
  { min: 12, max: 24 },
  { min: 10, max: 24 },
  { min: 30, max: 90 },
  { min: 8, max: 40 },
];

/**
 * How lines are written: 'facts' as item/value pairs; 'money' in MONEY_COLUMNS with typed numbers;
 * 'approvals' in APPROVAL_COLUMNS.
 */
type Layout = 'facts' | 'money' | 'approvals';

interface SummaryBlock {
  sections: ReconSection[];
  /** Bold rows before the lines (a title, column names). */
  head: string[][];
  layout: Layout;
  /** One group of lines per currency (in order of first appearance) instead of one per section. */
  byCurrency?: boolean;
  /** Left out, blank row included, when it has no lines. */
  omitWhenEmpty?: boolean;
  /** Sections whose detail text the sheet leaves out (the CSV carries it). */
  hideDetail?: ReconSection[];
}

/** The Summary sheet, top to bottom, one blank row between blocks. */
const SUMMARY_BLOCKS: SummaryBlock[] = [
  { sections: ['batch'], head: [['batch', 'value']], layout: 'facts' },
  {
    sections: ['control', 'status', 'fees'],
    head: [['Totals per currency'], MONEY_COLUMNS],
    layout: 'money',
    byCurrency: true,
    hideDetail: ['fees'],
  },
  { sections: ['balance'], head: [['Balances'], MONEY_COLUMNS], layout: 'money', omitWhenEmpty: true },
  // The equation whole, every term with its amount, in the detail column (wrapped on paper).
  { sections: ['invariant'], head: [[`Invariant: ${INVARIANT_TERMS}`], MONEY_COLUMNS], layout: 'money' },
  { sections: ['approvals'], head: [['Approvals'], APPROVAL_COLUMNS], layout: 'approvals' },
];

/** A section no block names (a new one) gets a money table of its own, titled by its name, at the end. */
function blocksFor(sections: Iterable<ReconSection>): SummaryBlock[] {
  const placed = new Set(SUMMARY_BLOCKS.flatMap((b) => b.sections));
  const extra = [...new Set(sections)].filter((s) => !placed.has(s) && s !== 'exception');
  return [...SUMMARY_BLOCKS, ...extra.map((s): SummaryBlock => ({ sections: [s], head: [[s], MONEY_COLUMNS], layout: 'money', omitWhenEmpty: true }))];
}

function groupByCurrency(lines: ReconLine[]): ReconLine[] {
  const groups = new Map<string, ReconLine[]>();
  for (const l of lines) {
    const group = groups.get(l.currency);
    if (group) group.push(l);
    else groups.set(l.currency, [l]);
  }
  return [...groups.values()].flat();
}

function addLine(sheet: FittedSheet, l: ReconLine, block: SummaryBlock): Promise<void> {
  if (block.layout === 'facts') return sheet.add([xlsxText(l.item), typeof l.detail === 'number' ? l.detail : xlsxText(l.detail)]);
  if (block.layout === 'approvals') {
    const a = l.approval;
    // The 'none' line: its sentence in the note column.
    if (!a) return sheet.add(['', xlsxText(l.item), '', '', '', xlsxText(String(l.detail))]);
    return sheet.add([a.when, l.item, a.by, a.osUser, a.via, a.note, a.payout].map((c) => xlsxText(c)));
  }
  // An XLSX-only line in a money table is a note (a balance in a currency without a known exponent).
  if (l.only === 'xlsx') return sheet.add([l.currency, l.item, '', '', '', String(l.detail)].map((c) => xlsxText(c)));
  const detail = block.hideDetail?.includes(l.section) ? '' : String(l.detail);
  return sheet.add(
    [
      l.currency === '' ? null : xlsxText(l.currency),
      xlsxText(l.item),
      l.rows,
      l.amount === null ? null : moneyCellValue(l.amount.minor, l.amount.exponent),
      l.usdAmount === '' ? null : Number(l.usdAmount),
      xlsxText(detail),
    ],
    [undefined, undefined, undefined, l.amount === null ? undefined : moneyStyle(numFmtForExponent(l.amount.exponent)), l.usdAmount === '' ? undefined : USD_STYLE],
  );
}

/** Lays out summary lines as the 'Summary' sheet (in results.xlsx and reconciliation.xlsx). */
export async function writeSummaryLines(xlsx: XlsxFile, lines: ReconLine[]): Promise<void> {
  const sheet = new FittedSheet(xlsx, 'Summary', SUMMARY_FITS);
  let first = true;
  for (const block of blocksFor(lines.map((l) => l.section))) {
    let mine = lines.filter((l) => block.sections.includes(l.section) && l.only !== 'csv');
    if (mine.length === 0 && block.omitWhenEmpty) continue;
    if (block.byCurrency) mine = groupByCurrency(mine);
    if (!first) await sheet.add([]);
    first = false;
    for (const cells of block.head) await sheet.bold(cells.map((c) => xlsxText(c)));
    for (const l of mine) await addLine(sheet, l, block);
  }
  await sheet.end();
}

/**
 * A 'Summary' sheet: batch information, per currency the control total, every status, fees, paid and
 * balances as typed numbers, the invariant lines, then the approvals. Used in results.xlsx and
 * reconciliation.xlsx.
 */
export function writeSummarySheet(xlsx: XlsxFile, batch: ReportBatch, data: ReconciliationData): Promise<void> {
  return writeSummaryLines(xlsx, summaryLines(batch, data));
}

const EXCEPTION_HEADER = [
  'row',
  'type',
  'currency',
  'amount',
  'usd_amount',
  'merchant_reference',
  'provider_reference',
  'raw_status',
  'error_code',
  'error_message',
  'detail',
];
const EXCEPTION_FITS: ColumnFit[] = [
  { min: 6, max: 10 },
  { min: 10, max: 20 },
  { min: 8, max: 12 },
  { min: 10, max: 24 },
  { min: 10, max: 24 },
  { min: 12, max: 40 },
  { min: 12, max: 40 },
  { min: 10, max: 30 },
  { min: 10, max: 30 },
  { min: 14, max: 50 },
  { min: 20, max: 70 },
];
/** Excel's row limit less the header and the 'truncated' row. */
const MAX_EXCEPTION_ROWS = 1_048_574;

/** Lays out exception lines as the 'Exceptions' sheet, one row per line with the row's references. */
export async function writeExceptionLines(xlsx: XlsxFile, lines: AsyncIterable<ReconLine> | Iterable<ReconLine>): Promise<void> {
  const sheet = new FittedSheet(xlsx, 'Exceptions', EXCEPTION_FITS);
  await sheet.header(EXCEPTION_HEADER, true);
  let n = 0;
  for await (const l of lines) {
    const r = l.exception!;
    const values: CellValue[] = [
      r.row,
      xlsxText(l.item),
      xlsxText(l.currency),
      l.amount === null ? null : moneyCellValue(l.amount.minor, l.amount.exponent),
      l.usdAmount === '' ? null : Number(l.usdAmount),
      xlsxText(r.merchantReference),
      xlsxText(r.providerReference),
      xlsxText(r.rawStatus),
      xlsxText(r.errorCode),
      xlsxText(r.errorMessage),
      xlsxText(String(l.detail)),
    ];
    await sheet.add(values, [undefined, undefined, undefined, l.amount === null ? undefined : moneyStyle(numFmtForExponent(l.amount.exponent)), l.usdAmount === '' ? undefined : USD_STYLE]);
    // Excel's row limit: the CSV keeps every line; the sheet says where it stopped.
    if (++n >= MAX_EXCEPTION_ROWS) {
      await sheet.add([null, xlsxText('truncated'), '', null, null, '', '', '', '', '', 'more exceptions: see reconciliation.csv']);
      break;
    }
  }
  await sheet.end();
}

/** Writes reconciliation.xlsx: 'Summary' and 'Exceptions' (from the spool). */
export function writeReconciliationXlsx(path: string, batch: ReportBatch, data: ReconciliationData, spoolPath: string): Promise<void> {
  return writeXlsxLines(path, summaryLines(batch, data), exceptionLines(batch, readSpool(spoolPath)));
}

/**
 * Writes a reconciliation workbook from the summary lines and the exception lines. The footer's batch id
 * is the batch section's: the lines are all the workbook says.
 */
export async function writeXlsxLines(
  path: string,
  summary: ReconLine[],
  exceptions: AsyncIterable<ReconLine> | Iterable<ReconLine>,
): Promise<void> {
  const id = summary.find((l) => l.section === 'batch' && l.item === 'id')?.detail ?? '';
  const xlsx = new XlsxFile(path, String(id));
  try {
    await writeSummaryLines(xlsx, summary);
    await writeExceptionLines(xlsx, exceptions);
    await xlsx.commit();
  } catch (err) {
    await xlsx.destroy();
    throw err;
  }
}
