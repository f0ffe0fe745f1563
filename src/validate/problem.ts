// One shape for a problem with a sheet, from validation through the journal to <name>.errors.csv (DESIGN §5:
// file, row, column, value, rule). A provider's rules find the row-less part (RowIssue); validation adds
// where it is, the journal keeps it with its batch, and the errors report prints it as it is.
import type { RowIssue } from '../providers/types.ts';

export type { RowIssue };

export interface RowProblem extends RowIssue {
  /** The sheet's file name (no folder). The journal keeps problems per batch: read back, it is the batch's. */
  file: string;
  /** The row as the spreadsheet numbers it (the header is row 1); null for the whole file. */
  row: number | null;
}

/** What a sheet reader says when it cannot go on (SheetError), as a problem of the whole file or of a row. */
export function sheetProblem(file: string, err: { row?: number; column?: string; rule: string; message: string }): RowProblem {
  return { file, row: err.row ?? null, column: err.column ?? '', value: '', rule: err.rule, message: err.message };
}

/** A problem of the whole file (no row): a duplicate file, an unknown provider, a file that changed. */
export function fileProblem(file: string, rule: string, message: string, value = '', column = ''): RowProblem {
  return { file, row: null, column, value, rule, message };
}
