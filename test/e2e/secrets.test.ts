// Issue 6, promise 9: secrets and personal data stay put. Every provider runs with distinctive credentials
// given as env: references (the sandbox processes read the same config and environment), a full batch with
// a failing row and a rejected sheet each, at log level debug. Then every log line, report (CSV, and the
// XML inside each XLSX), errors file, stdout/stderr and --json document is searched for the secrets, and the
// logs for full account and card numbers. Reports and the journal are readable by their owner only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startSandboxProcess, tempDir, writeJson, type CliResult, type SandboxProcess } from '../helpers/cli.ts';
import { PROVIDERS, accountNumbersOf, paybatchConfig, providerSheet, refFor, xlsxText, type ProviderName } from '../helpers/sheets.ts';
import { paystarJwt } from '../../src/providers/paystar/sign.ts';

const { privateKey: STARPAY_PEM } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

/** Environment: the distinctive credential values, referenced from both configs as env:NAME. */
const ENV: Record<string, string> = {
  PB_VX_MERCHANT: '1000007777',
  PB_VX_SECRET: 'S3CR3T-VEXORA-XYZ',
  PB_SP_MCH: '105519990001',
  PB_SP_KEY: STARPAY_PEM,
  PB_YS_MERCHANT: '202777',
  PB_YS_STORE: '303777',
  PB_YS_TOKEN: 'S3CR3T-YUANSFER-T0KEN-5e1f',
  PB_SPG_APPID: 'spg-app-77123',
  PB_SPG_SECRET: 'S3CR3T-STARPAGO-APPSECRET-9c0d',
  PB_PS_PUBLIC: 'pstr-public-key-77a1',
  PB_PS_PRIVATE: 'S3CR3T-PAYSTAR-PRIVATE-KEY-3b7e',
};

const CREDENTIALS: Record<ProviderName, Record<string, string>> = {
  vexora: { merchantNo: 'env:PB_VX_MERCHANT', secret: 'env:PB_VX_SECRET' },
  starpay: { mchId: 'env:PB_SP_MCH', privateKey: 'env:PB_SP_KEY' },
  yuansfer: { merchantNo: 'env:PB_YS_MERCHANT', storeNo: 'env:PB_YS_STORE', token: 'env:PB_YS_TOKEN' },
  starpago: { appId: 'env:PB_SPG_APPID', appSecret: 'env:PB_SPG_SECRET' },
  paystar: { publicKey: 'env:PB_PS_PUBLIC', privateKey: 'env:PB_PS_PRIVATE' },
};

/** Every form a secret could leak in: the values, the PEM's Base64 body (per line and joined), the bearer JWT. */
const pemBody = STARPAY_PEM.split('\n').filter((l) => l && !l.startsWith('-----'));
const SECRETS: Record<string, string> = {
  'vexora secret': ENV.PB_VX_SECRET!,
  'yuansfer token': ENV.PB_YS_TOKEN!,
  'yuansfer md5(token)': crypto.createHash('md5').update(ENV.PB_YS_TOKEN!).digest('hex'),
  'starpago appSecret': ENV.PB_SPG_SECRET!,
  'paystar privateKey': ENV.PB_PS_PRIVATE!,
  'paystar bearer JWT': paystarJwt(ENV.PB_PS_PUBLIC!, ENV.PB_PS_PRIVATE!),
  'paystar JWT signature': paystarJwt(ENV.PB_PS_PUBLIC!, ENV.PB_PS_PRIVATE!).split('.')[2]!,
  'starpay key (Base64 body)': pemBody.join(''),
  ...Object.fromEntries(pemBody.filter((l) => l.length >= 16).map((l, i) => [`starpay key line ${i + 1}`, l])),
};

let dir: string;
let work: string;
let cfg: string;
const sandboxes = {} as Record<ProviderName, SandboxProcess>;
/** Everything paybatch printed, per command. */
const outputs: { command: string; result: CliResult }[] = [];
/** Full account / card / CLABE numbers used in the sheets. */
const accounts: string[] = [];
const batches: Record<string, { id: string; state: string; counts: Record<string, number>; reports: Record<string, string | null> }> = {};

