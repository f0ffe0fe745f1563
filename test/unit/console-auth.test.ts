// Console passwords and roles (DESIGN §13): `paybatch hash-password` reads one line from stdin, and the hash it
// prints signs in; roles add up.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { may, Users } from '../../src/console/auth.ts';
import type { LoadedConfig } from '../../src/config/load.ts';
import { repoRoot } from '../helpers/cli.ts';

function hashPasswordCli(input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/paybatch.js'), 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

const usersOf = (users: LoadedConfig['console']['users']) => new Users({ console: { host: '127.0.0.1', port: 0, users }, configDir: repoRoot } as LoadedConfig);

describe('console sign-in', () => {
  it('hash-password takes one line without its newline, and its hash signs in', async () => {
    const { code, stdout } = await hashPasswordCli('correct horse\r\nsecond line ignored\n');
    expect(code).toBe(0);
    const hash = stdout.trim();
    expect(hash).toMatch(/^scrypt:32768:8:1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const users = usersOf([{ name: 'maria', passwordHash: hash, roles: ['approver'] }]);
    expect(users.signIn('maria', 'correct horse')?.name).toBe('maria');
    expect(users.signIn('maria', 'correct horse\r')).toBeUndefined();
    expect(users.signIn('nobody', 'correct horse')).toBeUndefined();
  });

  it('an empty line is refused', async () => {
    expect((await hashPasswordCli('\n')).code).toBe(2);
  });

  it('roles add up: viewer reads, operator uploads and cancels a held batch, approver does everything', () => {
    expect(may(['viewer'], 'upload')).toBe(false);
    expect(may(['operator'], 'upload') && may(['operator'], 'cancel-held')).toBe(true);
    expect(may(['operator'], 'approve') || may(['operator'], 'cancel') || may(['operator'], 'resolve')).toBe(false);
    expect(may(['viewer', 'approver'], 'resolve')).toBe(true);
  });
});
