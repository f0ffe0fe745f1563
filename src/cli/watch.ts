// paybatch watch: the daemon. Watches the inbox (files taken only once completely written), keeps polling
// open batches, serves provider callbacks, re-checks late reversals; one owner per work folder.
import fs from 'node:fs';
import path from 'node:path';
import chokidar from 'chokidar';
import { startCallbackServer, type CallbackServer } from '../callbacks/server.ts';
import type { BatchSummary } from '../engine/batch.ts';
import { archiveFinished, recoverStranded, resumeUnfinished, takeInboxFile } from '../engine/inbox.ts';
import { checkReversals } from '../engine/reversals.ts';
import { deliverDue } from '../notify/deliver.ts';
import { noticeChanged } from '../notify/outbox.ts';
import type { ConsoleServer } from '../console/server.ts';
import { isCandidate, listInbox } from '../intake/claim.ts';
import { isRegularFile, workFolders } from '../intake/folders.ts';
import { openEngine, type GlobalOptions } from './context.ts';
import { LeaseLostError } from '../journal/store.ts';
import { humanLines, jsonDocument } from './output.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function watchCommand(options: GlobalOptions): Promise<number> {
  let waiting: (() => void)[] = [];
  const wake = () => new Promise<void>((resolve) => waiting.push(resolve));
  const poke = () => {
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve();
  };
  const opened = await openEngine(options, 'watch', { wake });
  const { engine, log } = opened;
  engine.reported = new Map();
  // The web console beside the daemon (DESIGN §13): its uploads reach the inbox watched below. First, so that a
  // console that cannot start (a port in use, a password secret unset) leaves nothing else listening.
  let consoleServer: ConsoleServer | undefined;
  // fastify and prom-client are loaded only when a console is configured.
  if (engine.config.console.port !== null)
    consoleServer = await import('../console/server.ts')
      .then(({ startConsole }) => startConsole(engine, { ingestUploads: false }))
      .catch(async (err: unknown) => {
        await opened.close();
        throw err;
      });
  const folders = workFolders(engine.config.workDir);
  let stopping = false;
  // SIGTERM (DESIGN §11): no new create; answers in flight are awaited up to workers.drainSeconds; then the
  // claims of rows not in flight are given back and the process exits 0 (rows still submitting wait for their
  // lease to expire, and become unknown for whoever takes them over).
  const stop = () => {
    if (stopping) return;
    stopping = true;
    engine.runner.drain();
    poke();
    setTimeout(() => {
      log.warn('answers still in flight after workers.drainSeconds: exiting; their rows are resolved by query after the lease expires', { drainSeconds: engine.config.workers.drainSeconds });
      try {
        engine.journal.close();
      } finally {
        process.exit(0);
      }
    }, engine.config.workers.drainSeconds * 1000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let callbacks: CallbackServer | undefined;
  if (engine.config.callbacks.port !== null) {
    callbacks = await startCallbackServer({
      host: engine.config.callbacks.host,
      port: engine.config.callbacks.port,
      maxBodyBytes: engine.config.callbacks.maxBodyBytes,
      journal: engine.journal,
      runtimes: engine.runtimes,
      log,
      onAccepted: poke,
    });
    engine.runtimes.setLocalCallbackBase(callbacks.url);
    log.info('callback listener started', { url: callbacks.url });
  }

  const queue: string[] = [];
  let delivering: Promise<void> | undefined;
  const watcher = chokidar.watch(folders.inbox, {
    depth: 1,
    ignoreInitial: false,
    awaitWriteFinish: { stabilityThreshold: Math.max(100, engine.config.intake.stableSeconds * 1000), pollInterval: 100 },
    ignored: (p: string) => p !== folders.inbox && path.basename(p).startsWith('.'),
  });
  const notRegular = new Set<string>();
  /** Sheets a configuration error left in the inbox: taken again at this time, not at every event. */
  const retryAt = new Map<string, number>();
  const waitsForRetry = (file: string) => (retryAt.get(file) ?? 0) > Date.now();
  watcher.on('add', (file: string) => {
    if (!isCandidate(path.basename(file))) return;
    if (waitsForRetry(file)) return;
    // Only regular files are ever claimed: a FIFO would hang the reader that opens it (run-once skips it too).
    if (!isRegularFile(file)) {
      if (!notRegular.has(file)) log.warn('not a regular file: left in the inbox, never taken', { file: path.relative(folders.root, file) });
      notRegular.add(file);
      return;
    }
    if (!queue.includes(file)) queue.push(file);
    poke();
  });
  watcher.on('error', (err: unknown) => log.error('inbox watcher error', { error: err }));

  const report = (summary: BatchSummary) => {
    if (options.json) process.stdout.write(jsonDocument([summary]) + '\n');
    else process.stdout.write(humanLines(summary).join('\n') + '\n');
  };
  const lastState = new Map<string, string>();
  const announce = (s: BatchSummary) => {
    const key = `${s.state}:${JSON.stringify(s.counts)}`;
    if (lastState.get(s.id) === key) return;
    lastState.set(s.id, key);
    if (s.state !== 'submitting' && s.state !== 'polling') report(s);
  };

  if (!options.json) process.stdout.write(`watching ${folders.inbox}${callbacks ? `; callbacks on ${callbacks.url}/callbacks/<provider>` : ''}${consoleServer ? `; console on ${consoleServer.url}` : ''} (Ctrl-C to stop)\n`);
  const recovered = engine.journal.recoverInFlight();
  if (recovered) log.warn(`${recovered} payout(s) were in flight when paybatch last stopped: checking them with the provider first`);
  // Again later: a sheet left in the inbox by a configuration error (a secret file may be fixed meanwhile).
  const retryLater = (file: string, ms: number) => {
    const due = Date.now() + ms;
    retryAt.set(file, due);
    setTimeout(() => {
      // A later retry replaced this one (a configuration error after a look that found the sheet not ready).
      if (retryAt.get(file) !== due) return;
      retryAt.delete(file);
      if (!queue.includes(file)) queue.push(file);
      poke();
    }, ms).unref();
  };

  try {
    // Sheets a killed process left in processing/ before their batch existed go back through intake.
    try {
      for (const s of await recoverStranded(engine, { noWait: true })) announce(s);
    } catch (err) {
      log.error('taking sheets left in processing/ failed; they are tried again on the next start', { error: err instanceof Error ? err.message : String(err) });
    }
    while (!stopping) {
      // Also the inbox as it is: chokidar can miss a file written into a folder created a moment before (a new
      // inbox/<provider>/), and a missed sheet would wait for the next start.
      for (const file of listInbox(folders))
        if (!queue.includes(file) && !waitsForRetry(file) && !notRegular.has(file)) queue.push(file);
      while (queue.length && !stopping) {
        const file = queue.shift()!;
        // Queued again (an inbox event while it was being read) but already waiting for its retry.
        if (waitsForRetry(file) || !fs.existsSync(file)) continue;
        let summary: BatchSummary | undefined;
        try {
          summary = await takeInboxFile(engine, file, { noWait: true, stableSeconds: Math.min(engine.config.intake.stableSeconds, 1) });
        } catch (err) {
          // The daemon outlives one sheet's failure (a configuration error left the sheet in its inbox folder).
          log.error('sheet left for a later attempt', { file: path.basename(file), error: err instanceof Error ? err.message : String(err) });
          if (fs.existsSync(file)) retryLater(file, 30_000);
          continue;
        }
        if (summary) announce(summary);
        // Not ready (a done-file is awaited, or it is still changing): look again shortly.
        else if (isRegularFile(file)) retryLater(file, 1000);
      }
      try {
        if (engine.journal.claims) {
          // Shared journal: another process may have died since the last tick; its rows in flight become
          // unknown once its lease expired (never a live one's), and the sheets it finished are archived here
          // if they are in this work folder.
          const taken = engine.journal.recoverInFlight();
          if (taken) log.warn(`${taken} payout(s) a stopped process had in flight are checked with the provider`);
          await archiveFinished(engine);
        }
        for (const s of await resumeUnfinished(engine, { until: Date.now() + 50, retryStoppedAfterMs: 60_000 })) announce(s);
        await checkReversals(engine);
      } catch (err) {
        // Fenced (DESIGN §11): this process stalled past its lease and others took its rows over. It must not
        // write another outcome under the old lease: it ends, and a restart (systemd) takes a fresh one.
        if (err instanceof LeaseLostError) throw err;
        log.error('resuming batches failed; retrying on the next tick', { error: err instanceof Error ? err.message : String(err) });
      }
      await noticeChanged(engine);
      // Sent alongside the next ticks, never awaited by them: a slow mail server does not hold a payout.
      delivering ??= deliverDue(engine).finally(() => (delivering = undefined));
      if (stopping) break;
      await Promise.race([sleep(engine.config.intake.tickSeconds * 1000), wake()]);
    }
  } finally {
    await delivering;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await watcher.close();
    await callbacks?.close();
    await consoleServer?.close();
    await opened.close();
  }
  return 0;
}
