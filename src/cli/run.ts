// paybatch run <file...>: one sheet (or several) to its end; idempotent by the file's bytes.
import fs from 'node:fs';
import path from 'node:path';
import { exitCodeFor, processFile, type BatchSummary } from '../engine/batch.ts';
import { validateFile } from '../engine/validate-file.ts';
import { openEngine, type GlobalOptions } from './context.ts';
import { printSummaries } from './output.ts';
import { UsageError } from './errors.ts';

export interface RunOptions extends GlobalOptions {
  dryRun?: boolean;
  wait?: boolean;
}

export async function runCommand(files: string[], options: RunOptions): Promise<number> {
  for (const f of files) if (!fs.existsSync(f) || !fs.statSync(f).isFile()) throw new UsageError(`no such file: ${f}`);
  if (options.dryRun) {
    const summaries: BatchSummary[] = [];
    for (const f of files) summaries.push(await validateFile(options, f));
    printSummaries(summaries, options.json);
    return exitCodeFor(summaries);
  }
  const opened = await openEngine(options, 'run');
  try {
    const recovered = opened.engine.journal.recoverInFlight();
    if (recovered) opened.log.warn(`${recovered} payout(s) were in flight when paybatch last stopped: they will be checked with the provider before anything else`);
    const summaries: BatchSummary[] = [];
    for (const f of files) summaries.push(await processFile(opened.engine, path.resolve(f), { origin: 'run', noWait: options.wait === false }));
    opened.progress.stop();
    printSummaries(summaries, options.json);
    return exitCodeFor(summaries);
  } finally {
    await opened.close();
  }
}
