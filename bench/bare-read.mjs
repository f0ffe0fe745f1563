// A bare read of a sheet in a plain node process (no tsx, nothing of paybatch): the baseline the
// `paybatch validate` CLI child is timed against in bench/ingest.ts, start-up included in both.
//   node bench/bare-read.mjs FILE.csv     createReadStream(file).pipe(parse()), every record counted
//   node bench/bare-read.mjs FILE.xlsx    exceljs streaming WorkbookReader (the engine's options), every row counted
//   node bench/bare-read.mjs --startup [FILE]  loads the module a read of FILE needs and exits (start-up only)
// Prints {"rows": N, "seconds": S} (data rows: the header is not counted).
import fs from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: node bench/bare-read.mjs FILE|--startup');
const t0 = performance.now();
let rows = -1;
if (file === '--startup') {
  // `--startup [FILE]`: loads what a read of FILE would load, then exits.
  await import(process.argv[3]?.toLowerCase().endsWith('.xlsx') ? 'exceljs' : 'csv-parse');
  rows = 0;
} else if (file.toLowerCase().endsWith('.xlsx')) {
  const { default: ExcelJS } = await import('exceljs');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'emit' });
  for await (const sheet of reader) {
    for await (const _row of sheet) rows++;
    break;
  }
} else {
  const { parse } = await import('csv-parse');
  for await (const _record of fs.createReadStream(file).pipe(parse())) rows++;
}
process.stdout.write(JSON.stringify({ rows, seconds: (performance.now() - t0) / 1000 }) + '\n');
