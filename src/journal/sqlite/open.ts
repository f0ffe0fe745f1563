// Opening the SQLite journal file: its folder, WAL with synchronous=FULL, versioned migrations, and the
// "open" markers that tell an unclean stop (killed, power lost) from a normal one, so the file's integrity is
// checked then, and only then.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { JournalError } from '../contract.ts';
import { KEEP_IT, journalError } from './errors.ts';
import { migrations } from './schema.ts';

/** Creates the journal's folder; answers whether the journal file exists already. */
function prepareJournalFile(file: string): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new JournalError(`cannot create the folder of the journal ${file}: ${(err as Error).message}`);
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (!stat.isFile()) throw new JournalError(`the journal ${file} is not a file`);
  return true;
}

const markerPrefix = (file: string) => `${path.basename(file)}.open-`;

/**
 * Markers ("<journal>.open-<pid>", written at open, removed at close) of processes on this host that are no
 * longer running: each is a process that stopped without closing the journal.
 */
function staleOpenMarkers(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = markerPrefix(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let host = '';
    try {
      host = fs.readFileSync(path.join(dir, name), 'utf8').split('\n')[0] ?? '';
    } catch {
      continue;
    }
    if (host && host !== os.hostname()) continue; // another machine's process: its liveness is unknown here
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') stale.push(path.join(dir, name));
    }
  }
  return stale;
}

/** PRAGMA quick_check, refusing the journal with its first findings when it fails. */
function checkIntegrity(db: Database.Database, file: string): void {
  const refuse = (why: string) =>
    new JournalError(`the journal ${file} failed its integrity check (PRAGMA quick_check) after paybatch last stopped without closing it: ${why}; ${KEEP_IT}`);
  let findings: string[];
  try {
    findings = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check).filter((f) => f !== 'ok');
  } catch (err) {
    // A page too damaged to walk: quick_check itself stops with SQLITE_CORRUPT.
    throw refuse(err instanceof Error ? err.message : String(err));
  }
  if (findings.length) throw refuse(findings.slice(0, 3).join('; '));
}

/** Markers of this process (with how many of its Journals hold each), removed at exit even without close(). */
const openMarkers = new Map<string, number>();
let exitHookInstalled = false;

function markOpen(file: string): string | null {
  const marker = path.join(path.dirname(file), `${markerPrefix(file)}${process.pid}`);
  try {
    fs.writeFileSync(marker, `${os.hostname()}\n${new Date().toISOString()}\n`, { mode: 0o600 });
  } catch {
    return null; // without a marker an unclean stop goes unnoticed, but the journal itself works
  }
  openMarkers.set(marker, (openMarkers.get(marker) ?? 0) + 1);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A normal exit never damages the file (every commit is durable); only a kill or a crash can.
    process.once('exit', () => {
      for (const m of openMarkers.keys()) fs.rmSync(m, { force: true });
    });
  }
  return marker;
}

function markClosed(marker: string | null): void {
  const holders = marker ? openMarkers.get(marker) : undefined;
  if (!marker || !holders) return;
  // Another Journal of this process may still hold the same file open (tests, console): keep the marker.
  if (holders > 1) return void openMarkers.set(marker, holders - 1);
  openMarkers.delete(marker);
  fs.rmSync(marker, { force: true });
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export interface OpenedDatabase {
  db: Database.Database;
  /** This process's "journal open" marker, removed by closeDatabase (see markOpen). */
  marker: string | null;
}

/** Opens (creating or migrating) the journal at `file`; every failure is one clear JournalError line. */
export function openDatabase(file: string): OpenedDatabase {
  const existed = prepareJournalFile(file);
  // A process that stopped without closing (killed, power lost) may have left a damaged file: check it
  // then, and only then, so an ordinary restart stays fast.
  const stale = existed ? staleOpenMarkers(file) : [];
  // Ours, before anything is written: a kill from here on (a migration included) is an unclean stop.
  const marker = markOpen(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    if (!existed) fs.chmodSync(file, 0o600);
    // 16 KB pages for a new journal (set before WAL, while the file is empty; an existing journal keeps its
    // own): a payout row is ~300 bytes, and journaling a large sheet costs ~20% less CPU per row than with 4 KB.
    if (!existed) db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    if (stale.length) checkIntegrity(db, file);
    migrate(db);
  } catch (err) {
    if (db?.open) db.close();
    markClosed(marker);
    throw journalError(file, err);
  }
  // The check passed: the stopped processes' markers have served their purpose.
  for (const m of stale) fs.rmSync(m, { force: true });
  return { db, marker };
}

/** Idempotent. */
export function closeDatabase(opened: OpenedDatabase): void {
  if (!opened.db.open) return;
  opened.db.close();
  markClosed(opened.marker);
}
