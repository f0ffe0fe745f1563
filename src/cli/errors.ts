// Errors that end a command with exit code 2 (usage, configuration, unreadable input, an environment that
// cannot be used), and the one line paybatch prints for each: never a stack trace for what a user can fix.
import { ConfigError } from '../config/secrets.ts';
import { describeZodError } from '../config/describe.ts';
// The error classes from their own small modules, not lock.ts/store.ts/controls.ts: main.ts imports this file
// for every command, and `validate` or `--help` need no SQLite, journal or reports.
import { WorkFolderBusy } from '../intake/busy.ts';
import { JournalError, LeaseLostError } from '../journal/contract.ts';
import { journalError } from '../journal/sqlite/errors.ts';
import { ControlRefused } from '../engine/refusal.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a file system error code means to the person running paybatch. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a file is where a folder should be',
  EISDIR: 'a folder is where a file should be',
  EEXIST: 'something is already in the way',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'a path is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'an input/output error',
  ELOOP: 'too many symbolic links',
};

/**
 * The one line for an error a person can act on (exit 2), or undefined for an unexpected one (a bug,
 * shown with its stack so it can be reported).
 */
export function failureLine(err: unknown): string | undefined {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof WorkFolderBusy || err instanceof JournalError || err instanceof ControlRefused || err instanceof LeaseLostError) return err.message;
  if (!(err instanceof Error)) return undefined;
  if (err.name === 'ZodError' && Array.isArray((err as { issues?: unknown }).issues))
    return `invalid settings: ${describeZodError(err as never, 'settings')}`;
  const code = String((err as NodeJS.ErrnoException).code ?? '');
  if (code.startsWith('SQLITE_')) {
    const line = journalError('', err);
    return line instanceof JournalError ? line.message : `the journal: ${err.message}`;
  }
  const meaning = SYSTEM_ERRORS[code];
  if (meaning && (err as NodeJS.ErrnoException).syscall) return `${meaning}: ${err.message}`;
  return undefined;
}
