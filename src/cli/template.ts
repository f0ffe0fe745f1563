// paybatch template: a blank sheet with the provider's columns and an instructions sheet.
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { loadConfig, resolveProvider } from '../config/load.ts';
import { writeFileAtomic } from '../report/index.ts';
import type { GlobalOptions } from './context.ts';
import { UsageError } from './errors.ts';

export async function templateCommand(options: GlobalOptions & { format?: string; out?: string }): Promise<number> {
  if (!options.provider) throw new UsageError('--provider is required');
  const format = (options.format ?? 'xlsx').toLowerCase();
  if (format !== 'xlsx' && format !== 'csv') throw new UsageError('--format must be xlsx or csv');
  const config = loadConfig({ configPath: options.config, work: options.work, provider: options.provider });
  const resolved = resolveProvider(config, options.provider);
  const rules = resolved.module.rowRules(resolved.block);
  const out = path.resolve(options.out ?? `${options.provider}-template.${format}`);
  const columns = rules.columns;
  if (format === 'csv') {
    await writeFileAtomic(out, '\ufeff' + stringify([columns.map((c) => c.name)], { record_delimiter: '\r\n' }));
  } else {
    // Only an XLSX template needs exceljs; a CSV one never loads it.
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('Payouts', { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = columns.map((c) => ({ header: c.name, key: c.name, width: Math.max(14, c.name.length + 4), style: { numFmt: c.name === 'amount' ? '#,##0.00' : '@' } }));
    sheet.getRow(1).font = { bold: true };
    const help = wb.addWorksheet('Instructions');
    help.columns = [
      { header: 'column', width: 22 },
      { header: 'required', width: 10 },
      { header: 'format / rule', width: 48 },
      { header: 'example', width: 26 },
      { header: 'also accepted as', width: 30 },
    ];
    help.getRow(1).font = { bold: true };
    for (const c of columns)
      help.addRow([c.name, c.required ? 'yes' : 'no', [c.description, c.patternHint ? `(${c.patternHint})` : '', c.identifier ? 'Keep as text: Excel destroys long numbers' : ''].filter(Boolean).join(' '), c.example, (c.aliases ?? []).join(', ')]);
    help.addRow([]);
    help.addRow(['Amounts are decimal numbers in major units (e.g. 1500.00). Currencies: ' + (rules.currencies === 'any' ? 'any ISO 4217 code' : rules.currencies.join(', '))]);
    const buffer = Buffer.from(await wb.xlsx.writeBuffer());
    await writeFileAtomic(out, buffer);
  }
  process.stdout.write(`${out}\n`);
  return 0;
}
