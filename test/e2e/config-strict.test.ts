// Issue 10, cases 5, 8 and 12 (configuration): a typo never switches a control off, an absurd number is
// refused, a secret file is read with a small cap, a config saved with a byte order mark is accepted.
// The real CLI, real config files, the embedded Vexora sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDir, vexoraSheet, writeJson } from '../helpers/cli.ts';
import { paybatchConfig } from '../helpers/sheets.ts';

const dir = tempDir('paybatch-config-');

/** A config for an embedded-sandbox Vexora work folder, with `extra` top-level keys and `block` keys merged. */
function config(name: string, extra: Record<string, unknown> = {}, block: Record<string, unknown> = {}): { cfg: string; work: string } {
  const work = path.join(dir, name);
  const doc = paybatchConfig(work, { vexora: { url: 'sandbox', block } }, extra);
  return { cfg: writeJson(path.join(dir, `${name}.json`), doc), work };
}

function sheet(name: string, rows: number): string {
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, vexoraSheet(rows, { prefix: name.toUpperCase() }));
  return file;
}

/** The error of a refused command: one line `paybatch: …`, no stack trace. */
function refusal(r: { code: number | null; stderr: string }): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected error|ZodError/);
  const lines = r.stderr.trim().split('\n');
  expect(lines.every((l) => l.startsWith('paybatch: '))).toBe(true);
  return r.stderr;
}

const batchesIn = (work: string) => (fs.existsSync(path.join(work, 'journal.sqlite')) ? fs.readdirSync(path.join(work, 'reports')) : []);

