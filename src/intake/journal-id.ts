// A work folder and its journal belong together (issue 10, case 4): the journal is what knows which sheets
// and references were paid, so a work folder whose journal was deleted, wiped or swapped for another would pay
// them again. The journal's id is written into `<work>/journal.id` and into the journal itself; a journal
// that does not know the folder's id is refused, and so is a missing journal where sheets were already
// archived or reported. `--new-journal` starts anew deliberately.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/secrets.ts';
import type { WorkFolders } from './folders.ts';

/** Exit 2, like a configuration error: the command is refused before anything is read or sent. */
export class JournalNotKnown extends ConfigError {
  override name = 'JournalNotKnown';
}

/** The journal's side of the binding (the Journal class, or any journal that keeps a meta key). */
export interface JournalMeta {
  getMeta(key: string): string | undefined;
  claimMeta(key: string, value: string): string;
  countBatches(): number;
}

const META_KEY = 'journal_id';

export function journalIdFile(folders: WorkFolders): string {
  return path.join(folders.root, 'journal.id');
}

function readId(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writeId(file: string, id: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${id}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** True when archive/ or reports/ hold anything: sheets were paid here before. */
function hasHistory(folders: WorkFolders): string | undefined {
  for (const dir of [folders.archive, folders.reports]) {
    try {
      if (fs.readdirSync(dir).length > 0) return dir;
    } catch {
      // a folder that does not exist holds nothing
    }
  }
  return undefined;
}

function restoreAdvice(folders: WorkFolders): string {
  return (
    `restore ${folders.journal} from its backup (with its -wal file, if any), or, to start a new journal ` +
    `for this work folder deliberately, run the command again with --new-journal (sheets whose bytes are in ` +
    `${folders.archive} are still refused; references paid before are no longer known)`
  );
}

/**
 * Before the journal is opened: refuses a work folder whose journal is missing although it was used before
 * (journal.id written, or archive/ or reports/ not empty). Answers whether the journal file existed.
 */
export function checkJournalPresent(folders: WorkFolders, options: { newJournal?: boolean }): boolean {
  const existed = fs.existsSync(folders.journal);
  if (existed || options.newJournal) return existed;
  const id = readId(journalIdFile(folders));
  const history = hasHistory(folders);
  if (id || history) {
    const why = id ? `${journalIdFile(folders)} says this work folder had journal ${id}` : `${history} is not empty`;
    throw new JournalNotKnown(`the journal ${folders.journal} is missing, but ${why}: without it, sheets and references paid before would be paid again; ${restoreAdvice(folders)}`);
  }
  return existed;
}

/**
 * After the journal is opened: binds it to the work folder. A new journal gets a new id, written into both;
 * a journal that does not know the folder's id is refused (unless `newJournal`, which binds the folder to
 * the journal it now has). Answers the id and whether the binding was (re)made deliberately.
 */
export function bindJournal(folders: WorkFolders, journal: JournalMeta, options: { newJournal?: boolean; existed: boolean }): { id: string; adopted: boolean } {
  const file = journalIdFile(folders);
  const folderId = readId(file);
  let journalId = journal.getMeta(META_KEY);
  if (folderId && journalId === folderId) return { id: folderId, adopted: false };
  if (!options.newJournal) {
    if (folderId) {
      const known = journalId ? `belongs to another work folder or deployment (its id is ${journalId})` : 'does not know it';
      throw new JournalNotKnown(`the journal ${folders.journal} is not this work folder's journal: ${file} says ${folderId}, and the journal ${known}; ${restoreAdvice(folders)}`);
    }
    // No journal.id yet: a work folder from before journal ids, or a first run. An empty journal where
    // sheets were archived or reported is a lost journal recreated, not a first run.
    const history = hasHistory(folders);
    if (!journalId && history && journal.countBatches() === 0)
      throw new JournalNotKnown(`the journal ${folders.journal} is empty, but ${history} is not: it is not the journal these sheets were paid with; ${restoreAdvice(folders)}`);
  }
  if (!journalId) journalId = journal.claimMeta(META_KEY, crypto.randomUUID());
  writeId(file, journalId);
  return { id: journalId, adopted: Boolean(options.newJournal && folderId !== journalId && (folderId || options.existed || hasHistory(folders))) };
}
