// Taking a file from the inbox only when it is completely written, once (DESIGN §4).
import fs from 'node:fs';
import path from 'node:path';
import { isRegularFile, moveFile, processingDirFor, providerOfInbox, type WorkFolders } from './folders.ts';
import { fileOwner } from './owner.ts';

const SHEET = /\.(csv|txt|tsv|xlsx)$/i;

/** Temp, lock and marker files are never taken: `~$*`, `*.tmp`, `*.part`, dotfiles, `.done` markers. */
export function isCandidate(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('~$')) return false;
  if (/\.(tmp|part|crdownload|done|errors\.csv)$/i.test(name)) return false;
  return SHEET.test(name);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True when size and mtime stay unchanged for `seconds`. */
export async function isStable(file: string, seconds: number): Promise<boolean> {
  const a = fs.statSync(file, { throwIfNoEntry: false });
  if (!a) return false;
  await sleep(seconds * 1000);
  const b = fs.statSync(file, { throwIfNoEntry: false });
  // An empty file that stays empty is taken too: it is then rejected as empty, not left in the inbox for ever.
  return Boolean(b && a.size === b.size && a.mtimeMs === b.mtimeMs);
}

export interface Claimed {
  /** Where the file now is (processing/, or processing/<provider>/). */
  path: string;
  /** The name it arrived with. */
  name: string;
  /** inbox/<provider>/ chooses the provider. */
  provider?: string;
  /** Who owns the file as dropped (the releaser, for four eyes), read before the move: a copy across devices is ours. */
  owner: string;
}

/**
 * Moves a stable file into processing/ and checks it stays unchanged there (a writer that paused longer than
 * the stability window would otherwise be read half-written). Answers undefined when it is not ready.
 */
export async function claimFile(folders: WorkFolders, file: string, stableSeconds: number, requireDoneFile: boolean): Promise<Claimed | undefined> {
  const name = path.basename(file);
  if (!isCandidate(name)) return undefined;
  // Checked before anything else touches it: a FIFO would hang the reader that opens it.
  if (!isRegularFile(file)) return undefined;
  if (requireDoneFile && !fs.existsSync(`${file}.done`)) return undefined;
  if (!(await isStable(file, stableSeconds))) return undefined;
  const provider = providerOfInbox(folders, file);
  let claimed: string;
  let owner: string;
  try {
    if (!isRegularFile(file)) return undefined; // replaced while it was watched
    owner = fileOwner(file);
    claimed = moveFile(file, processingDirFor(folders, provider), name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // another claimer won
    throw err;
  }
  if (requireDoneFile) fs.rmSync(`${file}.done`, { force: true });
  // Still being written through an open handle? Wait until it settles.
  while (!(await isStable(claimed, Math.max(0.2, stableSeconds / 2)))) {
    if (!fs.existsSync(claimed)) return undefined;
  }
  return { path: claimed, name, provider, owner };
}

/** Files in the inbox (and inbox/<provider>/) that may be taken. */
export function listInbox(folders: WorkFolders): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(folders.inbox, { withFileTypes: true })) {
    if (entry.isFile() && isCandidate(entry.name)) out.push(path.join(folders.inbox, entry.name));
    else if (entry.isDirectory() && !entry.name.startsWith('.')) {
      for (const sub of fs.readdirSync(path.join(folders.inbox, entry.name), { withFileTypes: true }))
        if (sub.isFile() && isCandidate(sub.name)) out.push(path.join(folders.inbox, entry.name, sub.name));
    }
  }
  return out.sort();
}
