// DESIGN §11 as a deployment lives it: three `paybatch watch` processes (three "machines", each with its own
// work folder) on one PostgreSQL journal, one shared provider sandbox that rate-limits and fails some creates
// after creating them (a 500, or a dropped connection). Two of the three are killed with SIGKILL mid-batch
// and started again; the same sheet is dropped on another machine. Nothing may be created twice, every row
// must end, the copy must be refused with nothing paid, and the shared rate budget must keep 429s rare.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sleep, spawnCli, startSandboxProcess, tempDir, vexoraCredentials, vexoraSheet, waitFor, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const ROWS = 240;
const RATE = 40;

let pg: TestPostgres;
let dir: string;
let sandbox: SandboxProcess;

beforeAll(async () => {
  dir = tempDir('paybatch-scaleout-');
  pg = await startPostgres();
  const sandboxCfg = writeJson(path.join(dir, 'sandbox.json'), {
    providers: {
      vexora: {
        ...vexoraCredentials,
        sandbox: {
          settleAfterSeconds: 0.3,
          duplicateCheck: false,
          seed: 13,
          ratePerSecond: RATE,
          burst: RATE,
          faults: [
            { kind: 'error-after', onCreate: true, probability: 0.05, times: 0 },
            { kind: 'drop-after', onCreate: true, probability: 0.05, times: 0 },
          ],
        },
      },
    },
  });
  sandbox = await startSandboxProcess('vexora', sandboxCfg);
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  await pg?.stop();
});

/** One machine's configuration: its own work folder, the shared journal (through PAYBATCH_JOURNAL), the shared sandbox. */
function machineConfig(name: string, extra: Record<string, unknown> = {}): string {
  const work = path.join(dir, name);
  return writeJson(path.join(dir, `${name}.json`), {
    work,
    provider: 'vexora',
    balanceCheck: false,
    intake: { stableSeconds: 0.2, tickSeconds: 0.2 },
    workers: { leaseSeconds: 2, drainSeconds: 2 },
    providers: {
      vexora: {
        baseUrl: sandbox.url,
        ...vexoraCredentials,
        callbackUrl: 'https://merchant.invalid/paybatch/callbacks/vexora',
        // Every machine is configured with the provider's full rate: together they must not exceed it.
        rate: { perSecond: RATE, concurrency: 6 },
        poll: { firstAfterSeconds: 0.3, maxIntervalSeconds: 0.6, deadlineHours: 1 },
        notFoundWindowSeconds: 0.5,
        timeoutSeconds: 2,
      },
    },
    ...extra,
  });
}

interface Machine {
  name: string;
  config: string;
  work: string;
  child?: ChildProcess;
  log: string;
}

