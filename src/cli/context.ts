// What every command opens: configuration, work folder, logger, journal, providers, runner. No business
// logic lives in cli/: commands parse flags, call the engine and print.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import { ensureWorkFolders } from '../intake/folders.ts';
import { acquireWorkLock, type WorkLock } from '../intake/lock.ts';
import { bindJournal, checkJournalPresent } from '../intake/journal-id.ts';
import { Journal } from '../journal/store.ts';
import { journalSetting, refuseEmbeddedSandboxes } from '../config/journal.ts';
import { createLogger, type Logger } from '../log.ts';
import { BatchRunner } from '../engine/runner.ts';
import { Runtimes } from '../engine/runtime.ts';
import type { Engine } from '../engine/batch.ts';
import { Progress } from './progress.ts';
import { showWaitingFrom } from './output.ts';

export interface GlobalOptions {
  config?: string;
  work?: string;
  provider?: string;
  json?: boolean;
  /** Start a new journal for this work folder deliberately (the old one is lost or not this folder's). */
  newJournal?: boolean;
}

export interface Opened {
  engine: Engine;
  config: LoadedConfig;
  log: Logger;
  progress: Progress;
  close(): Promise<void>;
}

export async function openEngine(
  options: GlobalOptions,
  command: string,
  extra: { lock?: boolean; localCallbackBase?: string; wake?: () => Promise<void> } = {},
): Promise<Opened> {
  const config = loadConfig({ configPath: options.config, work: options.work, provider: options.provider });
  const folders = ensureWorkFolders(config.workDir);
  const log = createLogger({ workDir: config.workDir, level: config.logging.level, console: !options.json });
  let lock: WorkLock | undefined;
  if (extra.lock !== false) lock = acquireWorkLock(config.workDir, command);
  let journal: Journal;
  try {
    const setting = journalSetting(config);
    // A lost or swapped journal would pay again what it no longer knows: refuse before reading anything.
    // A shared journal is not a file here: the binding (journal.id) still says which deployment this folder is.
    let existed = true;
    if (setting.kind === 'sqlite') {
      existed = checkJournalPresent(folders, { newJournal: options.newJournal });
      journal = new Journal(folders.journal);
    } else {
      refuseEmbeddedSandboxes(config, setting.shown);
      // Only a shared journal loads the PostgreSQL journal (its worker thread loads pg).
      const { PostgresJournal } = await import('../journal/postgres/store.ts');
      journal = new PostgresJournal(setting.url, { leaseSeconds: config.workers.leaseSeconds, command });
      log.info('shared journal opened', { journal: setting.shown, holder: journal.claims?.holder });
    }
    try {
      const bound = bindJournal(folders, journal, { newJournal: options.newJournal, existed });
      if (bound.adopted) log.warn(`--new-journal: ${folders.journal} is now this work folder's journal (id ${bound.id}); what an earlier journal knew is not known to it`);
    } catch (err) {
      journal.close();
      throw err;
    }
  } catch (err) {
    // Said once on stderr by main.ts; the log keeps it without a second console line.
    log.info('work folder refused', { error: (err as Error).message });
    lock?.release();
    await new Promise<void>((resolve) => {
      log.on('finish', () => resolve());
      log.end();
      setTimeout(resolve, 500).unref();
    });
    throw err;
  }
  // Sheets waiting for a fixed configuration, as long as they are still there.
  showWaitingFrom(() => journal.intakeWaits().filter((w) => fs.existsSync(path.join(config.workDir, w.path))));
  const progress = new Progress(!options.json);
  const runtimes = new Runtimes(config, log, extra.localCallbackBase, journal.claims);
  const runner = new BatchRunner({ journal, log, runtimes, onProgress: (e) => progress.update(e) });
  const engine: Engine = { config, journal, log, runtimes, runner, wake: extra.wake };
  log.info('command started', { command, work: config.workDir, config: config.configPath, provider: config.provider, pid: process.pid });
  return {
    engine,
    config,
    log,
    progress,
    async close() {
      progress.stop();
      await runtimes.closeAll();
      showWaitingFrom(undefined);
      journal.close();
      lock?.release();
      await new Promise<void>((resolve) => {
        log.on('finish', () => resolve());
        log.end();
        setTimeout(resolve, 500).unref();
      });
    },
  };
}