async function cli(args: string[]): Promise<CliResult> {
  const result = await runCli(args, { env: ENV, timeoutMs: 90_000 });
  outputs.push({ command: args.join(' '), result });
  return result;
}

let umask: number;

beforeAll(async () => {
  // The most permissive umask: files must be private because paybatch makes them so, not by luck.
  umask = process.umask(0o000);
  Object.assign(process.env, ENV); // the sandbox processes inherit it, as a deployment's would
  dir = tempDir('paybatch-secrets-');
  work = path.join(dir, 'work');
  const sandboxCfg = writeJson(path.join(dir, 'sandboxes.json'), {
    providers: Object.fromEntries(PROVIDERS.map((p) => [p, { ...CREDENTIALS[p], sandbox: { settleAfterSeconds: 0.3 } }])),
  });
  const started = await Promise.all(PROVIDERS.map((p) => startSandboxProcess(p, sandboxCfg)));
  PROVIDERS.forEach((p, i) => (sandboxes[p] = started[i]!));
  const targets = Object.fromEntries(PROVIDERS.map((p) => [p, { url: sandboxes[p].url, block: CREDENTIALS[p] }]));
  const config = paybatchConfig(work, targets, { logging: { level: 'debug' } });
  // Credentials only as env: references; of the built-in ones paybatchConfig adds, only the public ones stay
  // (Vexora's country, Starpay's platform public key); PayStar's ready-made token goes.
  for (const p of PROVIDERS) {
    const block = (config.providers as Record<string, Record<string, unknown>>)[p]!;
    for (const key of ['merchantNo', 'secret', 'mchId', 'privateKey', 'storeNo', 'token', 'appId', 'appSecret', 'publicKey'])
      if (!(key in CREDENTIALS[p])) delete block[key];
  }
  cfg = writeJson(path.join(dir, 'config.json'), config);

  for (const p of PROVIDERS) {
    const sheet = providerSheet(p, [
      { ref: refFor(p, 'SEC', 1), ending: '1111' },
      { ref: refFor(p, 'SEC', 2), ending: '0002' },
      { ref: refFor(p, 'SEC', 3), ending: '1111' },
    ]);
    accounts.push(...accountNumbersOf(p, sheet));
    // Faults put more paths in the logs: an answer lost after the payout was created, a rate limit.
    await sandboxes[p].faults([
      { kind: 'error-after', onCreate: true, times: 1 },
      { kind: 'rate-limit', onCreate: false, times: 1, retryAfterSeconds: 0.2 },
    ]);
    const file = path.join(dir, `${p}-payouts.csv`);
    fs.writeFileSync(file, sheet);
    const paid = await cli(['run', file, '--provider', p, '--config', cfg, '--json']);
    batches[p] = JSON.parse(paid.stdout).batches[0];
    // The same again without --json (human output, warnings on stderr): reported, not paid again.
    await cli(['run', file, '--provider', p, '--config', cfg]);
    // A sheet with an invalid row (its account number in full), rejected whole.
    const bad = sheet.trim().split('\n');
    bad[2] = bad[2]!.replace(/,(\d+(?:\.\d+)?),/, ',12x.5,');
    const badFile = path.join(dir, `${p}-invalid.csv`);
    fs.writeFileSync(badFile, bad.join('\n') + '\n');
    const rejected = await cli(['run', badFile, '--provider', p, '--config', cfg, '--json']);
    batches[`${p}-invalid`] = JSON.parse(rejected.stdout).batches[0];
  }
  for (const b of Object.values(batches)) if (b.id) await cli(['report', b.id, '--config', cfg, '--json']);
  await cli(['status', '--config', cfg, '--json']);
  await cli(['status', '--config', cfg]);
}, 240_000);

afterAll(async () => {
  process.umask(umask);
  await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
});

