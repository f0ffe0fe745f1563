// One process owns a work folder at a time (DESIGN §4). The lock is an exclusive SQLite transaction held
// for the process's life: the kernel releases it when the process dies, so a lock left by a killed process
// is simply free, and two processes can never both hold it. The pid file is only for the message.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WorkFolderBusy } from './busy.ts';

export { WorkFolderBusy };

export interface WorkLock {
  release(): void;
}

export function acquireWorkLock(workDir: string, command: string): WorkLock {
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const lockFile = path.join(workDir, '.paybatch.lock');
  const ownerFile = path.join(workDir, '.paybatch.owner');
  const db = new Database(lockFile, { timeout: 0 });
  fs.chmodSync(lockFile, 0o600);
  try {
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch {
    db.close();
    let owner = 'another paybatch process';
    try {
      const info = JSON.parse(fs.readFileSync(ownerFile, 'utf8')) as { pid: number; command: string; since: string };
      owner = `paybatch ${info.command} (pid ${info.pid}, since ${info.since})`;
    } catch {
      // the owner note is informational only
    }
    throw new WorkFolderBusy(`the work folder ${workDir} is in use by ${owner}; only one run-once/watch/run may own it at a time`);
  }
  fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }), { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}
