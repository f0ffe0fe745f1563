// What SQLite (or the file system) said, as one line a person can act on (cli/errors.ts prints it, exit 2).
import { JournalError } from '../contract.ts';

export const KEEP_IT = 'restore it from a backup (with its -wal file, if any); do not delete it: it records which payouts were sent';

/** One clear line for what SQLite (or the file system) said while opening or using the journal at `file`. */
export function journalError(file: string, err: unknown): Error {
  if (err instanceof JournalError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  const said = err instanceof Error ? err.message : String(err);
  const journal = file ? `the journal ${file}` : 'the journal';
  if (code === 'SQLITE_NOTADB') return new JournalError(`${journal} is not a readable journal (${said}): it is damaged or not a paybatch journal; ${KEEP_IT}`);
  if (code.startsWith('SQLITE_CORRUPT')) return new JournalError(`${journal} is damaged (${said}); ${KEEP_IT}`);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new JournalError(`${journal} cannot be written: the disk is full (${said}); free space and run again`);
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return new JournalError(`${journal} cannot be written (${said}): check the permissions of it and of its folder`);
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOTDIR' || code === 'EISDIR') return new JournalError(`${journal} cannot be opened (${said})`);
  if (code.startsWith('SQLITE_IOERR')) return new JournalError(`${journal} could not be read or written (${said}): check the disk`);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new JournalError(`${journal} is locked by another process (${said})`);
  return err instanceof Error ? err : new Error(said);
}
