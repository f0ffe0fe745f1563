import type Database from 'better-sqlite3';

export type RowTuple = [
  rowNumber: number,
  merchantReference: string | null,
  status: string,
  amountMinor: string | null,
  currency: string | null,
  originalJson: string,
  errorMessage: string | null,
];

export interface RowErrorTuple {
  rowNumber: number | null;
  column: string;
  value: string;
  rule: string;
  message: string;
}

export function prepareChunkWriter(
  db: Database.Database,
): (batchId: string, provider: string, rows: RowTuple[], errors: RowErrorTuple[], at: string) => number;
