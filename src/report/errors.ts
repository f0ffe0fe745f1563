// <name>.errors.csv (DESIGN §4/§5): one line per validation error, naming file, row (as the
// spreadsheet numbers it), column, value and rule. Streamed, atomic, formula-safe.
import { withAtomicPath } from './atomic.ts';
import { CsvStreamWriter } from './results.ts';
import { maskAccount, neutraliseFormula } from './safe-cells.ts';
import type { RowProblem } from '../validate/problem.ts';

export const ERROR_COLUMNS = ['file', 'row', 'column', 'value', 'rule', 'message'] as const;

export interface ErrorsCsvOptions {
  /**
   * Addition to the contract: columns (by header name, compared case-, space-, dash- and
   * underscore-insensitively) whose values are account/card numbers, masked per `maskMode`.
   */
  maskColumns?: string[];
  maskMode?: 'last4' | 'none';
}

function columnKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Writes the errors CSV: columns file,row,column,value,rule,message; UTF-8 with BOM, CRLF. */
export async function writeErrorsCsv(
  path: string,
  errors: Iterable<RowProblem> | AsyncIterable<RowProblem>,
  options: ErrorsCsvOptions = {},
): Promise<void> {
  const masked = new Set((options.maskColumns ?? []).map(columnKey));
  const mode = options.maskMode ?? 'last4';
  await withAtomicPath(path, async (tmp) => {
    const csv = CsvStreamWriter.open(tmp);
    try {
      await csv.write([...ERROR_COLUMNS]);
      for await (const e of errors) {
        const value = masked.size > 0 && masked.has(columnKey(e.column)) ? maskAccount(e.value, mode) : e.value;
        await csv.write([
          neutraliseFormula(e.file),
          e.row === null ? '' : String(e.row),
          neutraliseFormula(e.column),
          neutraliseFormula(value),
          neutraliseFormula(e.rule),
          neutraliseFormula(e.message),
        ]);
      }
      await csv.end();
    } catch (err) {
      await csv.destroy();
      throw err;
    }
  });
}