function start(m: Machine, env: Record<string, string>): void {
  const child = spawnCli(['watch', '--config', m.config], { env });
  child.stdout!.on('data', (d) => (m.log += d));
  child.stderr!.on('data', (d) => (m.log += d));
  m.child = child;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('three watch processes on one PostgreSQL journal (DESIGN §11)', () => {
  it('pays every row once through kills and restarts, refuses the same sheet on another machine, and keeps 429s rare', async () => {
    const db = 'scaleout';
    await pg.createDatabase(db);
    const env = { PAYBATCH_JOURNAL: pg.url(db) };
    const machines: Machine[] = ['m1', 'm2', 'm3'].map((name) => ({ name, config: machineConfig(name), work: path.join(dir, name), log: '' }));
    for (const m of machines) start(m, env);
    const [m1, m2, m3] = machines as [Machine, Machine, Machine];

    // All three register in the shared journal.
    const statusOf = async () => {
      const r = await runCli(['status', '--json', '--config', m3.config], { env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { batches: { id: string; state: string; counts: Record<string, number>; rows: number }[]; processes: { host: string; pid: number; heartbeat_at: string; rows_claimed: number }[] };
    };
    await waitFor('three live processes', async () => ((await statusOf()).processes.length === 3 ? true : undefined), 30_000);

    const sheet = vexoraSheet(ROWS, { prefix: 'SO', failEvery: 20 });
    fs.mkdirSync(path.join(m1.work, 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(m1.work, 'inbox', 'payouts.csv'), sheet);

    // Mid-batch: kill the machine that read the sheet and one other, then start them again.
    await waitFor('a third of the rows created', async () => (Object.keys((await sandbox.stats()).created).length >= ROWS / 3 ? true : undefined), 60_000);
    m1.child!.kill('SIGKILL');
    m2.child!.kill('SIGKILL');
    await Promise.all([exited(m1.child!), exited(m2.child!)]);
    // The same bytes dropped on another machine while the batch runs: one batch, nothing paid for the copy.
    fs.mkdirSync(path.join(m3.work, 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(m3.work, 'inbox', 'payouts-again.csv'), sheet);
    await sleep(1500);
    start(m1, env);
    start(m2, env);

    const final = await waitFor(
      'the batch to complete',
      async () => {
        const doc = await statusOf();
        const b = doc.batches.find((x) => x.rows === ROWS);
        return b && b.state === 'completed' ? b : undefined;
      },
      150_000,
    );
    expect(final.counts.pending).toBe(0);
    expect(final.counts.succeeded + final.counts.failed + final.counts.needs_review).toBe(ROWS);
    expect(final.counts.failed).toBe(ROWS / 20);

    // Never twice: the provider holds exactly one payout per reference.
    const stats = await sandbox.stats();
    expect(stats.maxCreatedPerReference).toBe(1);
    // A process killed between journaling a row's `submitting` and sending it leaves a row that may never have
    // reached the provider; Vexora's "not found" is no proof of that, so the row ends needs_review, unsent.
    const created = Object.keys(stats.created).length;
    expect(created).toBeLessThanOrEqual(ROWS);
    expect(created).toBeGreaterThanOrEqual(ROWS - final.counts.needs_review);
    // One budget for the deployment: 429s at most 1% of requests.
    const requests = (stats as unknown as { requests: number }).requests;
    expect(stats.rateLimited / requests).toBeLessThanOrEqual(0.01);

    // The copy went to m3's rejected/ with an errors file saying which batch it is.
    const rejected = await waitFor('the copy in rejected/', () => {
      const folder = path.join(m3.work, 'rejected');
      return fs.existsSync(folder) && fs.readdirSync(folder).some((f) => f.startsWith('payouts-again')) ? fs.readdirSync(folder) : undefined;
    });
    expect(rejected.some((f) => f.includes('errors'))).toBe(true);
    // The sheet leaves m1's processing/ for its archive (m1 holds it), once the batch is final.
    await waitFor('m1 archives its sheet', () => {
      const archive = path.join(m1.work, 'archive');
      return fs.existsSync(archive) && fs.readdirSync(archive, { recursive: true }).some((f) => String(f).endsWith('payouts.csv')) ? true : undefined;
    });

    // SIGTERM: each process drains and exits 0.
    for (const m of machines) m.child!.kill('SIGTERM');
    const codes = await Promise.all(machines.map((m) => exited(m.child!)));
    expect(codes).toEqual([0, 0, 0]);
    const after = await statusOf();
    expect(after.processes).toEqual([]);
    console.log(
      `scale-out: ${ROWS} rows, 3 processes, 2 SIGKILLs, max created per reference ${stats.maxCreatedPerReference}, ` +
        `${stats.rateLimited} of ${requests} requests refused with 429 (${((100 * stats.rateLimited) / requests).toFixed(2)}%)`,
    );
  }, 240_000);

  it('refuses an embedded sandbox with a shared journal, and never shows the journal password', async () => {
    const db = 'refusals';
    await pg.createDatabase(db);
    const cfg = writeJson(path.join(dir, 'embedded.json'), { work: path.join(dir, 'embedded'), provider: 'vexora' });
    const sheetFile = path.join(dir, 'embedded.csv');
    fs.writeFileSync(sheetFile, vexoraSheet(2, { prefix: 'EMB' }));
    const r = await runCli(['run', sheetFile, '--config', cfg], { env: { PAYBATCH_JOURNAL: pg.url(db) } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/baseUrl is "sandbox".*shared/);
    expect(Object.keys((await sandbox.stats()).created).filter((k) => k.startsWith('EMB'))).toEqual([]);

    // A wrong password: one line naming the server, never the password.
    const wrong = new URL(pg.url(db));
    wrong.password = 'Not-The-Password-81723';
    const live = machineConfig('wrongpass');
    const w = await runCli(['status', '--config', live], { env: { PAYBATCH_JOURNAL: wrong.toString() } });
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/journal/i);
    expect(w.stderr + w.stdout).not.toContain('Not-The-Password-81723');
    const logs = path.join(dir, 'wrongpass', 'logs');
    if (fs.existsSync(logs)) for (const f of fs.readdirSync(logs)) expect(fs.readFileSync(path.join(logs, f), 'utf8')).not.toContain('Not-The-Password-81723');
  }, 60_000);
});
