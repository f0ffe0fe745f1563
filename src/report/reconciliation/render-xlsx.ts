// reconciliation.xlsx (and the Summary sheet of results.xlsx): the model's lines laid out as tables.
// Nothing here decides what a line says; it decides only where a section goes and which cells show.
import { addHeaderRow, moneyCellValue, numFmtForExponent, shareStyles, xlsxText, XlsxFile, type Worksheet } from '../xlsx.ts';
import type { ReportBatch } from '../types.ts';
import { exceptionLines, INVARIANT_TERMS, summaryLines, type ReconLine, type ReconSection } from './model.ts';
import { readSpool } from './spool.ts';
import type { ReconciliationData } from './totals.ts';

const USD_FORMAT = '#,##0.00';
const MONEY_COLUMNS = ['currency', 'item', 'rows', 'amount', 'usd_amount', 'detail'];
const SUMMARY_WIDTHS = [16, 18, 10, 18, 16, 90];

/**
 * How lines are written: 'facts' as item/value pairs; 'money' in MONEY_COLUMNS with typed numbers;
 * 'text' as currency, item and detail only (the invariant's equation: its amounts are in the totals).
 */
type Layout = 'facts' | 'money' | 'text';

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
  { sections: ['invariant'], head: [[`Invariant: ${INVARIANT_TERMS}`]], layout: 'text' },
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

function addLine(ws: Worksheet, l: ReconLine, block: SummaryBlock): void {
  // An XLSX-only line in a money table is a note (a balance in a currency without a known exponent).
  const layout = block.layout === 'money' && l.only === 'xlsx' ? 'text' : block.layout;
  if (layout === 'facts') {
    ws.addRow([xlsxText(l.item), typeof l.detail === 'number' ? l.detail : xlsxText(l.detail)]).commit();
    return;
  }
  if (layout === 'text') {
    ws.addRow([l.currency, l.item, '', '', '', String(l.detail)].map((c) => xlsxText(c))).commit();
    return;
  }
  const detail = block.hideDetail?.includes(l.section) ? '' : String(l.detail);
  const row = ws.addRow([
    l.currency === '' ? null : xlsxText(l.currency),
    xlsxText(l.item),
    l.rows,
    l.amount === null ? null : moneyCellValue(l.amount.minor, l.amount.exponent),
    l.usdAmount === '' ? null : Number(l.usdAmount),
    xlsxText(detail),
  ]);
  if (l.amount !== null) row.getCell(4).numFmt = numFmtForExponent(l.amount.exponent);
  if (l.usdAmount !== '') row.getCell(5).numFmt = USD_FORMAT;
  row.commit();
}

/** Lays out summary lines as the 'Summary' sheet (in results.xlsx and reconciliation.xlsx). */
export function writeSummaryLines(xlsx: XlsxFile, lines: ReconLine[]): void {
  const ws = xlsx.addSheet('Summary', SUMMARY_WIDTHS);
  let first = true;
  for (const block of blocksFor(lines.map((l) => l.section))) {
    let mine = lines.filter((l) => block.sections.includes(l.section) && l.only !== 'csv');
    if (mine.length === 0 && block.omitWhenEmpty) continue;
    if (block.byCurrency) mine = groupByCurrency(mine);
    if (!first) ws.addRow([]).commit();
    first = false;
    for (const cells of block.head) addHeaderRow(ws, cells, false);
    for (const l of mine) addLine(ws, l, block);
  }
  ws.commit();
}

/**
 * A 'Summary' sheet: batch information, per currency the control total, every status, fees, paid and
 * balances as typed numbers, then the invariant lines. Used in results.xlsx and reconciliation.xlsx.
 */
export function writeSummarySheet(xlsx: XlsxFile, batch: ReportBatch, data: ReconciliationData): void {
  writeSummaryLines(xlsx, summaryLines(batch, data));
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
const EXCEPTION_WIDTHS = [8, 18, 10, 16, 14, 24, 24, 14, 14, 40, 60];
/** Excel's row limit less the header and the 'truncated' row. */
const MAX_EXCEPTION_ROWS = 1_048_574;

/** Lays out exception lines as the 'Exceptions' sheet, one row per line with the row's references. */
export async function writeExceptionLines(xlsx: XlsxFile, lines: AsyncIterable<ReconLine> | Iterable<ReconLine>): Promise<void> {
  const ws = xlsx.addSheet('Exceptions', EXCEPTION_WIDTHS);
  addHeaderRow(ws, EXCEPTION_HEADER);
  let n = 0;
  for await (const l of lines) {
    const r = l.exception!;
    const row = ws.addRow([
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
    ]);
    shareStyles(row, EXCEPTION_HEADER.length, [
      [4, l.amount === null ? null : numFmtForExponent(l.amount.exponent)],
      [5, l.usdAmount === '' ? null : USD_FORMAT],
    ]);
    row.commit();
    if (++n % 256 === 0) await xlsx.throttle(ws);
    // Excel's row limit: the CSV keeps every line; the sheet says where it stopped.
    if (n >= MAX_EXCEPTION_ROWS) {
      ws.addRow([null, xlsxText('truncated'), '', null, null, '', '', '', '', '', 'more exceptions: see reconciliation.csv']).commit();
      break;
    }
  }
  ws.commit();
}

/** Writes reconciliation.xlsx: 'Summary' and 'Exceptions' (from the spool). */
export function writeReconciliationXlsx(path: string, batch: ReportBatch, data: ReconciliationData, spoolPath: string): Promise<void> {
  return writeXlsxLines(path, summaryLines(batch, data), exceptionLines(batch, readSpool(spoolPath)));
}

/** Writes a reconciliation workbook from the summary lines and the exception lines. */
export async function writeXlsxLines(
  path: string,
  summary: ReconLine[],
  exceptions: AsyncIterable<ReconLine> | Iterable<ReconLine>,
): Promise<void> {
  const xlsx = new XlsxFile(path);
  try {
    writeSummaryLines(xlsx, summary);
    await writeExceptionLines(xlsx, exceptions);
    await xlsx.commit();
  } catch (err) {
    await xlsx.destroy();
    throw err;
  }
}