describe('case 5: a typo in the configuration is an error, never a control switched off', () => {
  it('"limts" instead of "limits" refuses the run (exit 2, naming the key and "limits") instead of paying a batch the limits would hold', async () => {
    const file = sheet('limts', 3);
    const typo = config('limts', { limts: { maxRows: 2 } });
    const r = await runCli(['run', file, '--config', typo.cfg, '--json']);
    expect(refusal(r)).toContain('config.limts: unknown key (did you mean "limits"?)');
    expect(r.stdout).toBe('');
    expect(batchesIn(typo.work)).toEqual([]); // nothing read, nothing paid

    // Spelt right, the same limit holds the batch: the control the typo would have switched off.
    const right = config('limits', { limits: { maxRows: 2 } });
    const held = await runCli(['run', file, '--config', right.cfg, '--json']);
    expect(held.code, held.stderr).toBe(3);
    expect(JSON.parse(held.stdout).batches[0].state).toBe('held');
  });

  it('provider keys such as "secrett" and "rates" are errors naming the key and the nearest known one', async () => {
    const { cfg } = config('provider-typos', {}, { secrett: 'x', rates: { perSecond: 5 }, poll: { firstAfterSecond: 1 } });
    const r = await runCli(['status', '--config', cfg]);
    const said = refusal(r);
    expect(said).toContain('providers.vexora.secrett: unknown key (did you mean "secret"?)');
    expect(said).toContain('providers.vexora.rates: unknown key (did you mean "rate"?)');
    expect(said).toContain('providers.vexora.poll.firstAfterSecond: unknown key (did you mean "firstAfterSeconds"?)');
  });

  it('a typo in a block the run does not use fails at load too, and so does a misspelt provider id', async () => {
    const { cfg } = config('unused-block', { providers: { vexora: { baseUrl: 'sandbox' }, yuansfer: { baseUrl: 'sandbox', timeoutSecnds: 5 }, vexra: {} } });
    const said = refusal(await runCli(['run', sheet('unused', 1), '--config', cfg]));
    expect(said).toContain('providers.yuansfer.timeoutSecnds: unknown key (did you mean "timeoutSeconds"?)');
    expect(said).toContain('config.providers.vexra: unknown provider (did you mean "vexora"?)');
  });

  it('credentials given as env: are not resolved at load: a block whose variables are absent does not stop the others', async () => {
    // example.production.json names env: variables that are not set here; only the block a command uses needs them.
    const r = await runCli(['status', '--config', path.join(repoRoot, 'config/example.production.json'), '--work', path.join(dir, 'production-work')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no batches yet');
  });

  it('the shipped configurations still load', async () => {
    for (const file of ['config/default.json', 'config/example.production.json']) {
      const r = await runCli(['status', '--config', path.join(repoRoot, file), '--work', path.join(dir, `shipped-${path.basename(file)}`)]);
      expect(r.code, `${file}: ${r.stderr}`).toBe(0);
    }
  });

  it('logging.level must be a level: "inf" is refused (exit 2, did you mean "info"), not a run that logs nothing', async () => {
    const { cfg, work } = config('level', { logging: { level: 'inf' } });
    const said = refusal(await runCli(['run', sheet('level', 2), '--config', cfg]));
    expect(said).toContain('config.logging.level: "inf" is not one of error, warn, info');
    expect(said).toContain('(did you mean "info"?)');
    expect(batchesIn(work)).toEqual([]);
  });

  it('sandbox settings are strict too, down to a fault rule, and a bad value is one line, not a zod dump', async () => {
    const { cfg } = config('sandbox-typos', {}, { sandbox: { setleAfterSeconds: 0, faults: [{ kind: 'delay', delayMS: 10 }], outcomes: [{ accountEndsWith: '0002', outcome: 'fial' }] } });
    const said = refusal(await runCli(['run', sheet('sandbox-typos', 1), '--config', cfg]));
    expect(said).toContain('providers.vexora.sandbox.setleAfterSeconds: unknown key (did you mean "settleAfterSeconds"?)');
    expect(said).toContain('providers.vexora.sandbox.faults.0.delayMS: unknown key (did you mean "delayMs"?)');
    expect(said).toContain('providers.vexora.sandbox.outcomes.0.outcome: "fial" is not one of succeed, fail');
  });
});

describe('case 12: small ones', () => {
  it('a config file saved with a UTF-8 byte order mark is accepted', async () => {
    const { cfg } = config('bom');
    fs.writeFileSync(cfg, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fs.readFileSync(cfg)]));
    const r = await runCli(['run', sheet('bom', 2), '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).batches[0].counts.succeeded).toBe(2);
  });

  it('absurd numbers are refused (timeoutSeconds 1e308, perSecond 1e-300, a poll deadline of years); the fractions tests use are not', async () => {
    const { cfg } = config('absurd', {}, { timeoutSeconds: 1e308, rate: { perSecond: 1e-300 }, poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, deadlineHours: 100_000 } });
    const said = refusal(await runCli(['status', '--config', cfg]));
    expect(said).toMatch(/providers\.vexora\.timeoutSeconds: Too big: expected number to be <=\d+/);
    expect(said).toMatch(/providers\.vexora\.rate\.perSecond: Too small: expected number to be >=0\.01/);
    expect(said).toMatch(/providers\.vexora\.poll\.deadlineHours: Too big/);
    const top = config('absurd-top', { runOnce: { waitSeconds: 1e308 }, intake: { stableSeconds: 0.2, tickSeconds: 1e-300 } });
    const topSaid = refusal(await runCli(['status', '--config', top.cfg]));
    expect(topSaid).toMatch(/config\.runOnce\.waitSeconds: Too big/);
    expect(topSaid).toMatch(/config\.intake\.tickSeconds: Too small/);
    // Fractions as fast tests use them still load.
    const fast = config('fractions', { reversalWindowHours: 0.00001, reversalCheckEveryMinutes: 0.001 }, { poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.3, deadlineHours: 0.0003 }, timeoutSeconds: 0.3, rate: { perSecond: 0.5 } });
    const ok = await runCli(['status', '--config', fast.cfg]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('case 12: log redaction masks account numbers, not every long number', () => {
  it('a held batch: the log keeps its totals and batch id readable, and no full account number', async () => {
    const { cfg, work } = config('redaction', { limits: { maxFileTotal: { ARS: '1000.00' } } });
    const accounts = ['0000003100123456781111', '0000003100987654321111'];
    const file = path.join(dir, 'redaction.csv');
    fs.writeFileSync(
      file,
      ['reference,amount,currency,account_number,mobile,email,first_name,last_name,note', ...accounts.map((a, i) => `RED-${i + 1},150000000.00,ARS,${a},0911234567,p${i}@example.com,Ana,Perez,row`)].join('\n') + '\n',
    );
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(3);
    const batchId = JSON.parse(r.stdout).batches[0].id as string;
    const log = fs.readdirSync(path.join(work, 'logs')).map((f) => fs.readFileSync(path.join(work, 'logs', f), 'utf8')).join('\n');
    const held = log.split('\n').find((l) => l.includes('batch held for approval'));
    expect(held).toBeDefined();
    // The amount in the hold reason (a 9-digit run) and the batch id (8 digits) are what an operator reads.
    expect(held).toContain('ARS total 300000000.00 ARS exceeds limits.maxFileTotal 1000.00');
    expect(held).toContain(batchId);
    for (const a of accounts) expect(log).not.toContain(a);
  });
});

describe('case 8: secrets are read with a small cap, and only from regular files', () => {
  it('file:/dev/zero as a secret is refused at once (exit 2), without reading it', async () => {
    const { cfg } = config('dev-zero', {}, { secret: 'file:/dev/zero' });
    const started = Date.now();
    const r = await runCli(['run', sheet('dev-zero', 1), '--config', cfg], { timeoutMs: 30_000 });
    expect(refusal(r)).toContain('providers.vexora.secret: /dev/zero is not a regular file');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a secret file larger than a secret can be is refused (exit 2), naming the file and not its content', async () => {
    const big = path.join(dir, 'huge-secret.txt');
    fs.writeFileSync(big, 'S'.repeat(1024 * 1024));
    const { cfg } = config('big-secret', {}, { secret: `file:${big}` });
    const said = refusal(await runCli(['run', sheet('big-secret', 1), '--config', cfg]));
    expect(said).toContain(`providers.vexora.secret: ${big} is 1048576 bytes, more than the 65536`);
    expect(said).not.toContain('SSSS');
  });

  it('a secret file of ordinary size still works', async () => {
    const file = path.join(dir, 'vexora-secret.txt');
    fs.writeFileSync(file, 'vexora-sandbox-secret-not-for-production\n');
    const { cfg } = config('small-secret', {}, { secret: `file:${file}` });
    const r = await runCli(['run', sheet('small-secret', 2), '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).batches[0].counts.succeeded).toBe(2);
  });
});
