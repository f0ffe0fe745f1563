// The CLI as a user runs it: real sheets in, real HTTP to a Vexora sandbox in its own process, real files out.
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readCsv,
  repoRoot,
  runCli,
  sleep,
  spawnCli,
  startSandboxProcess,
  tempDir,
  vexoraCredentials,
  vexoraSheet,
  waitFor,
  writeJson,
  type SandboxProcess,
} from '../helpers/cli.ts';

let dir: string;
let sandbox: SandboxProcess;
let config: string;

function configFor(work: string, extra: Record<string, unknown> = {}): string {
  return writeJson(path.join(dir, `config-${path.basename(work)}.json`), {
    work,
    provider: 'vexora',
    intake: { stableSeconds: 0.6, tickSeconds: 0.2 },
    runOnce: { waitSeconds: 30 },
    providers: {
      vexora: {
        baseUrl: sandbox.url,
        ...vexoraCredentials,
        // Required for a live Vexora (notifyUrl is mandatory); not loopback, so the sandbox never calls it.
        callbackUrl: 'https://merchant.invalid/paybatch/callbacks/vexora',
        rate: { perSecond: 50, concurrency: 4 },
        poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, deadlineHours: 1 },
        notFoundWindowSeconds: 0.5,
        timeoutSeconds: 2,
      },
    },
    ...extra,
  });
}

