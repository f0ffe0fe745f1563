// Issue 14, "Reports that finance prints and scans": a small batch journaled for real (approved, one payout
// resolved by hand, one cancelled), its reports written from the journal alone, and the workbooks read
// back as XML (page setup, print titles, footer, widths) and with exceljs (fills, number formats).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { CONTROL_EVENTS, type ControlDetail } from '../../src/engine/controls.ts';
import { writeReportsFor } from '../../src/engine/reporting.ts';
import { Journal, type NewPayout, type PayoutPatch, type PayoutStatus } from '../../src/journal/store.ts';
import { RESULT_STATUSES } from '../../src/report/types.ts';
import { readZip } from '../helpers/sheets.ts';

const ID = 'B-print';
const HEADER = ['reference', 'amount', 'currency', 'account_number', 'beneficiary'];
const ZONE = 'America/Sao_Paulo'; // -03:00 all year since 2019
const SENT_AT = '2024-06-03T12:00:05.000Z';

let dir: string;
let journal: Journal;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paybatch-print-'));
  journal = new Journal(join(dir, 'journal.sqlite'));
});
afterEach(async () => {
  journal.close();
  await rm(dir, { recursive: true, force: true });
});

function payout(rowNumber: number, reference: string, amount: string, currency: string, amountMinor: bigint): NewPayout {
  return {
    rowNumber,
    merchantReference: reference,
    status: 'validated',
    amountMinor,
    currency,
    original: [reference, amount, currency, 'GB29 NWBK 6016 1331 9268 19', 'Maria da Conceição'],
    fields: { reference, amount, currency },
  };
}

/** validated → submitting → … → `path`'s last status, the final step with `patch`. */
function move(row: number, path: PayoutStatus[], patch: PayoutPatch = {}): void {
  let from: PayoutStatus = 'validated';
  for (const to of path) {
    journal.transition(`${ID}-${row}`, to, to === path.at(-1) ? patch : {}, { type: 'test-step' }, [from]);
    from = to;
  }
}

const sent = (over: PayoutPatch = {}): PayoutPatch => ({ providerReference: 'PRV', rawStatus: 'OK', submittedAt: SENT_AT, completedAt: '2024-06-03T12:01:00.000Z', ...over });

/** Seven rows in USD, JPY and KWD; held, approved by maria, one payout resolved by hand, one cancelled. */
async function writtenBatch(): Promise<{ paths: Awaited<ReturnType<typeof writeReportsFor>>['paths'] }> {
  journal.createBatch({ id: ID, fileName: 'june.csv', fileSha256: 'c'.repeat(64), fileBytes: 400, provider: 'vexora', sourcePath: '/inbox/june.csv', format: 'csv' });
  journal.updateBatch(ID, {
    header: HEADER,
    amountColumn: 1,
    maskColumns: [3],
    columns: HEADER.map((h, i) => [h, i] as [string, number]),
    rowCount: 7,
  });
  journal.insertRows(
    ID,
    'vexora',
    [
      payout(2, 'JUN-1', '1500.00', 'USD', 150000n),
      payout(3, 'JUN-2', '250.50', 'USD', 25050n),
      payout(4, 'JUN-3', '99.99', 'USD', 9999n),
      payout(5, 'JUN-4', '10.00', 'USD', 1000n),
      payout(6, 'JUN-5', '12000', 'JPY', 12000n),
      payout(7, 'JUN-6', '12.345', 'KWD', 12345n),
      payout(8, 'JUN-7', '5.00', 'USD', 500n),
    ],
    [],
  );
  journal.updateBatch(ID, { state: 'held', holdReason: 'over maxFileTotal USD' });
  const approval: ControlDetail = { by: 'maria', osUser: 'mgarcia', via: 'cli', note: 'checked against the June payroll', holdReason: 'over maxFileTotal USD' };
  journal.updateBatch(ID, { state: 'submitting', approvedAt: '2024-06-03T12:00:00.000Z' }, { type: CONTROL_EVENTS.approved, detail: approval }, ['held']);

  move(2, ['submitting', 'succeeded'], sent({ paidAmountMinor: 150000n, feeMinor: 125n }));
  move(3, ['submitting', 'failed'], sent({ errorCode: 'ACCOUNT_CLOSED', errorMessage: 'beneficiary account closed' }));
  move(4, ['submitting', 'submitted', 'needs_review'], sent({ errorMessage: 'no final answer by the deadline' }));
  move(5, ['submitting', 'submitted', 'needs_review'], sent());
  move(6, ['submitting', 'succeeded'], sent({ paidAmountMinor: 12000n, feeMinor: 0n }));
  move(7, ['submitting', 'succeeded'], sent({ paidAmountMinor: 12345n, feeMinor: null }));
  move(8, ['cancelled']);
  // Row 5 resolved by hand, as controls.ts journals it.
  const resolve: ControlDetail = { by: 'joão', osUser: 'jsilva', via: 'console', note: 'bank statement shows the transfer', as: 'succeeded', payoutId: `${ID}-5`, reference: 'JUN-4' };
  journal.transition(`${ID}-5`, 'succeeded', { errorMessage: 'resolved by joão' }, { type: CONTROL_EVENTS.resolved, detail: resolve }, ['needs_review']);
  // An older resolution: its detail has only {as, note, by}.
  journal.event(CONTROL_EVENTS.resolved, ID, `${ID}-4`, 'needs_review', 'needs_review', { as: 'failed', note: 'old-style note', by: 'ops' });
  journal.updateBatch(ID, { state: 'completed', completedAt: '2024-06-03T18:30:00.000Z' });

  const { paths, error } = await writeReportsFor(journal, ID, dir, { maskMode: 'last4', timezone: ZONE });
  expect(error).toBeNull();
  return { paths };
}

