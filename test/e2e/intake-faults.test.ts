// Issue 10, cases 1, 2, 3, 9 and the file-name parts of 12, as an operator meets them: a configuration error
// never moves a sheet out of its provider folder; a sheet stranded in processing/ by a kill goes back through
// intake; a file that grows while (or after) it is read is never paid half and archived silently; a FIFO in
// the inbox never hangs `watch`; `run` says what a path is, and a file name cannot fake lines in a log.
// Real CLI, real files, real HTTP to sandboxes in their own processes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, sleep, spawnCli, startSandboxProcess, tempDir, vexoraCredentials, waitFor, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { paybatchConfig, providerSheet, refFor, sandboxConfig, sandboxStats, type ProviderName } from '../helpers/sheets.ts';

let dir: string;
const sandboxes = {} as Record<'vexora' | 'starpago', SandboxProcess>;

beforeAll(async () => {
  dir = tempDir('paybatch-intake-');
  const cfg = writeJson(path.join(dir, 'sandboxes.json'), sandboxConfig({ vexora: {}, starpago: {} }));
  const [vexora, starpago] = await Promise.all([startSandboxProcess('vexora', cfg), startSandboxProcess('starpago', cfg)]);
  sandboxes.vexora = vexora;
  sandboxes.starpago = starpago;
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
});

type Doc = {
  batches: { id: string; file: string; provider: string; state: string; rows: number; counts: Record<string, number>; reports: Record<string, string | null>; notes: string[] }[];
  waiting?: { file: string; provider: string; reason: string }[];
};
const json = (stdout: string) => JSON.parse(stdout) as Doc;

/** A config for `work` with the given providers on their sandbox processes (blocks merged in). */
function config(name: string, work: string, providers: Partial<Record<'vexora' | 'starpago', Record<string, unknown>>>, extra: Record<string, unknown> = {}): string {
  const targets = Object.fromEntries(Object.entries(providers).map(([id, block]) => [id, { url: sandboxes[id as 'vexora'].url, block }]));
  return writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, targets, extra));
}

/** Every file under `root`, relative to it. */
function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

