// paybatch status | report | approve | resolve: reading and operating the journal.
import os from 'node:os';
import { summarize, type BatchSummary } from '../engine/batch.ts';
import { reportsProblem, writeReportsFor } from '../engine/reporting.ts';
import type { BatchRecord } from '../journal/store.ts';
import { openEngine, type GlobalOptions } from './context.ts';
import { printSummaries } from './output.ts';
import { UsageError } from './errors.ts';
import type { Opened } from './context.ts';

async function withJournal<T>(options: GlobalOptions, command: string, fn: (opened: Opened) => Promise<T>): Promise<T> {
  // Reading and approving do not take the work-folder lock: a running watch keeps it, and WAL lets both work.
  const opened = await openEngine({ ...options }, command, { lock: false });
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

function batchOrFail(opened: Opened, id: string) {
  const batch = opened.engine.journal.getBatch(id);
  if (!batch) throw new UsageError(`no batch ${id} (see paybatch status)`);
  return batch;
}

/** The note status prints for a batch whose reports are missing or incomplete. */
function reportsNote(batch: BatchRecord): string[] {
  const problem = reportsProblem(batch);
  return problem ? [`${problem}; the next run-once or watch writes them (or now: paybatch report ${batch.id})`] : [];
}


export async function statusCommand(batchId: string | undefined, options: GlobalOptions): Promise<number> {
  return withJournal(options, 'status', async (opened) => {
    const batches = batchId ? [batchOrFail(opened, batchId)] : opened.engine.journal.listBatches();
    const summaries: BatchSummary[] = batches.map((b) => summarize(opened.engine, b, reportsNote(b)));
    if (!options.json && summaries.length === 0) process.stdout.write('no batches yet\n');
    printSummaries(summaries, options.json);
    return 0;
  });
}

export async function reportCommand(batchId: string, options: GlobalOptions): Promise<number> {
  return withJournal(options, 'report', async (opened) => {
    batchOrFail(opened, batchId);
    const { summary, error } = await writeReportsFor(opened.engine.journal, batchId, opened.config.workDir, {
      maskMode: opened.config.reports.maskAccountNumbers,
      log: opened.log,
    });
    printSummaries([summarize(opened.engine, opened.engine.journal.getBatch(batchId)!, summary?.invariantLines ?? [])], options.json);
    // Asked for the reports and did not get them (all or part): say so in the exit code too.
    if (error) throw new UsageError(`batch ${batchId}: ${error}`);
    return 0;
  });
}

const operator = () => {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
};

export async function approveCommand(batchId: string, options: GlobalOptions): Promise<number> {
  return withJournal(options, 'approve', async (opened) => {
    const batch = batchOrFail(opened, batchId);
    if (batch.state !== 'held') throw new UsageError(`batch ${batchId} is ${batch.state}, not held: nothing to approve`);
    opened.engine.journal.updateBatch(
      batchId,
      { state: 'submitting', approvedAt: new Date().toISOString() },
      { type: 'batch-approved', detail: { by: operator(), holdReason: batch.holdReason } },
    );
    await writeReportsFor(opened.engine.journal, batchId, opened.config.workDir, { maskMode: opened.config.reports.maskAccountNumbers, log: opened.log });
    if (!options.json) process.stdout.write(`batch ${batchId} approved (${batch.holdReason}); a running watch sends it now, else run: paybatch run-once\n`);
    else printSummaries([summarize(opened.engine, opened.engine.journal.getBatch(batchId)!)], true);
    return 0;
  });
}

export async function resolveCommand(payout: string, options: GlobalOptions & { as?: string; note?: string }): Promise<number> {
  if (options.as !== 'succeeded' && options.as !== 'failed') throw new UsageError('--as must be succeeded or failed');
  if (!options.note || !options.note.trim()) throw new UsageError('--note is required: say how the outcome was established');
  return withJournal(options, 'resolve', async (opened) => {
    const { journal } = opened.engine;
    const record =
      journal.getPayout(payout) ??
      journal.listBatches().map((b) => journal.payoutByReference(b.provider, payout)).find(Boolean);
    if (!record) throw new UsageError(`no payout ${payout} (give its merchant reference, as in review.csv, or its payout id <batch>-<row>)`);
    if (record.status !== 'needs_review') throw new UsageError(`payout ${record.id} is ${record.status}; only needs_review rows are resolved by hand`);
    journal.transition(
      record.id,
      options.as as 'succeeded' | 'failed',
      { errorMessage: `resolved by ${operator()}: ${options.note}`, completedAt: new Date().toISOString() },
      { type: 'resolved-manually', detail: { as: options.as, note: options.note, by: operator() } },
      ['needs_review'],
    );
    await writeReportsFor(journal, record.batchId, opened.config.workDir, {
      maskMode: opened.config.reports.maskAccountNumbers,
      log: opened.log,
    });
    const summary = summarize(opened.engine, journal.getBatch(record.batchId)!);
    if (!options.json) process.stdout.write(`payout ${record.id} (${record.merchantReference}) resolved as ${options.as}; reports rewritten\n`);
    printSummaries([summary], options.json);
    return 0;
  });
}