function xmlParts(path: Buffer): Map<string, string> {
  return new Map([...readZip(path)].map(([name, data]) => [name, data.toString('utf8')]));
}

/** The sheets of a workbook by name, with their XML, from workbook.xml and its relationships. */
function sheetsOf(parts: Map<string, string>): { name: string; index: number; xml: string }[] {
  const rels = parts.get('xl/_rels/workbook.xml.rels')!;
  return [...parts.get('xl/workbook.xml')!.matchAll(/<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"/g)].map((m, index) => {
    const target = new RegExp(`Id="${m[2]}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="${m[2]}"`).exec(rels)!;
    const file = (target[1] ?? target[2]!).replace(/^\/?(xl\/)?/, 'xl/');
    return { name: m[1]!, index, xml: parts.get(file)! };
  });
}

async function workbook(path: string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  return wb;
}

async function csv(path: string): Promise<Record<string, string>[]> {
  return parse(await readFile(path, 'utf8'), { bom: true, columns: true }) as Record<string, string>[];
}

const TIME_SHOWN = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}$/;

describe('reports that finance prints', () => {
  it('every sheet prints landscape, one page wide, with the header on each page and the batch and page in the footer', async () => {
    const { paths } = await writtenBatch();
    for (const file of [paths.results_xlsx, paths.reconciliation_xlsx]) {
      const parts = xmlParts(await readFile(file));
      const sheets = sheetsOf(parts);
      expect(sheets.map((s) => s.name)).toEqual(file === paths.results_xlsx ? ['Results', 'Summary'] : ['Summary', 'Exceptions']);
      const workbookXml = parts.get('xl/workbook.xml')!;
      for (const { name, index, xml } of sheets) {
        const pageSetup = /<pageSetup [^>]*\/>/.exec(xml)?.[0] ?? '';
        expect(pageSetup, name).toMatch(/orientation="landscape"/);
        expect(pageSetup, name).toMatch(/fitToWidth="1"/);
        expect(pageSetup, name).toMatch(/fitToHeight="0"/);
        // Without fitToPage in sheetPr a spreadsheet uses scale and ignores fitTo*.
        expect(xml, name).toMatch(/<sheetPr>.*<pageSetUpPr fitToPage="1"\/>.*<\/sheetPr>/);
        const footer = /<oddFooter>(.*?)<\/oddFooter>/.exec(xml)?.[1] ?? '';
        expect(footer, name).toContain(ID);
        expect(footer, name).toContain('&amp;P of &amp;N');
        // Print titles: row 1 on every page, a defined name local to the sheet.
        expect(workbookXml, name).toContain(`<definedName name="_xlnm.Print_Titles" localSheetId="${index}">&apos;${name}&apos;!$1:$1</definedName>`);
      }
    }
  });

  it('columns fit their labels; payout_status is filled by outcome; amounts are numbers with the currency decimals', async () => {
    const { paths } = await writtenBatch();
    const recon = await workbook(paths.reconciliation_xlsx);
    const summary = recon.getWorksheet('Summary')!;
    const labels: string[] = [];
    summary.eachRow((r) => {
      // A label whose right neighbour holds a value cannot overflow into it: the column must fit it.
      if (typeof r.getCell(1).value === 'string' && r.getCell(2).value !== null) labels.push(r.getCell(1).value as string);
    });
    expect(labels).toContain('unparsed invalid rows');
    const longest = Math.max(...labels.map((l) => l.length));
    expect(summary.getColumn(1).width).toBeGreaterThanOrEqual(longest);

    const results = (await workbook(paths.results_xlsx)).getWorksheet('Results')!;
    const header = (results.getRow(1).values as unknown[]).slice(1) as string[];
    header.forEach((h, i) => expect(results.getColumn(i + 1).width, h).toBeGreaterThanOrEqual(h.length));
    const col = (name: string) => header.indexOf(name) + 1;
    const byRef = new Map<string, ExcelJS.Row>();
    results.eachRow((r, n) => n > 1 && byRef.set(String(r.getCell(1).value), r));
    const fill = (ref: string) => {
      const f = byRef.get(ref)!.getCell(col('payout_status')).fill as ExcelJS.FillPattern;
      expect(f.pattern, ref).toBe('solid');
      return f.fgColor?.argb;
    };
    expect(byRef.get('JUN-2')!.getCell(col('payout_status')).value).toBe('failed');
    expect(byRef.get('JUN-3')!.getCell(col('payout_status')).value).toBe('needs_review');
    const [succeeded, failed, review, cancelled] = [fill('JUN-1'), fill('JUN-2'), fill('JUN-3'), fill('JUN-7')];
    expect(new Set([succeeded, failed, review, cancelled]).size).toBe(4);
    expect(fill('JUN-5')).toBe(succeeded); // the resolved row reads succeeded, green like the others

    const amount = (ref: string, column: string) => byRef.get(ref)!.getCell(col(column));
    for (const [ref, value, numFmt] of [
      ['JUN-1', 1500, '#,##0.00'],
      ['JUN-5', 12000, '#,##0'],
      ['JUN-6', 12.345, '#,##0.000'],
    ] as const) {
      expect(amount(ref, 'amount').value, ref).toBe(value);
      expect(amount(ref, 'amount').numFmt, ref).toBe(numFmt);
      expect(amount(ref, 'paid_amount').value, ref).toBe(value);
      expect(amount(ref, 'paid_amount').numFmt, ref).toBe(numFmt);
    }
    expect(amount('JUN-1', 'fee').value).toBe(1.25);
    // People read the workbook's times in their zone; results.csv keeps the journal's UTC.
    expect(amount('JUN-1', 'submitted_at').value).toBe('2024-06-03 09:00:05 -03:00');
    const rows = await csv(paths.results_csv);
    expect(rows.find((r) => r.reference === 'JUN-1')).toMatchObject({ amount: '1500.00', paid_amount: '1500.00', fee: '1.25', submitted_at: SENT_AT });
    expect(rows.find((r) => r.reference === 'JUN-1')!.account_number).toBe('****6819');
  });

  it('the invariant line is whole, every term with its amount, in both files', async () => {
    const { paths } = await writtenBatch();
    const lines = (await csv(paths.reconciliation_csv)).filter((l) => l.section === 'invariant');
    expect(lines.map((l) => [l.currency, l.item])).toEqual([
      ['JPY', 'holds'],
      ['KWD', 'holds'],
      ['USD', 'holds'],
    ]);
    const usd = lines.find((l) => l.currency === 'USD')!.detail!;
    expect(usd).toBe(
      'USD: file 1865.49 = succeeded 1510.00 + failed 250.50 + reversed 0.00 + invalid 0.00 + duplicate 0.00 + cancelled 5.00 + pending 0.00 + needs_review 99.99 ✓',
    );
    for (const l of lines) for (const s of RESULT_STATUSES) expect(l.detail, `${l.currency} ${s}`).toMatch(new RegExp(`[=+] ${s} \\d+(\\.\\d+)? `));

    const summary = (await workbook(paths.reconciliation_xlsx)).getWorksheet('Summary')!;
    const shown = new Map<string, ExcelJS.Row>();
    summary.eachRow((r) => r.getCell(2).value === 'holds' && shown.set(String(r.getCell(1).value), r));
    expect([...shown.keys()]).toEqual(['JPY', 'KWD', 'USD']);
    for (const l of lines) {
      const row = shown.get(l.currency!)!;
      expect(row.getCell(6).value).toBe(l.detail);
      expect(row.getCell(3).value).toBe(Number(l.rows));
      // The equation longer than its column wraps, on a row tall enough for its lines: nothing is cut.
      const width = summary.getColumn(6).width!;
      expect(l.detail!.length > width ? row.getCell(6).alignment?.wrapText : true, l.currency).toBe(true);
      if (l.detail!.length > width) expect(row.height).toBeGreaterThanOrEqual(15 * Math.ceil(l.detail!.length / width));
    }
    expect(shown.get('USD')!.getCell(4).value).toBe(1865.49);
    expect(shown.get('USD')!.getCell(4).numFmt).toBe('#,##0.00');
  });

  it('the approvals section lists the approval and the resolutions, with who, the OS user and the note', async () => {
    const { paths } = await writtenBatch();
    const approvals = (await csv(paths.reconciliation_csv)).filter((l) => l.section === 'approvals');
    expect(approvals.map((l) => l.item)).toEqual(['approved', 'resolved as succeeded', 'resolved as failed']);
    const [approved, resolved, older] = approvals.map((l) => l.detail!) as [string, string, string];
    expect(approved).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} -03:00; by maria; OS user mgarcia; via cli; note: checked against the June payroll$/);
    expect(resolved).toMatch(/; by joão; OS user jsilva; via console; note: bank statement shows the transfer; payout JUN-4 \(B-print-5\)$/);
    expect(older).toMatch(/; by ops; note: old-style note; payout JUN-3 \(B-print-4\)$/);
    // The batch's own times, for people, in the zone.
    const facts = new Map((await csv(paths.reconciliation_csv)).filter((l) => l.section === 'batch').map((l) => [l.item, l.detail]));
    expect(facts.get('completed_at')).toBe('2024-06-03 15:30:00 -03:00');
    expect(facts.get('timezone')).toBe(ZONE);

    const summary = (await workbook(paths.reconciliation_xlsx)).getWorksheet('Summary')!;
    const rows: unknown[][] = [];
    summary.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
    const head = rows.findIndex((r) => r[0] === 'when' && r[1] === 'action');
    expect(rows[head - 1]).toEqual(['Approvals']);
    expect(rows[head]).toEqual(['when', 'action', 'by', 'OS user', 'via', 'note', 'payout/reference']);
    const table = rows.slice(head + 1, head + 4);
    expect(table.map((r) => r.slice(1))).toEqual([
      ['approved', 'maria', 'mgarcia', 'cli', 'checked against the June payroll'],
      ['resolved as succeeded', 'joão', 'jsilva', 'console', 'bank statement shows the transfer', 'JUN-4 (B-print-5)'],
      // exceljs reads the cells the older event lacks as missing
      ['resolved as failed', 'ops', undefined, undefined, 'old-style note', 'JUN-3 (B-print-4)'],
    ]);
    for (const r of table) expect(r[0]).toMatch(TIME_SHOWN);
  });
});
