// `npm start`: the main job on the embedded default. The sample sheets go into the inbox (one folder per
// provider, by their name prefix) unless already processed, then run-once does the rest.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { ensureWorkFolders } from '../intake/folders.ts';
import { sha256File } from '../intake/identity.ts';
import { Journal } from '../journal/store.ts';
import { getProvider } from '../providers/registry.ts';
import type { GlobalOptions } from './context.ts';
import { runOnceCommand } from './run-once.ts';

const samplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../samples');

export async function demoCommand(options: GlobalOptions): Promise<number> {
  const config = loadConfig({ configPath: options.config, work: options.work });
  const folders = ensureWorkFolders(config.workDir);
  const journal = new Journal(folders.journal);
  let queued = 0;
  try {
    for (const name of fs.readdirSync(samplesDir).sort()) {
      const provider = name.split('-')[0];
      if (!/\.(csv|xlsx)$/i.test(name) || !getProvider(provider)) continue;
      const file = path.join(samplesDir, name);
      const { sha256 } = await sha256File(file);
      if (journal.findBatchBySha(sha256)) continue;
      fs.mkdirSync(path.join(folders.inbox, provider), { recursive: true });
      fs.copyFileSync(file, path.join(folders.inbox, provider, name));
      queued++;
    }
  } finally {
    journal.close();
  }
  if (!options.json)
    process.stdout.write(
      queued
        ? `paybatch demo: ${queued} sample sheet(s) from ${samplesDir} dropped into ${folders.inbox}, against the embedded sandboxes\n`
        : `paybatch demo: every sample was already processed in ${config.workDir} (delete that folder to start over); resuming anything unfinished\n`,
    );
  const code = await runOnceCommand({ ...options, config: options.config });
  if (!options.json) process.stdout.write(`\nreports are under ${folders.reports}\n`);
  // Failed and pending rows are part of the demo (the samples include a rejected account); only a broken
  // set-up fails `npm start`.
  return code === 2 ? 2 : 0;
}