function sheetLines(provider: ProviderName, tag: string, n: number): { lines: string[]; refs: string[] } {
  const refs = Array.from({ length: n }, (_, i) => refFor(provider, tag, i + 1));
  return { lines: providerSheet(provider, refs.map((ref) => ({ ref }))).trimEnd().split('\n'), refs };
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s (a daemon stuck opening a FIFO never would). */
async function stop(child: ReturnType<typeof spawnCli>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function createsOf(provider: 'vexora' | 'starpago', refs: string[]): Promise<number[]> {
  const stats = await sandboxStats(sandboxes[provider].url);
  return refs.map((r) => stats.createRequests[r] ?? 0);
}

describe('case 1: a configuration error never moves a sheet out of its provider folder', () => {
  it('a sheet in inbox/vexora/ whose provider block fails to load stays there, status says why, and a fixed run pays it through vexora', async () => {
    const work = path.join(dir, 'config-error');
    // The default provider is another one: a sheet that fell back to the top-level inbox would be taken as StarPago's.
    const broken = config('config-error', work, { vexora: { secret: 'env:PB_TEST_VEXORA_SECRET' } }, { provider: 'starpago' });
    const { lines, refs } = sheetLines('vexora', 'CE', 2);
    const sheet = path.join(work, 'inbox', 'vexora', 'pay.csv');
    fs.mkdirSync(path.dirname(sheet), { recursive: true });
    fs.writeFileSync(sheet, lines.join('\n') + '\n');

    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await runCli(['run-once', '--config', broken]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/PB_TEST_VEXORA_SECRET is not set/);
      expect(fs.existsSync(sheet)).toBe(true);
      expect(filesUnder(path.join(work, 'inbox'))).toEqual([path.join('vexora', 'pay.csv')]);
      expect(filesUnder(path.join(work, 'processing'))).toEqual([]);
      expect(filesUnder(path.join(work, 'rejected'))).toEqual([]);
    }
    // `status` says which sheet waits and why (and the log did too).
    const status = await runCli(['status', '--config', broken, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const waiting = json(status.stdout).waiting;
    expect(waiting).toEqual([expect.objectContaining({ file: path.join('inbox', 'vexora', 'pay.csv'), provider: 'vexora', reason: expect.stringMatching(/PB_TEST_VEXORA_SECRET is not set/) })]);
    expect((await runCli(['status', '--config', broken])).stdout).toMatch(/waiting: inbox\/vexora\/pay\.csv \(vexora\).*PB_TEST_VEXORA_SECRET is not set/);
    expect(fs.readFileSync(path.join(work, 'logs', fs.readdirSync(path.join(work, 'logs'))[0]!), 'utf8')).toMatch(/sheet left in the inbox: its provider configuration failed to load/);
    expect(await createsOf('vexora', refs)).toEqual([0, 0]);

    // Fixed: paid through the provider of its folder, once.
    const fixed = await runCli(['run-once', '--config', broken, '--json'], { env: { PB_TEST_VEXORA_SECRET: vexoraCredentials.secret } });
    expect(fixed.code, fixed.stderr).toBe(0);
    const b = json(fixed.stdout).batches;
    expect(b).toHaveLength(1);
    expect(b[0]).toMatchObject({ file: 'pay.csv', provider: 'vexora', state: 'completed', rows: 2 });
    expect(b[0]!.counts.succeeded).toBe(2);
    expect(await createsOf('vexora', refs)).toEqual([1, 1]);
    expect(json((await runCli(['status', '--config', broken, '--json'])).stdout).waiting).toBeUndefined();
  }, 90_000);

  it('a configuration error after the sheet was claimed (watch) puts it back in inbox/vexora/, not the top-level inbox', async () => {
    const work = path.join(dir, 'config-error-watch');
    // Passes the schema, fails when the provider is started: after the claim and the reading.
    const broken = config('config-error-watch', work, { vexora: { baseUrl: 'ftp://127.0.0.1:9' } }, { provider: 'starpago' });
    const fixed = config('config-error-watch-fixed', work, { vexora: {} }, { provider: 'starpago' });
    const { lines, refs } = sheetLines('vexora', 'CW', 2);
    const watch = spawnCli(['watch', '--config', broken]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to start', () => out.includes('watching') || undefined, 60_000);
      fs.mkdirSync(path.join(work, 'inbox', 'vexora'), { recursive: true });
      fs.writeFileSync(path.join(work, 'inbox', 'vexora', 'w.csv'), lines.join('\n') + '\n');
      await waitFor('the sheet to be left for a later attempt', () => out.includes('sheet left for a later attempt') || undefined, 60_000);
      await sleep(1500); // a sheet moved to the top-level inbox would be taken (as StarPago's) by now
      expect(filesUnder(path.join(work, 'inbox'))).toEqual([path.join('vexora', 'w.csv')]);
      expect(filesUnder(path.join(work, 'processing'))).toEqual([]);
      expect(filesUnder(path.join(work, 'rejected'))).toEqual([]);
      const status = json((await runCli(['status', '--config', broken, '--json'])).stdout);
      expect(status.batches).toEqual([]); // the batch it began is forgotten: nothing was sent
      expect(out.match(/sheet left for a later attempt/g)).toHaveLength(1); // not retried at every event
      expect(status.waiting).toEqual([expect.objectContaining({ file: path.join('inbox', 'vexora', 'w.csv'), provider: 'vexora', reason: expect.stringMatching(/baseUrl/) })]);
    } finally {
      await stop(watch);
    }
    const r = await runCli(['run-once', '--config', fixed, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).batches).toEqual([expect.objectContaining({ file: 'w.csv', provider: 'vexora', state: 'completed' })]);
    expect(await createsOf('vexora', refs)).toEqual([1, 1]);
  }, 90_000);
});

describe('case 2: a sheet stranded in processing/ by a kill goes back through intake', () => {
  it('killed after the claim and before its batch existed, the sheet is paid by the next run-once (with its folder’s provider), once', async () => {
    const work = path.join(dir, 'stranded');
    // A long stability window: the claim checks the sheet again for 2 s after moving it into processing/.
    const slow = config('stranded-slow', work, { vexora: {} }, { provider: 'starpago', intake: { stableSeconds: 4, tickSeconds: 0.2 } });
    const fast = config('stranded-fast', work, { vexora: {} }, { provider: 'starpago' });
    const { lines, refs } = sheetLines('vexora', 'ST', 3);
    const content = lines.join('\n') + '\n';
    fs.mkdirSync(path.join(work, 'inbox', 'vexora'), { recursive: true });
    fs.writeFileSync(path.join(work, 'inbox', 'vexora', 'pay.csv'), content);

    const first = spawnCli(['run-once', '--config', slow]);
    await waitFor('the sheet to be claimed into processing/', () => filesUnder(path.join(work, 'processing')).length > 0 || undefined, 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(filesUnder(path.join(work, 'processing'))).toHaveLength(1);
    expect(json((await runCli(['status', '--config', fast, '--json'])).stdout).batches).toEqual([]);

    const second = await runCli(['run-once', '--config', fast, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(json(second.stdout).batches).toEqual([expect.objectContaining({ file: 'pay.csv', provider: 'vexora', state: 'completed', rows: 3 })]);
    expect(await createsOf('vexora', refs)).toEqual([1, 1, 1]);
    expect(filesUnder(path.join(work, 'processing'))).toEqual([]);
    expect(filesUnder(path.join(work, 'archive')).map((f) => path.basename(f))).toEqual(['pay.csv']);

    // The same bytes stranded again (another claim of an already-paid sheet): its identity decides.
    fs.mkdirSync(path.join(work, 'processing', 'vexora'), { recursive: true });
    fs.writeFileSync(path.join(work, 'processing', 'vexora', 'again.csv'), content);
    const third = await runCli(['run-once', '--config', fast, '--json']);
    expect(third.code).toBe(1);
    expect(json(third.stdout).batches).toEqual([expect.objectContaining({ file: 'again.csv', state: 'duplicate-file' })]);
    expect(fs.existsSync(path.join(work, 'rejected', 'again.csv'))).toBe(true);
    expect(filesUnder(path.join(work, 'processing'))).toEqual([]);
    expect(await createsOf('vexora', refs)).toEqual([1, 1, 1]);
  }, 90_000);
});

describe('case 3: a file that changes while or after it is read', () => {
  it('appended (through the writer’s open descriptor) while it was being checked: refused before any payout, exit 2, kept in rejected/ with the reason', async () => {
    const work = path.join(dir, 'grow-before');
    const cfg = config('grow-before', work, { starpago: {} });
    const { lines, refs } = sheetLines('starpago', 'GB', 300);
    // The provider is slow to hand out its token: the sheet has been read, nothing is sent yet.
    await sandboxes.starpago.faults([{ kind: 'delay', path: '/oauth/token', delayMs: 3000, times: 1 }]);
    const otherBefore = (await sandboxStats(sandboxes.starpago.url)).byKind.other;
    const file = path.join(work, 'inbox', 'grow.csv');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    let run: ReturnType<typeof spawnCli> | undefined;
    try {
      fs.writeSync(fd, lines.slice(0, 21).join('\n') + '\n'); // the header and 20 rows, then a pause
      run = spawnCli(['run-once', '--config', cfg, '--json']);
      let stdout = '';
      run.stdout!.on('data', (d) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => run!.once('exit', (code) => resolve(code)));
      await waitFor('the sheet to be read and the provider asked', async () => (await sandboxStats(sandboxes.starpago.url)).byKind.other > otherBefore || undefined, 60_000);
      fs.writeSync(fd, lines.slice(21).join('\n') + '\n'); // the writer goes on
      fs.closeSync(fd);
      const code = await exited;
      expect(code, stdout).toBe(2);
      const b = json(stdout).batches[0]!;
      expect(b.state).toBe('rejected');
      expect(b.notes.join('\n')).toMatch(/the file changed while it was read/);
      expect(await createsOf('starpago', refs)).toEqual(refs.map(() => 0));
      // Kept whole in rejected/ with the reason; nothing archived.
      expect(fs.readFileSync(path.join(work, 'rejected', 'grow.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(301);
      const errors = await readCsv(path.join(work, 'rejected', 'grow.errors.csv'));
      expect(errors.map((e) => e.rule)).toContain('changed-while-read');
      expect(filesUnder(path.join(work, 'archive'))).toEqual([]);
      const status = json((await runCli(['status', b.id, '--config', cfg, '--json'])).stdout).batches[0]!;
      expect(status.state).toBe('rejected');
      expect(status.notes.join('\n')).toMatch(/the file changed while it was read/);
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // closed above
      }
      if (run) await stop(run);
    }
  }, 90_000);

  it('appended after payouts began: the rows read are paid, the file is kept in rejected/ (never archived) with a note of what was paid, exit 1, and status says so', async () => {
    const work = path.join(dir, 'grow-after');
    const cfg = config('grow-after', work, { vexora: { rate: { perSecond: 2, concurrency: 1 } } });
    const { lines, refs } = sheetLines('vexora', 'GA', 300);
    const file = path.join(work, 'inbox', 'grow.csv');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    let run: ReturnType<typeof spawnCli> | undefined;
    try {
      fs.writeSync(fd, lines.slice(0, 11).join('\n') + '\n'); // the header and 10 rows, then a long pause
      run = spawnCli(['run-once', '--config', cfg, '--json']);
      let stdout = '';
      run.stdout!.on('data', (d) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => run!.once('exit', (code) => resolve(code)));
      await waitFor('the first payout to be created', async () => ((await createsOf('vexora', refs.slice(0, 1)))[0]! > 0 ? true : undefined), 60_000);
      fs.writeSync(fd, lines.slice(11).join('\n') + '\n');
      fs.closeSync(fd);
      const code = await exited;
      expect(code, stdout).toBe(1);
      const b = json(stdout).batches[0]!;
      expect(b).toMatchObject({ state: 'completed', rows: 10 });
      expect(b.counts.succeeded).toBe(10);
      const note = b.notes.join('\n');
      expect(note).toMatch(/grow\.csv changed after it was read/);
      expect(note).toMatch(/10 of the 10 row\(s\) read were paid/);
      expect(note).toMatch(/whatever was written after the read was not paid/);
      expect(await createsOf('vexora', refs.slice(0, 10))).toEqual(refs.slice(0, 10).map(() => 1));
      expect(await createsOf('vexora', refs.slice(10))).toEqual(refs.slice(10).map(() => 0));
      expect(filesUnder(path.join(work, 'archive'))).toEqual([]);
      expect(fs.readFileSync(path.join(work, 'rejected', 'grow.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(301);
      const errors = await readCsv(path.join(work, 'rejected', 'grow.errors.csv'));
      expect(errors.map((e) => e.rule)).toEqual(['changed-after-read']);
      // Later, `status` still says so.
      const status = await runCli(['status', b.id, '--config', cfg, '--json']);
      expect(json(status.stdout).batches[0]!.notes.join('\n')).toMatch(/changed after it was read/);
      expect((await runCli(['status', '--config', cfg])).stdout).toMatch(/10 of the 10 row\(s\) read were paid/);
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // closed above
      }
      if (run) await stop(run);
    }
  }, 90_000);
});

describe('case 9: only regular files are ever claimed', () => {
  it('a FIFO in the inbox does not hang `watch`: it is left alone, and the next sheet is paid', async () => {
    const work = path.join(dir, 'fifo-watch');
    const cfg = config('fifo-watch', work, { vexora: {} });
    const { lines, refs } = sheetLines('vexora', 'FW', 2);
    fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
    const fifo = path.join(work, 'inbox', 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      // (Its warning about the FIFO may come first.)
      await waitFor('watch to start', () => out.includes('watching') || out.includes('not a regular file') || undefined, 60_000);
      await sleep(1500); // the FIFO is seen (and, before the fix, claimed and opened) first
      fs.writeFileSync(path.join(work, 'inbox', 'after.csv'), lines.join('\n') + '\n');
      const done = await waitFor(
        'the sheet after the FIFO to be paid',
        async () => json((await runCli(['status', '--config', cfg, '--json'])).stdout).batches.find((b) => b.file === 'after.csv' && b.state === 'completed'),
        60_000,
      );
      expect(done.counts.succeeded).toBe(2);
      expect(await createsOf('vexora', refs)).toEqual([1, 1]);
      expect(fs.lstatSync(fifo).isFIFO()).toBe(true); // never claimed: still in the inbox
      expect(fs.readdirSync(path.join(work, 'processing'))).toEqual([]);
      expect(watch.exitCode).toBeNull();
    } finally {
      await stop(watch);
    }
  }, 90_000);

  it('run-once leaves a FIFO in the inbox alone too', async () => {
    const work = path.join(dir, 'fifo-run-once');
    const cfg = config('fifo-run-once', work, { vexora: {} });
    fs.mkdirSync(path.join(work, 'inbox', 'vexora'), { recursive: true });
    execFileSync('mkfifo', [path.join(work, 'inbox', 'vexora', 'pipe.csv')]);
    const r = await runCli(['run-once', '--config', cfg, '--json'], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).batches).toEqual([]);
    expect(fs.lstatSync(path.join(work, 'inbox', 'vexora', 'pipe.csv')).isFIFO()).toBe(true);
  }, 30_000);
});

describe('case 12: paths and names as they are', () => {
  it('`run` on a directory or a FIFO says what it is (not "no such file"), exit 2, without hanging', async () => {
    const work = path.join(dir, 'run-odd-paths');
    const cfg = config('run-odd-paths', work, { vexora: {} });
    const folder = path.join(dir, 'a-folder');
    fs.mkdirSync(folder, { recursive: true });
    const fifo = path.join(dir, 'a-pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const onFolder = await runCli(['run', folder, '--config', cfg], { timeoutMs: 20_000 });
    expect(onFolder.code).toBe(2);
    expect(onFolder.stderr).toMatch(/a-folder is a directory, not a sheet file/);
    expect(onFolder.stderr).not.toMatch(/no such file/);
    const onFifo = await runCli(['run', fifo, '--config', cfg], { timeoutMs: 20_000 });
    expect(onFifo.code).toBe(2);
    expect(onFifo.stderr).toMatch(/a-pipe\.csv is a FIFO \(named pipe\), not a sheet file/);
    const missing = await runCli(['run', path.join(dir, 'missing.csv'), '--config', cfg]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file: .*missing\.csv/);
  }, 60_000);

  it('a file name with a newline is printed escaped: it cannot fake a line in a cron log', async () => {
    const work = path.join(dir, 'newline-name');
    const cfg = config('newline-name', work, { vexora: {} });
    const { lines } = sheetLines('vexora', 'NL', 1);
    const fake = 'x\nbatch 20990101-deadbeef  payroll.csv  vexora  completed\n  rows 1: succeeded 1.csv';
    fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(work, 'inbox', fake), lines.join('\n') + '\n');
    const r = await runCli(['run-once', '--config', cfg]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.split('\n');
    expect(out.some((l) => l.startsWith('batch 20990101-deadbeef'))).toBe(false);
    expect(r.stdout).toContain('x\\nbatch 20990101-deadbeef  payroll.csv  vexora  completed\\n  rows 1: succeeded 1.csv');
    const status = await runCli(['status', '--config', cfg]);
    expect(status.stdout.split('\n').some((l) => l.startsWith('batch 20990101-deadbeef'))).toBe(false);
    const missing = await runCli(['run', path.join(dir, 'no\nsuch.csv'), '--config', cfg]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no\\nsuch.csv');
    expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 60_000);
});
