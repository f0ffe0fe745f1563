// Issue 10, case 11: the one line paybatch prints for what a person can fix (exit 2), for the errors the
// e2e suite cannot provoke on demand: a journal on a full disk mid-run (SQLITE_FULL), a write that hits ENOSPC.
import { describe, expect, it } from 'vitest';
import { failureLine } from '../../src/cli/errors.ts';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { name: 'SqliteError', code });
const systemError = (code: string, message: string, syscall = 'write') => Object.assign(new Error(`${code}: ${message}`), { code, syscall });

describe('one clear line', () => {
  it('a full journal (SQLITE_FULL) and a full disk (ENOSPC) say the disk is full', () => {
    expect(failureLine(sqliteError('SQLITE_FULL', 'database or disk is full'))).toBe('the journal cannot be written: the disk is full (database or disk is full); free space and run again');
    expect(failureLine(systemError('ENOSPC', 'no space left on device, write'))).toBe('the disk is full: ENOSPC: no space left on device, write');
  });

  it('a journal damaged mid-run (SQLITE_CORRUPT) says so, and not to delete it', () => {
    expect(failureLine(sqliteError('SQLITE_CORRUPT', 'database disk image is malformed'))).toMatch(/^the journal is damaged \(database disk image is malformed\); .*do not delete it/);
  });

  it('a bug is not dressed up as a user error: it keeps its stack', () => {
    expect(failureLine(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
  });
});
