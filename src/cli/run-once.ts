// paybatch run-once: for cron. Resume unfinished batches, take what is in the inbox, wait a bounded time
// for settlement (runOnce.waitSeconds), write reports, exit with DESIGN §8's codes.
import { exitCodeFor } from '../engine/batch.ts';
import { processInbox, recoverStranded, resumeUnfinished } from '../engine/inbox.ts';
import { checkReversals } from '../engine/reversals.ts';
import { deliverDue } from '../notify/deliver.ts';
import { noticeChanged } from '../notify/outbox.ts';
import { openEngine, type GlobalOptions } from './context.ts';
import { printSummaries } from './output.ts';

export async function runOnceCommand(options: GlobalOptions): Promise<number> {
  const opened = await openEngine(options, 'run-once');
  try {
    const { engine } = opened;
    const recovered = engine.journal.recoverInFlight();
    if (recovered) opened.log.warn(`${recovered} payout(s) were in flight when paybatch last stopped: checking them with the provider first`);
    const until = Date.now() + engine.config.runOnce.waitSeconds * 1000;
    const resumed = await resumeUnfinished(engine, { until });
    const stranded = await recoverStranded(engine, { until });
    const fresh = await processInbox(engine, { until });
    await checkReversals(engine);
    const summaries = [...resumed, ...stranded, ...fresh];
    opened.progress.stop();
    printSummaries(summaries, options.json);
    if (!options.json && summaries.length === 0) process.stdout.write('nothing to do: the inbox is empty and no batch is unfinished\n');
    // After the payout work and its output: what fails here changes no exit code.
    await noticeChanged(engine);
    await deliverDue(engine);
    return exitCodeFor(summaries);
  } finally {
    await opened.close();
  }
}
