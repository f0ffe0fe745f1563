// paybatch status | report | approve | cancel | resolve: reading and operating the journal (the actions
// themselves are engine/controls.ts, shared with the console).
import { summarize, type BatchSummary } from '../engine/batch.ts';
import { approveBatch, cancelBatch, cliActor, resolvePayout } from '../engine/controls.ts';
import { reportOptions, reportsProblem, writeReportsFor } from '../engine/reporting.ts';
import type { BatchRecord } from '../journal/store.ts';
import { openEngine, type GlobalOptions } from './context.ts';
import { deliveryStatus } from '../notify/deliver.ts';
import { printable, printSummaries, showDeliveriesFrom } from './output.ts';
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
    // A shared journal (DESIGN §11): the processes working on it, this status command left out.
    const claims = opened.engine.journal.claims;
    const processes = claims
      ?.processes()
      .filter((p) => p.holder !== claims.holder)
      .map((p) => ({ host: p.host, pid: p.pid, command: p.command, heartbeat_at: p.heartbeatAt, rows_claimed: p.rowsClaimed }));
    showDeliveriesFrom(() => deliveryStatus(opened.engine));
    try {
      printSummaries(summaries, options.json, processes ? { processes } : undefined);
    } finally {
      showDeliveriesFrom(undefined);
    }
    if (processes && !options.json) {
      if (processes.length === 0) process.stdout.write('no paybatch process is working on this journal\n');
      for (const p of processes) process.stdout.write(printable(`process ${p.host} pid ${p.pid} (${p.command}): heartbeat ${p.heartbeat_at}, ${p.rows_claimed} row(s) claimed`) + '\n');
    }
    return 0;
  });
}

export async function reportCommand(batchId: string, options: GlobalOptions): Promise<number> {
  return withJournal(options, 'report', async (opened) => {
    batchOrFail(opened, batchId);
    // The same options as the run that wrote them (mask, timezone): `report` regenerates identical files.
    const { summary, error } = await writeReportsFor(opened.engine.journal, batchId, opened.config.workDir, { ...reportOptions(opened.engine), log: opened.log });
    printSummaries([summarize(opened.engine, opened.engine.journal.getBatch(batchId)!, summary?.invariantLines ?? [])], options.json);
    // Asked for the reports and did not get them (all or part): say so in the exit code too.
    if (error) throw new UsageError(`batch ${batchId}: ${error}`);
    return 0;
  });
}

export async function approveCommand(batchId: string, options: GlobalOptions & { by?: string; note?: string }): Promise<number> {
  return withJournal(options, 'approve', async (opened) => {
    const held = batchOrFail(opened, batchId);
    const batch = await approveBatch(opened.engine, batchId, cliActor(options.by), options.note);
    if (!options.json) process.stdout.write(`batch ${batchId} approved (${held.holdReason}); a running watch sends it now, else run: paybatch run-once\n`);
    else printSummaries([summarize(opened.engine, batch)], true);
    return 0;
  });
}

export async function cancelCommand(batchId: string, options: GlobalOptions & { by?: string; note?: string }): Promise<number> {
  if (!options.note || !options.note.trim()) throw new UsageError('--note is required: say why the batch is cancelled');
  return withJournal(options, 'cancel', async (opened) => {
    batchOrFail(opened, batchId);
    const batch = await cancelBatch(opened.engine, batchId, cliActor(options.by), options.note!);
    const summary = summarize(opened.engine, batch);
    if (!options.json) process.stdout.write(`batch ${batchId} cancelled: rows never sent are cancelled; rows already sent go on to their final status\n`);
    printSummaries([summary], options.json);
    // DESIGN §8: a cancelled batch ends with exit code 1.
    return 1;
  });
}

export async function resolveCommand(payout: string, options: GlobalOptions & { as?: string; note?: string; by?: string }): Promise<number> {
  if (options.as !== 'succeeded' && options.as !== 'failed') throw new UsageError('--as must be succeeded or failed');
  if (!options.note || !options.note.trim()) throw new UsageError('--note is required: say how the outcome was established');
  return withJournal(options, 'resolve', async (opened) => {
    const record = await resolvePayout(opened.engine, payout, options.as as 'succeeded' | 'failed', cliActor(options.by), options.note!);
    const summary = summarize(opened.engine, opened.engine.journal.getBatch(record.batchId)!);
    if (!options.json) process.stdout.write(`payout ${record.id} (${record.merchantReference}) resolved as ${options.as}; reports rewritten\n`);
    printSummaries([summary], options.json);
    return 0;
  });
}
