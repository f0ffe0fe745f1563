// paybatch run <file...>: one sheet (or several) to its end; idempotent by the file's bytes.
import fs from 'node:fs';
import path from 'node:path';
import { exitCodeFor, processFile, type BatchSummary } from '../engine/batch.ts';
import { validateFile } from '../engine/validate-file.ts';
import { deliverDue } from '../notify/deliver.ts';
import { noticeChanged } from '../notify/outbox.ts';
import { openEngine, type GlobalOptions } from './context.ts';
import { printSummaries, printable } from './output.ts';
import { UsageError } from './errors.ts';

export interface RunOptions extends GlobalOptions {
  dryRun?: boolean;
  wait?: boolean;
  /** Who releases the sheets (four eyes); default the OS user. */
  by?: string;
}

export async function runCommand(files: string[], options: RunOptions): Promise<number> {
  if (options.by !== undefined && !options.by.trim()) throw new UsageError('--by needs a name: who releases the sheet (leave it out for the OS user)');
  for (const f of files) {
    const problem = notASheetFile(f);
    if (problem) throw new UsageError(problem);
  }
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
    for (const f of files) summaries.push(await processFile(opened.engine, path.resolve(f), { origin: 'run', noWait: options.wait === false, releasedBy: options.by }));
    opened.progress.stop();
    printSummaries(summaries, options.json);
    // After the payout work and its output: what fails here changes no exit code.
    await noticeChanged(opened.engine);
    await deliverDue(opened.engine);
    return exitCodeFor(summaries);
  } finally {
    await opened.close();
  }
}

/** Why `file` cannot be read as a sheet (it is missing, or not a regular file), in the operator's words. */
function notASheetFile(file: string): string | undefined {
  const name = printable(file);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    return `${name}: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}`;
  }
  if (!st) return fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() ? `${name} is a symbolic link to a file that does not exist` : `no such file: ${name}`;
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return `${name} is a directory, not a sheet file: name the sheets inside it, or drop them into the inbox for run-once`;
  const what = st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  return `${name} is ${what}, not a sheet file: paybatch reads regular CSV or XLSX files only`;
}