beforeAll(async () => {
  dir = tempDir();
  const sandboxConfig = writeJson(path.join(dir, 'sandbox.json'), {
    providers: { vexora: { ...vexoraCredentials, sandbox: { settleAfterSeconds: 0.3, duplicateCheck: false } } },
  });
  sandbox = await startSandboxProcess('vexora', sandboxConfig);
  config = configFor(path.join(dir, 'work'));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('paybatch run (Vexora, CSV and XLSX)', () => {
  const sheet = () => {
    const file = path.join(dir, 'payouts.csv');
    if (!fs.existsSync(file)) fs.writeFileSync(file, vexoraSheet(6, { prefix: 'CSV', failEvery: 5 }));
    return file;
  };

  it('pays a CSV sheet to its end and writes results, reconciliation and the archive copy', async () => {
    const r = await runCli(['run', sheet(), '--config', config, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // one row fails at the bank
    const doc = JSON.parse(r.stdout);
    expect(doc.batches).toHaveLength(1);
    const b = doc.batches[0];
    expect(b).toMatchObject({ file: 'payouts.csv', provider: 'vexora', state: 'completed', rows: 6 });
    expect(b.counts).toEqual({ succeeded: 5, failed: 1, reversed: 0, invalid: 0, duplicate: 0, cancelled: 0, pending: 0, needs_review: 0 });
    const results = await readCsv(b.reports.results_csv);
    expect(results.map((row) => row.payout_status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed', 'succeeded']);
    expect(results[0].merchant_reference).toBe('CSV-1');
    expect(results[0].paid_amount).toBe('101.00');
    expect(results[4].error_code).toBe('00029');
    const recon = await readCsv(b.reports.reconciliation_csv);
    const invariant = recon.find((l) => l.section === 'invariant' && l.currency === 'ARS');
    expect(invariant?.item).toBe('holds');
    expect(recon.find((l) => l.section === 'control' && l.currency === 'ARS')?.amount).toBe('621.00');
    for (const f of ['results_xlsx', 'reconciliation_xlsx']) expect(fs.existsSync(b.reports[f])).toBe(true);
    const archived = fs.readdirSync(path.join(dir, 'work', 'archive'));
    expect(archived).toHaveLength(1);
    expect(fs.existsSync(sheet())).toBe(true); // `run` keeps the operator's file where it was
    const stats = await sandbox.stats();
    for (let i = 1; i <= 6; i++) expect(stats.createRequests[`CSV-${i}`]).toBe(1);
  }, 60_000);

  it('running the same file again pays nothing and reports the same batch', async () => {
    const before = await sandbox.stats();
    const r = await runCli(['run', sheet(), '--config', config, '--json']);
    expect(r.code).toBe(1);
    const b = JSON.parse(r.stdout).batches[0];
    expect(b.counts.succeeded).toBe(5);
    const after = await sandbox.stats();
    expect(after.createRequests).toEqual(before.createRequests);
  }, 60_000);

  it('pays an XLSX sheet whose identifiers are text cells', async () => {
    const file = path.join(dir, 'payouts.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Payouts');
    ws.addRow(['Reference', 'Amount', 'Currency', 'Account Number', 'Mobile', 'Email', 'First Name', 'Last Name']);
    for (let i = 1; i <= 3; i++) ws.addRow([`XL-${i}`, 1000 + i, 'ARS', `00000031000100000${i}1111`, `091123456${i}`, `x${i}@example.com`, 'Ana', 'Perez']);
    await wb.xlsx.writeFile(file);
    const r = await runCli(['run', file, '--config', config, '--json']);
    expect(r.code).toBe(0);
    const b = JSON.parse(r.stdout).batches[0];
    expect(b.counts.succeeded).toBe(3);
    const results = await readCsv(b.reports.results_csv);
    expect(results.map((row) => row.merchant_reference)).toEqual(['XL-1', 'XL-2', 'XL-3']);
  }, 60_000);

  it('an invalid sheet writes the errors CSV, keeps the sheet and sends nothing', async () => {
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      file,
      [
        'reference,amount,currency,account_number,mobile,email,first_name,last_name',
        'BAD-1,1500,ARS,0000003100010000000001,0911234567,ok@example.com,Ana,Perez',
        'BAD-2,99,ARS,0000003100010000000001,911234567,,Ana,Perez',
        'BAD-3,"1,500",ARS,0000003100010000000001,0911234567,ok@example.com,Ana,Perez',
        'BAD-1,1500,ARS,0000003100010000000001,0911234567,ok@example.com,Ana,Perez',
      ].join('\n'),
    );
    const before = await sandbox.stats();
    const r = await runCli(['run', file, '--config', config, '--json']);
    expect(r.code).toBe(1);
    const b = JSON.parse(r.stdout).batches[0];
    expect(b.state).toBe('rejected');
    expect(b.counts.invalid).toBe(3);
    const errors = await readCsv(b.reports.errors_csv);
    expect(Object.keys(errors[0])).toEqual(['file', 'row', 'column', 'value', 'rule', 'message']);
    const row3 = errors.filter((e) => e.row === '3').map((e) => `${e.column}:${e.rule}`);
    expect(row3).toEqual(expect.arrayContaining(['amount:min-amount', 'mobile:format', 'email:required']));
    expect(errors.find((e) => e.row === '4')?.rule).toBe('amount-ambiguous');
    expect(errors.find((e) => e.row === '5')?.rule).toBe('duplicate-reference');
    expect(errors.every((e) => e.file === 'bad.csv')).toBe(true);
    const rejected = fs.readdirSync(path.join(dir, 'work', 'rejected'));
    expect(rejected).toEqual(expect.arrayContaining(['bad.csv', 'bad.errors.csv']));
    expect((await sandbox.stats()).createRequests).toEqual(before.createRequests);
  }, 60_000);
});

describe('policies and helpers', () => {
  it('onInvalidRows skip-rows pays the valid rows and reports the invalid ones', async () => {
    const work = path.join(dir, 'skip-work');
    const cfg = configFor(work, { onInvalidRows: 'skip-rows' });
    const file = path.join(dir, 'skip.csv');
    const lines = vexoraSheet(4, { prefix: 'SKIP' }).trimEnd().split('\n');
    lines[2] = lines[2].replace(/^(SKIP-2),\d+,/, '$1,50,'); // below Vexora Argentina's minimum of 100
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code).toBe(1);
    const b = JSON.parse(r.stdout).batches[0];
    expect(b.state).toBe('completed');
    expect(b.counts).toMatchObject({ succeeded: 3, invalid: 1 });
    const results = await readCsv(b.reports.results_csv);
    expect(results[1]).toMatchObject({ merchant_reference: 'SKIP-2', payout_status: 'invalid' });
    expect(results[1].error_message).toMatch(/minimum is 100/);
    expect((await sandbox.stats()).createRequests['SKIP-2']).toBeUndefined();
    expect((await readCsv(b.reports.errors_csv)).map((e) => e.rule)).toEqual(['min-amount']);
  }, 60_000);

  it('run --dry-run and validate send and journal nothing', async () => {
    const work = path.join(dir, 'dry-work');
    const cfg = configFor(work);
    const file = path.join(dir, 'dry.csv');
    fs.writeFileSync(file, vexoraSheet(3, { prefix: 'DRY' }));
    const dry = await runCli(['run', file, '--dry-run', '--config', cfg, '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).batches[0]).toMatchObject({ state: 'validated', rows: 3 });
    const validate = await runCli(['validate', file, '--config', cfg]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/3 valid, 0 invalid row\(s\); nothing was sent/);
    expect((await sandbox.stats()).createRequests['DRY-1']).toBeUndefined();
    const status = JSON.parse((await runCli(['status', '--config', cfg, '--json'])).stdout);
    expect(status.batches).toEqual([]);
  }, 60_000);

  it('template writes a sheet with the provider columns and an instructions sheet', async () => {
    const out = path.join(dir, 'vexora-template.xlsx');
    const r = await runCli(['template', '--provider', 'vexora', '--out', out, '--config', config]);
    expect(r.code).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const header = (wb.getWorksheet('Payouts')!.getRow(1).values as string[]).filter(Boolean);
    expect(header).toEqual(['reference', 'amount', 'currency', 'account_number', 'mobile', 'email', 'first_name', 'last_name', 'note']);
    expect(wb.getWorksheet('Instructions')!.getRow(2).getCell(1).value).toBe('reference');
  }, 60_000);
});

describe('paybatch watch (Vexora inbox)', () => {
  it('reads a slowly written file once, whole, and pays nothing for the same bytes under another name', async () => {
    const work = path.join(dir, 'watch-work');
    const cfg = configFor(work);
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to start', () => out.includes('watching') || undefined);
      const content = vexoraSheet(40, { prefix: 'SLOW' });
      const inboxFile = path.join(work, 'inbox', 'slow.csv');
      const fd = fs.openSync(inboxFile, 'w');
      const parts = 4;
      const step = Math.ceil(content.length / parts);
      for (let i = 0; i < parts; i++) {
        fs.writeSync(fd, content.slice(i * step, (i + 1) * step));
        await sleep(350); // pauses shorter than the stability window
      }
      fs.closeSync(fd);
      const status = async () => {
        const r = await runCli(['status', '--config', cfg, '--json']);
        const doc = JSON.parse(r.stdout);
        return doc.batches.length === 1 && doc.batches[0].state === 'completed' ? doc.batches[0] : undefined;
      };
      const batch = await waitFor('the batch to complete', status, 45_000);
      expect(batch.rows).toBe(40);
      expect(batch.counts.succeeded).toBe(40);
      const stats = await sandbox.stats();
      for (let i = 1; i <= 40; i++) expect(stats.createRequests[`SLOW-${i}`]).toBe(1);

      // The same bytes again under another name: rejected with a note, nothing paid.
      fs.writeFileSync(path.join(work, 'inbox', 'slow-copy.csv'), content);
      await waitFor('the copy to be rejected', () => fs.existsSync(path.join(work, 'rejected', 'slow-copy.errors.csv')) || undefined, 60_000);
      expect(fs.existsSync(path.join(work, 'rejected', 'slow-copy.csv'))).toBe(true);
      const after = await sandbox.stats();
      for (let i = 1; i <= 40; i++) expect(after.createRequests[`SLOW-${i}`]).toBe(1);
      const all = JSON.parse((await runCli(['status', '--config', cfg, '--json'])).stdout);
      expect(all.batches).toHaveLength(1);
      expect(fs.readdirSync(path.join(work, 'archive')).length).toBe(1);
    } finally {
      watch.kill('SIGTERM');
      await new Promise((r) => watch.once('exit', r));
    }
  }, 90_000);

  it('refuses a second owner of the same work folder', async () => {
    const work = path.join(dir, 'lock-work');
    const cfg = configFor(work);
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to start', () => out.includes('watching') || undefined);
      const second = await runCli(['run-once', '--config', cfg]);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/in use by paybatch watch \(pid \d+/);
    } finally {
      watch.kill('SIGKILL');
      await new Promise((r) => watch.once('exit', r));
    }
    // A lock left by a killed process is free at once (the kernel released it).
    const after = await runCli(['run-once', '--config', cfg]);
    expect(after.code).toBe(0);
  }, 60_000);
});

describe('one batch stopping', () => {
  it('a batch stopped by a refused configuration does not stop the next batch of the same run-once', async () => {
    const paystar = await startSandboxProcess('paystar', writeJson(path.join(dir, 'paystar-sandbox.json'), {}));
    try {
      const work = path.join(dir, 'stop-work');
      const cfg = configFor(work);
      const doc = JSON.parse(fs.readFileSync(cfg, 'utf8'));
      // PayStar's sandbox knows its built-in keys, not these: every call answers 401 and the batch stops.
      doc.providers.paystar = { baseUrl: paystar.url, balanceBaseUrl: paystar.url, publicKey: 'wrong-public', privateKey: 'wrong-private', timeoutSeconds: 2 };
      writeJson(cfg, doc);
      fs.mkdirSync(path.join(work, 'inbox', 'paystar'), { recursive: true });
      fs.mkdirSync(path.join(work, 'inbox', 'vexora'), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, 'samples', 'paystar-payouts.csv'), path.join(work, 'inbox', 'paystar', 'a.csv'));
      fs.writeFileSync(path.join(work, 'inbox', 'vexora', 'b.csv'), vexoraSheet(3, { prefix: 'AFTERSTOP' }));
      const r = await runCli(['run-once', '--config', cfg, '--json']);
      expect(r.code).toBe(2); // a stopped batch is a configuration error
      const batches = JSON.parse(r.stdout).batches as { file: string; state: string; counts: Record<string, number> }[];
      expect(batches.find((b) => b.file === 'a.csv')?.state).toBe('stopped');
      const after = batches.find((b) => b.file === 'b.csv');
      expect(after?.state).toBe('completed');
      expect(after?.counts.succeeded).toBe(3);
    } finally {
      await paystar.stop();
    }
  }, 90_000);
});

describe('crash safety (Vexora)', () => {
  it('a run killed with SIGKILL mid-way and restarted creates no payout twice', async () => {
    const work = path.join(dir, 'kill-work');
    const cfg = configFor(work);
    const file = path.join(dir, 'kill.csv');
    fs.writeFileSync(file, vexoraSheet(60, { prefix: 'KILL' }));
    const cfgSlow = JSON.parse(fs.readFileSync(cfg, 'utf8'));
    cfgSlow.providers.vexora.rate = { perSecond: 20, concurrency: 4 };
    writeJson(cfg, cfgSlow);
    const first = spawnCli(['run', file, '--config', cfg]);
    await waitFor('some payouts to be created', async () => {
      const s = await sandbox.stats();
      return Object.keys(s.createRequests).filter((k) => k.startsWith('KILL-')).length >= 15 || undefined;
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = await runCli(['run', file, '--config', cfg, '--json']);
    const b = JSON.parse(second.stdout).batches[0];
    expect(b.rows).toBe(60);
    expect(b.counts.pending).toBe(0);
    expect(b.counts.succeeded + b.counts.needs_review).toBe(60);
    const stats = await sandbox.stats();
    const kill = Object.entries(stats.created).filter(([k]) => k.startsWith('KILL-'));
    expect(kill.length).toBeGreaterThanOrEqual(60 - b.counts.needs_review);
    for (const [, n] of kill) expect(n).toBe(1);
  }, 90_000);
});