function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** What a reader of the file sees: text, or for an XLSX the XML inside. */
function readable(file: string): string {
  const bytes = fs.readFileSync(file);
  return file.endsWith('.xlsx') ? xlsxText(bytes) : bytes.toString('utf8');
}

function leaks(text: string, where: string, values: Record<string, string>): string[] {
  return Object.entries(values)
    .filter(([, v]) => text.includes(v))
    .map(([name]) => `${name} in ${where}`);
}

describe('promise 9: secrets and personal data stay put', () => {
  it('every provider ran a full batch (with a failing row) and a rejected sheet with env: credentials', () => {
    for (const p of PROVIDERS) {
      expect(batches[p], p).toMatchObject({ state: 'completed' });
      expect(batches[p]!.counts).toMatchObject({ succeeded: 2, failed: 1 });
      expect(batches[`${p}-invalid`], p).toMatchObject({ state: 'rejected' });
      expect(batches[`${p}-invalid`]!.counts.invalid).toBeGreaterThan(0);
    }
    for (const { command, result } of outputs) expect(result.stderr, command).not.toMatch(/unexpected error/);
  });

  it('no secret appears in any log line, report, errors file, stdout/stderr or --json output', () => {
    const found: string[] = [];
    const scanned: string[] = [];
    for (const file of [...filesUnder(path.join(work, 'logs')), ...filesUnder(path.join(work, 'reports')), ...filesUnder(path.join(work, 'rejected')).filter((f) => f.endsWith('.errors.csv'))]) {
      scanned.push(path.relative(work, file));
      found.push(...leaks(readable(file), path.relative(work, file), SECRETS));
    }
    for (const { command, result } of outputs) {
      found.push(...leaks(result.stdout, `stdout of ${command}`, SECRETS), ...leaks(result.stderr, `stderr of ${command}`, SECRETS));
      if (/\bBearer\s+[\w.-]{16,}/.test(result.stdout + result.stderr)) found.push(`a bearer token in the output of ${command}`);
    }
    const logs = filesUnder(path.join(work, 'logs')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    if (/\bBearer\s+[\w.-]{16,}/.test(logs)) found.push('a bearer token in the logs');
    expect(scanned.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(0);
    expect(scanned.filter((f) => f.endsWith('.xlsx')).length).toBeGreaterThanOrEqual(10); // results + reconciliation per paid batch
    expect(scanned.filter((f) => f.endsWith('errors.csv')).length).toBeGreaterThanOrEqual(10);
    expect(logs.split('\n').length).toBeGreaterThan(50); // debug level: plenty to leak through
    expect(found).toEqual([]);
  });

  it('no full account, card or CLABE number appears in the logs', () => {
    const logs = filesUnder(path.join(work, 'logs')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(accounts.length).toBe(15);
    const found = accounts.filter((a) => logs.includes(a));
    expect(found).toEqual([]);
  });

  it('reports mask account and card numbers by default (last 4 digits)', () => {
    const found: string[] = [];
    for (const file of [...filesUnder(path.join(work, 'reports')), ...filesUnder(path.join(work, 'rejected')).filter((f) => f.endsWith('.errors.csv'))]) {
      const text = readable(file);
      for (const a of accounts) if (text.includes(a)) found.push(`${a} in ${path.relative(work, file)}`);
    }
    expect(found).toEqual([]);
  });

  it('reports, errors files, logs and the journal are readable by their owner only', () => {
    const files = [
      ...filesUnder(path.join(work, 'reports')),
      ...filesUnder(path.join(work, 'rejected')).filter((f) => f.endsWith('.errors.csv')),
      ...filesUnder(path.join(work, 'logs')),
      ...fs.readdirSync(work).filter((f) => f.startsWith('journal.sqlite')).map((f) => path.join(work, f)),
    ];
    expect(files.some((f) => f.endsWith('journal.sqlite'))).toBe(true);
    const open = files.filter((f) => (fs.statSync(f).mode & 0o077) !== 0).map((f) => `${path.relative(work, f)} ${(fs.statSync(f).mode & 0o777).toString(8)}`);
    expect(open).toEqual([]);
  });
});
