// Read → validate → journal, in chunks (DESIGN §3): every row of a sheet is in the journal before anything
// is sent. Separate from the decisions that follow so the ingest benchmark measures exactly this.
import type { Journal, NewPayout } from '../journal/store.ts';
import type { ProviderModule, RowRules } from '../providers/types.ts';
import { matchHeaders, type HeaderMatch } from '../sheet/headers.ts';
import { EXCEL_MAX_COLUMNS, SheetError, grouped, type OpenedSheet } from '../sheet/types.ts';
import { RESULT_COLUMNS } from '../report/types.ts';
import { parseMoney } from '../validate/money.ts';
import { RowValidator, accountColumnIndices, maskedColumnNames, providerAliases } from '../validate/rows.ts';
import { sheetProblem, type RowProblem } from '../validate/problem.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';

const CHUNK = 1000;

export interface IngestInput {
  sheet: OpenedSheet;
  batchId: string;
  providerId: string;
  rules: RowRules;
  module: ProviderModule;
  /** Seed of derived references: `<yyyymmdd>-<8 hex of the SHA-256>`. */
  batchKey: string;
  /** Journal from a worker thread (large sheets). */
  bulk?: boolean;
}

export interface IngestResult {
  match: HeaderMatch;
  rowCount: number;
  invalid: number;
  duplicates: number;
  /** Valid rows' totals per currency (minor units). */
  totals: Map<string, bigint>;
  /** Rows over limits.maxRowAmount (the first 20). */
  overRowLimit: number[];
  /** Missing or doubled columns: every row is invalid. */
  fileErrors: RowProblem[];
  /** The sheet broke while being read: the batch is rejected. */
  failure?: SheetError;
}

/**
 * A sheet whose results.xlsx could never be written: its columns and the ones paybatch appends exceed
 * Excel's 16,384 (issue 10). Rows and cell lengths are checked by the readers as they stream.
 */
export function tooWideForResults(header: readonly string[], file: string): SheetError | undefined {
  const width = header.length + RESULT_COLUMNS.length;
  if (width <= EXCEL_MAX_COLUMNS) return undefined;
  return new SheetError(
    `the sheet has ${grouped(header.length)} columns; with the ${RESULT_COLUMNS.length} result columns paybatch adds, results.xlsx would need ${grouped(width)}, more than Excel's ${grouped(EXCEL_MAX_COLUMNS)}`,
    file,
    1,
    undefined,
    'excel-limit',
  );
}

/** A header and not one payout row: not a batch (DESIGN §8, exit 2), whatever blank rows follow. */
export function headerOnly(file: string): SheetError {
  return new SheetError('the sheet has a header but no payout rows', file, undefined, undefined, 'empty');
}

export async function ingestSheet(
  engine: { journal: Journal; config: LoadedConfig; log: Logger },
  input: IngestInput,
): Promise<IngestResult> {
  const { journal, config, log } = engine;
  const { sheet, batchId, providerId, rules } = input;
  const fileName = journal.getBatch(batchId)?.fileName ?? batchId;
  const match = matchHeaders(sheet.header, providerAliases(rules));
  const validator = new RowValidator({ file: fileName, header: sheet.header, match, rules, provider: input.module, batchKey: input.batchKey });
  const fileErrors: RowProblem[] = [
    ...validator.fileProblems(),
  ];
  journal.updateBatch(batchId, {
    header: sheet.header,
    amountColumn: match.columns.get('amount') ?? null,
    maskColumns: accountColumnIndices(match, maskedColumnNames(rules)),
    columns: [...match.columns.entries()],
  });

  // Read, validate and journal in chunks: every row is in the journal before anything is sent.
  let rowCount = 0;
  let invalid = 0;
  let duplicates = 0;
  const totals = new Map<string, bigint>();
  const overRowLimit: number[] = [];
  const maxRow = new Map<string, bigint>();
  for (const [cur, text] of Object.entries(config.limits.maxRowAmount)) {
    const m = parseMoney(text, cur);
    if (m.ok) maxRow.set(cur, m.minor);
  }
  let chunk: NewPayout[] = [];
  let chunkErrors: RowProblem[] = [];
  // Large sheets are inserted by a worker thread while this one reads and validates the next rows.
  const writer = input.bulk ? journal.bulkWriter?.() : undefined;
  const flush = async () => {
    if (chunk.length === 0 && chunkErrors.length === 0) return;
    if (writer) await writer.write(batchId, providerId, chunk, chunkErrors);
    else duplicates += journal.insertRows(batchId, providerId, chunk, chunkErrors).duplicates;
    chunk = [];
    chunkErrors = [];
  };
  // Missing or doubled columns make every row unusable: rows are still counted and kept, all invalid.
  const fileLevel = fileErrors;
  if (fileLevel.length) journal.insertRows(batchId, providerId, [], fileLevel);
  // Chunks commit without waiting for the disk; endBulk() makes the whole sheet durable before anything is sent.
  journal.beginBulk();
  try {
    const tooWide = tooWideForResults(sheet.header, fileName);
    if (tooWide) throw tooWide;
    for await (const rows of sheet.chunks) {
      for (const raw of rows) {
        rowCount++;
        const { payout, issues } = validator.validate(raw);
        if (fileLevel.length && payout.status === 'validated') {
          payout.status = 'invalid';
          payout.errorMessage = fileLevel.map((e) => e.message).join('; ');
        }
        if (payout.status === 'invalid') invalid++;
        else if (payout.amountMinor !== null && payout.currency) {
          totals.set(payout.currency, (totals.get(payout.currency) ?? 0n) + payout.amountMinor);
          const limit = maxRow.get(payout.currency);
          if (limit !== undefined && payout.amountMinor > limit && overRowLimit.length < 20) overRowLimit.push(payout.rowNumber);
        }
        chunk.push(payout);
        if (issues.length) chunkErrors.push(...issues);
      }
      if (chunk.length >= CHUNK) await flush();
    }
    if (rowCount === 0) throw headerOnly(fileName);
    await flush();
    if (writer) duplicates += (await writer.end()).duplicates;
  } catch (err) {
    if (!(err instanceof SheetError)) {
      await writer?.abort();
      throw err;
    }
    await flush();
    if (writer) duplicates += (await writer.end()).duplicates;
    journal.insertRows(batchId, providerId, [], [sheetProblem(fileName, err)]);
    journal.updateBatch(batchId, { state: 'rejected', rowCount }, { type: 'batch-rejected', detail: { reason: err.message } });
    return { match, rowCount, invalid, duplicates, totals, overRowLimit, fileErrors, failure: err };
  } finally {
    journal.endBulk();
    await sheet.close();
  }
  journal.updateBatch(batchId, { rowCount }, { type: 'batch-journaled', detail: { rows: rowCount, invalid, duplicates } });
  log.info('batch journaled', { batchId, rows: rowCount, invalid, duplicates });

  return { match, rowCount, invalid, duplicates, totals, overRowLimit, fileErrors };
}
