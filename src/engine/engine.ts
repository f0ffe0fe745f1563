// What the engine's stages share: configuration, journal, logger, provider runtimes and the runner. Its own
// file so that stages can name it without importing one another.
import type { LoadedConfig } from '../config/load.ts';
import type { Journal } from '../journal/store.ts';
import type { Logger } from '../log.ts';
import type { BatchRunner } from './runner.ts';
import type { Runtimes } from './runtime.ts';

export interface Engine {
  config: LoadedConfig;
  journal: Journal;
  log: Logger;
  runtimes: Runtimes;
  runner: BatchRunner;
  /** Resolves when a callback asks for an early check. */
  wake?: () => Promise<void>;
  /** State and counts each batch's reports were last written with (a daemon rewrites only on change). */
  reported?: Map<string, string>;
}
