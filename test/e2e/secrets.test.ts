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
import { moduleOf } from '../helpers/providers.ts';

/** A fresh, distinctive value for a secret credential: a new RSA key where the built-in one is a PEM key. */
function freshSecret(id: string, key: string, builtIn: string): string {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(builtIn)) return `S3CR3T-${id}-${key}-${crypto.randomBytes(6).toString('hex')}`;
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
}

/** Environment: every provider's secret credentials as distinctive values, referenced from both configs as env:NAME. */
const ENV: Record<string, string> = {};
/** Per provider, its secret credentials as env: references (the public ones stay the built-in values). */
const CREDENTIALS: Record<string, Record<string, string>> = {};
/** Every form a secret could leak in: the value, its MD5 and SHA-256 (signing strings hash secrets), a PEM's Base64 body. */
const SECRETS: Record<string, string> = {};
for (const p of PROVIDERS) {
  CREDENTIALS[p] = {};
  for (const c of moduleOf(p).credentials) {
    if (!c.secret) continue;
    const name = `PB_${p}_${c.key}`.toUpperCase();
    const value = freshSecret(p, c.key, c.sandboxValue);
    ENV[name] = value;
    CREDENTIALS[p]![c.key] = `env:${name}`;
    SECRETS[`${p} ${c.key}`] = value;
    SECRETS[`${p} md5(${c.key})`] = crypto.createHash('md5').update(value).digest('hex');
    SECRETS[`${p} sha256(${c.key})`] = crypto.createHash('sha256').update(value).digest('hex');
    const pemBody = value.includes('-----BEGIN') ? value.split('\n').filter((l) => l && !l.startsWith('-----')) : [];
    if (pemBody.length) SECRETS[`${p} ${c.key} (Base64 body)`] = pemBody.join('');
    pemBody.filter((l) => l.length >= 16).forEach((l, i) => (SECRETS[`${p} ${c.key} line ${i + 1}`] = l));
  }
}
/** A bearer token or a JWT (e.g. one signed with a secret key) anywhere in what paybatch wrote. */
const TOKEN_SHAPES = [/\bBearer\s+[\w.-]{16,}/, /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/];

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
  // Secret credentials only as env: references; of the built-in ones paybatchConfig adds, the public ones stay.
  const config = paybatchConfig(work, targets, { logging: { level: 'debug' } });
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
      if (TOKEN_SHAPES.some((t) => t.test(result.stdout + result.stderr))) found.push(`a bearer token or JWT in the output of ${command}`);
    }
    const logs = filesUnder(path.join(work, 'logs')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    if (TOKEN_SHAPES.some((t) => t.test(logs))) found.push('a bearer token or JWT in the logs');
    expect(scanned.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(0);
    expect(scanned.filter((f) => f.endsWith('.xlsx')).length).toBeGreaterThanOrEqual(2 * PROVIDERS.length); // results + reconciliation per paid batch
    expect(scanned.filter((f) => f.endsWith('errors.csv')).length).toBeGreaterThanOrEqual(2 * PROVIDERS.length);
    expect(logs.split('\n').length).toBeGreaterThan(50); // debug level: plenty to leak through
    expect(found).toEqual([]);
  });

  it('no full account, card or CLABE number appears in the logs', () => {
    const logs = filesUnder(path.join(work, 'logs')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(accounts.length).toBe(3 * PROVIDERS.length);
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
