// The work folder's layout (DESIGN §4) and safe moves between its folders. File names from outside are
// reduced to a base name, so odd names (.., slashes, leading dots) never escape the work folder.
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';

export interface WorkFolders {
  root: string;
  inbox: string;
  processing: string;
  archive: string;
  rejected: string;
  reports: string;
  logs: string;
  journal: string;
}

export function workFolders(root: string): WorkFolders {
  return {
    root,
    inbox: path.join(root, 'inbox'),
    processing: path.join(root, 'processing'),
    archive: path.join(root, 'archive'),
    rejected: path.join(root, 'rejected'),
    reports: path.join(root, 'reports'),
    logs: path.join(root, 'logs'),
    journal: path.join(root, 'journal.sqlite'),
  };
}

export function ensureWorkFolders(root: string): WorkFolders {
  const f = workFolders(root);
  for (const dir of [f.root, f.inbox, f.processing, f.archive, f.rejected, f.reports, f.logs]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return f;
}

/** A file name safe to create inside a folder of ours: base name only, no control characters, no leading dots. */
export function safeName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/'));
  let cleaned = base.replace(/[\u0000-\u001f\u007f/]/g, '_').replace(/^\.+/, '');
  // Within the 255-byte file-name limit, with room for a " (2)" suffix: shorten the stem, keep the extension.
  if (Buffer.byteLength(cleaned) > 244) {
    const ext = path.extname(cleaned).slice(0, 16);
    const stem = Buffer.from(cleaned.slice(0, cleaned.length - ext.length)).subarray(0, 244 - Buffer.byteLength(ext)).toString('utf8');
    cleaned = stem.replace(/\uFFFD+$/, '') + ext;
  }
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'unnamed' : cleaned;
}

/** `dir/name`, or `dir/name (2).ext` … when taken. */
export function freePath(dir: string, name: string): string {
  const safe = safeName(name);
  const ext = path.extname(safe);
  const stem = safe.slice(0, safe.length - ext.length);
  let candidate = path.join(dir, safe);
  for (let i = 2; fs.existsSync(candidate); i++) candidate = path.join(dir, `${stem} (${i})${ext}`);
  return candidate;
}

/** archive/YYYY-MM-DD of `at`'s own zone (the caller sets the configured timezone). */
export function archiveDir(folders: WorkFolders, at: DateTime = DateTime.utc()): string {
  const dir = path.join(folders.archive, at.toFormat('yyyy-MM-dd'));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** True when `file` is inside `dir` (resolved paths). */
export function isInside(dir: string, file: string): boolean {
  return path.resolve(file).startsWith(path.resolve(dir) + path.sep);
}

/** The errors file kept beside a rejected sheet: `payouts.csv` → `payouts.errors.csv`. */
export function errorsFileBeside(sheet: string): string {
  return `${sheet}.errors.csv`.replace(/\.(csv|xlsx|txt|tsv)\.errors\.csv$/i, '.errors.csv');
}

/** Moves a file (rename; copy + unlink across devices). Answers the new path. */
export function moveFile(from: string, toDir: string, name = path.basename(from)): string {
  fs.mkdirSync(toDir, { recursive: true, mode: 0o700 });
  const target = freePath(toDir, name);
  try {
    fs.renameSync(from, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    fs.copyFileSync(from, target, fs.constants.COPYFILE_EXCL);
    fs.unlinkSync(from);
  }
  // Sheets hold full account numbers: readable by the owner only, whatever mode they arrived with.
  fs.chmodSync(target, 0o600);
  return target;
}

export function copyFile(from: string, toDir: string, name = path.basename(from)): string {
  fs.mkdirSync(toDir, { recursive: true, mode: 0o700 });
  const target = freePath(toDir, name);
  fs.copyFileSync(from, target, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(target, 0o600);
  return target;
}

/**
 * Where a claimed sheet waits while it is read: processing/<provider>/ when it came from inbox/<provider>/,
 * so a sheet stranded there by a kill still knows its provider (and never falls back to the default one).
 */
export function processingDirFor(folders: WorkFolders, provider: string | undefined): string {
  return provider ? path.join(folders.processing, safeName(provider)) : folders.processing;
}

/** The provider folder a sheet in processing/ came from (processing/<provider>/<name>), if any. */
export function providerOfProcessing(folders: WorkFolders, file: string): string | undefined {
  const rel = path.relative(path.resolve(folders.processing), path.dirname(path.resolve(file)));
  return rel && !rel.startsWith('..') && !rel.includes(path.sep) ? rel : undefined;
}

/** The provider folder a sheet in the inbox sits in (inbox/<provider>/<name>), if any. */
export function providerOfInbox(folders: WorkFolders, file: string): string | undefined {
  const rel = path.relative(path.resolve(folders.inbox), path.dirname(path.resolve(file)));
  return rel && !rel.startsWith('..') ? rel.split(path.sep)[0] : undefined;
}

/** Removes processing/<provider>/ once the last sheet has left it. */
export function tidyProcessing(folders: WorkFolders, leftFrom: string): void {
  const dir = path.dirname(path.resolve(leftFrom));
  if (path.dirname(dir) !== path.resolve(folders.processing)) return;
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty (another sheet of that provider), or already gone
  }
}

/** Only regular files are ever taken: never a FIFO (opening it would hang), a device, a socket or a symlink. */
export function isRegularFile(file: string): boolean {
  return fs.lstatSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Regular files in processing/ and processing/<provider>/. */
export function listProcessing(folders: WorkFolders): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folders.processing, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const p = path.join(folders.processing, entry.name);
    if (entry.isFile()) out.push(p);
    else if (entry.isDirectory()) for (const sub of fs.readdirSync(p, { withFileTypes: true })) if (sub.isFile()) out.push(path.join(p, sub.name));
  }
  return out.sort();
}
