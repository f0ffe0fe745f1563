// Issue 10, case 11, and issue 9's closed stdout: what a person can fix gets one clear line on stderr and
// exit 2, never a stack trace — a damaged journal, a full disk, "work" pointing at a file, a bad PEM key, a
// bad sandbox setting. After an unclean stop (and only then) the journal's integrity is checked first.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, vexoraSheet, waitFor, writeJson, type CliResult } from '../helpers/cli.ts';
import { paybatchConfig } from '../helpers/sheets.ts';

const dir = tempDir('paybatch-clear-errors-');

function config(name: string, targets: Parameters<typeof paybatchConfig>[1] = { vexora: { url: 'sandbox' } }): { cfg: string; work: string } {
  const work = path.join(dir, name);
  return { cfg: writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, targets)), work };
}

function sheet(name: string, rows = 2): string {
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, vexoraSheet(rows, { prefix: name.toUpperCase() }));
  return file;
}

/** Exit 2 with `paybatch: …` lines only, no stack trace; answers stderr. */
function clearRefusal(r: CliResult): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected error|ZodError|"code":/);
  expect(r.stderr.trim().split('\n').every((l) => l.startsWith('paybatch: '))).toBe(true);
  return r.stderr;
}

/** A work folder whose journal holds one paid batch. */
async function paidWork(name: string): Promise<{ cfg: string; work: string; journal: string }> {
  const { cfg, work } = config(name);
  const r = await runCli(['run', sheet(name), '--config', cfg]);
  expect(r.code, r.stderr).toBe(0);
  return { cfg, work, journal: path.join(work, 'journal.sqlite') };
}

/** Overwrites the start of the `events` table's root page: only a full check (or reading events) notices. */
function damageEventsPage(journal: string): void {
  const db = new Database(journal, { readonly: true });
  const { rootpage } = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'events'`).get() as { rootpage: number };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = fs.openSync(journal, 'r+');
  fs.writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (rootpage - 1) * pageSize);
  fs.closeSync(fd);
}

describe('case 11: one clear line instead of a stack trace', () => {
  it('a journal overwritten with random bytes: exit 2 naming the journal, and advice not to delete it', async () => {
    const { cfg, journal } = await paidWork('random-journal');
    fs.writeFileSync(journal, Buffer.from(Array.from({ length: 16384 }, (_, i) => (i * 7919 + 13) % 251)));
    for (const f of ['-wal', '-shm']) fs.rmSync(journal + f, { force: true });
    const said = clearRefusal(await runCli(['status', '--config', cfg]));
    expect(said).toContain(`the journal ${journal} is not a readable journal`);
    expect(said).toContain('do not delete it');
  });

  it('a truncated journal: exit 2, "damaged"', async () => {
    const { cfg, journal } = await paidWork('truncated-journal');
    fs.truncateSync(journal, 8192);
    const said = clearRefusal(await runCli(['status', '--config', cfg]));
    expect(said).toMatch(new RegExp(`the journal ${journal.replace(/[.]/g, '\\.')} (is damaged|failed its integrity check)`));
  });

  it('a full disk (the log on a device that is full, ENOSPC): the one line says so and the exit is 2', async () => {
    const { cfg, work } = config('disk-full');
    const logs = path.join(work, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    // The log of today (and of tomorrow, should the test run across midnight UTC) lands on a full device.
    for (const day of [DateTime.utc(), DateTime.utc().plus({ days: 1 })]) fs.symlinkSync('/dev/full', path.join(logs, `paybatch-${day.toFormat('yyyy-MM-dd')}.log`));
    const r = await runCli(['run', sheet('disk-full'), '--config', cfg], { timeoutMs: 60_000 });
    const said = clearRefusal(r);
    expect(said).toMatch(/paybatch: the log .* cannot be written: the disk is full \(ENOSPC/);
  });

  it('"work" pointing at a file: exit 2, one line', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const { cfg } = config('work-file');
    const doc = JSON.parse(fs.readFileSync(cfg, 'utf8'));
    writeJson(cfg, { ...doc, work: file });
    expect(clearRefusal(await runCli(['status', '--config', cfg]))).toContain(`work folder ${file} is not a folder`);
    // Below a file (a path through it): the same, from the file system.
    expect(clearRefusal(await runCli(['status', '--config', cfg, '--work', path.join(file, 'work')]))).toMatch(/paybatch: a file is where a folder should be: ENOTDIR/);
  });

  it('a bad PEM key (Starpay privateKey garbage), inline or from a file: exit 2 naming the key, never its content', async () => {
    const keyFile = path.join(dir, 'starpay.pem');
    fs.writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nTk9UIEEgS0VZIEFUIEFMTA==\n-----END PRIVATE KEY-----\n');
    for (const [name, privateKey] of [['pem-inline', 'garbage-key-material-xyz'], ['pem-file', `file:${keyFile}`]] as const) {
      const { cfg } = config(name, { starpay: { url: 'sandbox', block: { privateKey } } });
      const said = clearRefusal(await runCli(['run', sheet(name), '--provider', 'starpay', '--config', cfg]));
      expect(said).toContain('providers.starpay.privateKey: not a readable RSA private key');
      expect(said).not.toContain('garbage-key-material-xyz');
      expect(said).not.toContain('Tk9UIEEgS0VZ');
    }
  });

  it('a bad sandbox setting: exit 2 naming it, not a raw zod dump', async () => {
    const { cfg } = config('bad-sandbox', { vexora: { url: 'sandbox', block: { sandbox: { settleAfterSeconds: 'soon', faults: [{ kind: 'explode' }] } } } });
    const said = clearRefusal(await runCli(['run', sheet('bad-sandbox'), '--config', cfg]));
    expect(said).toContain('providers.vexora.sandbox.settleAfterSeconds: Invalid input: expected number, received string');
    expect(said).toContain('providers.vexora.sandbox.faults.0.kind: "explode" is not one of error-before');
  });

  it('after an unclean stop, and only then, a journal failing PRAGMA quick_check is refused with the reason', async () => {
    const { cfg, journal } = await paidWork('unclean');
    damageEventsPage(journal);
    // A clean stop came before: an ordinary start does not walk the whole journal (restart stays fast), and
    // status does not read the damaged page.
    const ordinary = await runCli(['status', '--config', cfg]);
    expect(ordinary.code, ordinary.stderr).toBe(0);

    // A daemon killed outright (power loss, OOM killer) never closed the journal.
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    await waitFor('watch to start', () => out.includes('watching') || undefined, 60_000);
    watch.kill('SIGKILL');
    await new Promise((resolve) => watch.once('exit', resolve));

    const said = clearRefusal(await runCli(['status', '--config', cfg]));
    expect(said).toContain(`the journal ${journal} failed its integrity check (PRAGMA quick_check) after paybatch last stopped without closing it`);
    expect(said).toContain('restore it from a backup');
    // It stays refused until it is restored: the next start checks again.
    clearRefusal(await runCli(['status', '--config', cfg]));
  });
});

describe('issue 9: a closed stdout', () => {
  it('`paybatch status | head` (the reader gone, EPIPE) exits quietly with 0', async () => {
    const { cfg } = await paidWork('epipe');
    const child = spawnCli(['status', '--config', cfg, '--json']);
    child.stdout!.destroy(); // as `head` does once it has read enough
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
