// Throughput benchmark (issue 12, measure first): does `paybatch run` use all of a provider's rate limit, and
// nothing more?
//
// The provider is a sandbox in its own process (bench/sandbox-host.ts: the provider module's own sandbox, as
// `paybatch sandbox` starts it, plus request recording), enforcing `--rate` requests/s with one second of
// burst (src/sandbox/rate-limit.ts) and settling payouts `--settle` seconds after create, so a first query
// `poll.firstAfterSeconds` (= `--first-after`) after the create finds most payouts final.
//
// For each provider (Vexora: MD5 signing; Starpay: RSA signing, at a smaller size) three phases, each against a
// fresh sandbox:
//   baseline  bench/paced-client.ts in a child process: the provider's real adapter, paced, no journal, one
//             create then queries per payout. Its rate while work is queued is the baseline.
//   paybatch  the real CLI, `paybatch run <sheet> --config <cfg> --json`, on a generated N-row sheet at
//             rate.perSecond = the limit: wall time, rate while work is queued (sandbox side), share of the limit,
//             refused requests (429 / Starpay 406), queries per payout, wall ÷ the rate-limited minimum
//             (2 × rows ÷ rate).
//   restart   the same `run`, SIGKILLed once K creates have reached the sandbox, then `paybatch run-once` on
//             that work folder: time from its process start to its first request at the sandbox, and whether
//             any payout was created (or its create sent) twice. The baseline of the restart figure is the
//             paced client's own process start → first request.
//
// "While work is queued": 100 ms intervals during which paybatch had something it could send: a row not yet
// created (before the last create), or a created row whose first query was due (create + firstAfter) and whose
// last query had not yet been sent. The share of the limit is the requests let through in those intervals ÷
// their length ÷ the limit.
//
//   npm run bench -- --only throughput                       defaults: Vexora 20,000 rows (baseline 10,000),
//                                                            Starpay 2,000; 3 min on a quiet machine, 7–11 loaded
//   node --import tsx bench/throughput.ts --providers vexora --skip restart --rows 100000   goal 2's size (4–7 min)
//   node --import tsx bench/throughput.ts --providers vexora --skip baseline,paybatch --restart-rows 100000 \
//        --kill-at 0.03 --restart-observe 10                 goal 3's size: kill at 3,000 creates, watch run-once 10 s
//   node --import tsx bench/throughput.ts --providers vexora --skip baseline,restart --profile /tmp/prof
//                                                            CPU profiles of run (and run-once), summarised by area
//   node --import tsx bench/throughput.ts --tmp /dev/shm ...   journal on tmpfs: what the run would be without fsync waits
// Other flags: --rate, --concurrency / --starpay-concurrency, --settle, --first-after, --baseline-rows,
// --starpay-rows, --out FILE; BENCH_KEEP=1 keeps the temp folders.
// Writes bench/results/throughput.json (or --out FILE).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ensureSheet, sheetPath } from './generate.ts';
import { summariseProfile, type AreaSummary } from './profile-areas.ts';
import { SANDBOX_MCH_ID, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PUBLIC_KEY } from '../src/providers/starpay/sandbox.ts';
import { VEXORA_SANDBOX_MERCHANT_NO, VEXORA_SANDBOX_SECRET } from '../src/providers/vexora/sandbox.ts';
import { machine } from './machine.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'bin', 'paybatch.js');
const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (x: number, d = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

export type ProviderName = 'vexora' | 'starpay';
export type PhaseName = 'baseline' | 'paybatch' | 'restart';

export interface ThroughputOptions {
  providers: ProviderName[];
  skip: PhaseName[];
  /** Requests/s the sandbox allows (burst: one second of it) and paybatch is configured with. */
  rate: number;
  rows: Record<ProviderName, number>;
  baselineRows: Record<ProviderName, number>;
  restartRows: Record<ProviderName, number>;
  /** The restart phase kills `run` once this share of its rows has been created. */
  killAtShare: number;
  concurrency: Record<ProviderName, number>;
  settleSeconds: number;
  firstAfterSeconds: number;
  maxIntervalSeconds: number;
  /** Stop run-once (SIGKILL) this many seconds after its first request instead of letting it finish: the
   *  start-up figure is the same, the resend check then covers only what it did until then. */
  restartObserveSeconds?: number;
  /** Where each phase's temp folder (work folder, journal, config) goes: `--tmp /dev/shm` puts the journal on
   *  tmpfs, where a synced commit costs no disk wait (an experiment: how much of the gap is fsync). */
  tmpRoot?: string;
  /** Adds `--cpu-prof --cpu-prof-dir DIR/<phase>-<time>` to the paybatch `run` and the restart's `run-once`. */
  profileDir?: string;
  log: (s: string) => void;
}

export const defaultOptions = (): ThroughputOptions => ({
  providers: ['vexora', 'starpay'],
  skip: [],
  rate: 1000,
  rows: { vexora: 20_000, starpay: 2_000 },
  baselineRows: { vexora: 10_000, starpay: 2_000 },
  restartRows: { vexora: 20_000, starpay: 2_000 },
  killAtShare: 0.25,
  concurrency: { vexora: 64, starpay: 32 },
  settleSeconds: 0.5,
  firstAfterSeconds: 1,
  maxIntervalSeconds: 5,
  log: (s) => process.stderr.write(s + '\n'),
});

// ---- machine ------------------------------------------------------------------------------------------

/** Whole-machine CPU jiffies (all cores): busy = everything but idle and iowait. */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
const cpuShare = (a: { busy: number; total: number }, b: { busy: number; total: number }) =>
  b.total > a.total ? round((b.busy - a.busy) / (b.total - a.total), 3) : null;

/**
 * Milliseconds per synced SQLite commit (WAL, synchronous=FULL, one small insert per transaction) in `dir`,
 * median of `n`: the disk's fsync latency right now, which other processes on the machine change.
 */
export function commitProbe(dir: string, n = 200): number {
  const file = path.join(dir, 'commit-probe.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const one = db.transaction((v: string) => insert.run(v));
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      one('x'.repeat(200));
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return round(ms[Math.floor(n / 2)]!, 3);
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
}

// ---- child processes ----------------------------------------------------------------------------------

interface ChildRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  spawnedAt: number;
  exitedAt: number;
  seconds: number;
  /** user + system CPU of the child, from /proc/<pid>/stat sampled every 200 ms (the last ≤ 200 ms are missed). */
  cpuSeconds: number | null;
  /** Peak resident set (VmHWM) as last sampled, MB. */
  peakRssMB: number | null;
  timedOut: boolean;
}

const TICK = 100; // USER_HZ on Linux

function procSample(pid: number): { cpu: number; hwmMB: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / TICK;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu, hwmMB: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return undefined;
  }
}

interface Running {
  child: ChildProcess;
  spawnedAt: number;
  done: Promise<ChildRun>;
}

function start(args: string[], options: { nodeArgs?: string[]; timeoutMs: number }): Running {
  const spawnedAt = clock();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let last: { cpu: number; hwmMB: number } | undefined;
  let timedOut = false;
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const sampler = setInterval(() => {
    const s = child.pid ? procSample(child.pid) : undefined;
    if (s) last = s;
  }, 200);
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(timer);
      const exitedAt = clock();
      resolve({
        code, signal, stdout, stderr, spawnedAt, exitedAt, seconds: (exitedAt - spawnedAt) / 1000,
        cpuSeconds: last ? round(last.cpu, 2) : null, peakRssMB: last ? Math.round(last.hwmMB) : null, timedOut,
      });
    });
  });
  return { child, spawnedAt, done };
}

// ---- the instrumented sandbox -------------------------------------------------------------------------

interface Snapshot {
  requests: { times: Float64Array; kinds: Uint8Array; passed: Uint8Array };
  refs: {
    createsPassed: Uint16Array;
    createsRefused: Uint16Array;
    queries: Uint16Array;
    queriesRefused: Uint16Array;
    firstCreateAt: Float64Array;
    lastQueryAt: Float64Array;
  };
  sandbox: Record<string, unknown>;
  cpuSeconds: number;
}

interface Host {
  url: string;
  pid: number;
  send(msg: object): void;
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  snapshot(): Promise<Snapshot>;
  stop(): Promise<void>;
}

async function startHost(provider: ProviderName, rate: number, settleSeconds: number): Promise<Host> {
  const child = fork(path.join(here, 'sandbox-host.ts'), ['--provider', provider, '--rate', String(rate), '--burst', String(rate), '--settle', String(settleSeconds)], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.setMaxListeners(100);
  const waiting = new Map<string, ((m: Record<string, unknown>) => void)[]>();
  const early = new Map<string, Record<string, unknown>[]>();
  child.on('message', (m: Record<string, unknown>) => {
    const type = String(m.type);
    const list = waiting.get(type);
    if (list?.length) list.shift()!(m);
    else early.set(type, [...(early.get(type) ?? []), m]);
  });
  const next = <T>(type: string, timeoutMs = 600_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const queued = early.get(type);
      if (queued?.length) return resolve(queued.shift() as T);
      const timer = setTimeout(() => reject(new Error(`sandbox host: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      const list = waiting.get(type) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      waiting.set(type, list);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sandbox host exited (${code}) while waiting for ${type}`));
      });
    });
  const ready = await next<{ url: string; pid: number }>('ready', 60_000);
  return {
    url: ready.url,
    pid: ready.pid,
    send: (msg) => child.send(msg),
    next,
    async snapshot() {
      child.send({ type: 'snapshot' });
      return next<Snapshot>('snapshot', 60_000);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ type: 'stop' });
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ---- analysis of what the sandbox saw -----------------------------------------------------------------

export interface SandboxFigures {
  requests: number;
  passed: number;
  /** Requests the token bucket refused (429 for Vexora, 406 in the envelope for Starpay). */
  refused: number;
  byKind: { create: number; query: number; other: number };
  refusedByKind: { create: number; query: number; other: number };
  firstRequestAt: number;
  lastRequestAt: number;
  lastCreateAt: number;
  spanSeconds: number;
  /** Requests let through ÷ (last request − first request). */
  spanRatePerSecond: number;
  /** Seconds (100 ms intervals) during which work was queued, and the rate let through in them. */
  queuedSeconds: number;
  queuedRatePerSecond: number;
  /** queuedRatePerSecond ÷ the limit. */
  shareOfLimit: number;
  /** Of the queued seconds, the share of 1-second windows at ≥ 95 % of the limit. */
  queuedSecondsAt95: number;
  maxInAnySecond: number;
  /** Let-through requests per whole second from the first request. */
  perSecond: number[];
  refusedPerSecond: number[];
  payouts: number;
  queriesPerPayout: { mean: number; max: number; histogram: Record<string, number> };
  /** References whose create got through the bucket more than once (a resend), and the most for one. */
  createsSentTwice: number;
  maxCreatesPerReference: number;
  sandboxCpuSeconds: number;
  sandboxStats: Record<string, unknown>;
}

function analyse(s: Snapshot, rate: number, firstAfterMs: number): SandboxFigures {
  const { times, kinds, passed } = s.requests;
  const idx: number[] = [];
  for (let i = 0; i < times.length; i++) if (passed[i] !== 2) idx.push(i);
  const byKind = { create: 0, query: 0, other: 0 };
  const refusedByKind = { create: 0, query: 0, other: 0 };
  const names = ['create', 'query', 'other'] as const;
  let first = Infinity;
  let last = -Infinity;
  let lastCreate = -Infinity;
  let ok = 0;
  for (const i of idx) {
    const t = times[i]!;
    const k = names[kinds[i]!]!;
    first = Math.min(first, t);
    last = Math.max(last, t);
    if (passed[i] === 1) {
      ok++;
      byKind[k]++;
      if (k === 'create') lastCreate = Math.max(lastCreate, t);
    } else refusedByKind[k]++;
  }
  const BIN = 100;
  const nb = Math.max(1, Math.ceil((last - first) / BIN) + 1);
  const okBins = new Float64Array(nb);
  const refusedBins = new Float64Array(nb);
  for (const i of idx) {
    const b = Math.floor((times[i]! - first) / BIN);
    if (passed[i] === 1) okBins[b]++;
    else refusedBins[b]++;
  }
  // Due intervals: [first create + firstAfter, last query) per payout, as +1/−1 at bin boundaries.
  const diff = new Float64Array(nb + 1);
  const r = s.refs;
  let payouts = 0;
  let queriesTotal = 0;
  let queriesMax = 0;
  const histogram: Record<string, number> = {};
  let createsSentTwice = 0;
  let maxCreates = 0;
  for (let j = 0; j < r.createsPassed.length; j++) {
    const creates = r.createsPassed[j]!;
    maxCreates = Math.max(maxCreates, creates);
    if (creates > 1) createsSentTwice++;
    if (creates === 0) continue;
    payouts++;
    const q = r.queries[j]!;
    queriesTotal += q;
    queriesMax = Math.max(queriesMax, q);
    const key = q >= 4 ? '4+' : String(q);
    histogram[key] = (histogram[key] ?? 0) + 1;
    const dueFrom = r.firstCreateAt[j]! + firstAfterMs;
    const dueTo = r.lastQueryAt[j]!;
    if (dueTo > dueFrom) {
      diff[Math.max(0, Math.min(nb, Math.floor((dueFrom - first) / BIN)))]++;
      diff[Math.max(0, Math.min(nb, Math.floor((dueTo - first) / BIN)))]--;
    }
  }
  let running = 0;
  let queuedBins = 0;
  let queuedOk = 0;
  const queuedFlags = new Uint8Array(nb);
  for (let b = 0; b < nb; b++) {
    running += diff[b]!;
    const binStart = first + b * BIN;
    if (binStart < lastCreate || running > 0) {
      queuedFlags[b] = 1;
      const len = Math.min(BIN, Math.max(1, last - binStart)) / BIN;
      queuedBins += len;
      queuedOk += okBins[b]!;
    }
  }
  const queuedSeconds = (queuedBins * BIN) / 1000;
  const queuedRate = queuedSeconds > 0 ? queuedOk / queuedSeconds : 0;
  const perSecond: number[] = [];
  const refusedPerSecond: number[] = [];
  let windowsQueued = 0;
  let windowsAt95 = 0;
  for (let b = 0; b < nb; b += 10) {
    let okSum = 0;
    let refSum = 0;
    let allQueued = true;
    for (let k = b; k < Math.min(nb, b + 10); k++) {
      okSum += okBins[k]!;
      refSum += refusedBins[k]!;
      if (!queuedFlags[k]) allQueued = false;
    }
    perSecond.push(okSum);
    refusedPerSecond.push(refSum);
    if (allQueued && b + 10 <= nb) {
      windowsQueued++;
      if (okSum >= 0.95 * rate) windowsAt95++;
    }
  }
  // Most let through in any sliding 1-second window (the bucket allows rate + burst).
  const okTimes = idx.filter((i) => passed[i] === 1).map((i) => times[i]!).sort((a, b) => a - b);
  let maxInAnySecond = 0;
  for (let i = 0, j = 0; i < okTimes.length; i++) {
    while (okTimes[i]! - okTimes[j]! >= 1000) j++;
    maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
  }
  const span = (last - first) / 1000;
  return {
    requests: idx.length,
    passed: ok,
    refused: idx.length - ok,
    byKind,
    refusedByKind,
    firstRequestAt: first,
    lastRequestAt: last,
    lastCreateAt: lastCreate,
    spanSeconds: round(span),
    spanRatePerSecond: round(span > 0 ? ok / span : 0, 1),
    queuedSeconds: round(queuedSeconds, 2),
    queuedRatePerSecond: round(queuedRate, 1),
    shareOfLimit: round(queuedRate / rate, 4),
    queuedSecondsAt95: windowsQueued ? round(windowsAt95 / windowsQueued, 3) : 0,
    maxInAnySecond,
    perSecond,
    refusedPerSecond,
    payouts,
    queriesPerPayout: { mean: round(payouts ? queriesTotal / payouts : 0, 3), max: queriesMax, histogram },
    createsSentTwice,
    maxCreatesPerReference: maxCreates,
    sandboxCpuSeconds: round(s.cpuSeconds, 2),
    sandboxStats: s.sandbox,
  };
}

// ---- sheets and configuration -------------------------------------------------------------------------

const STARPAY_HEADER = 'method,amount,currency,account_number,account_name,bank_name,note';
const STARPAY_BANKS = ['BDO Unibank, Inc.', 'Bank of the Philippine Islands', 'GCash', 'Land Bank of the Philippines'];

/** A valid Starpay InstaPay sheet (account numbers end in 1: no sandbox outcome rule applies). */
function ensureStarpaySheet(rows: number): string {
  const file = path.join(os.tmpdir(), 'paybatch-bench', `starpay-ph-${rows}.csv`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = [STARPAY_HEADER];
  for (let i = 0; i < rows; i++) {
    const bank = STARPAY_BANKS[i % STARPAY_BANKS.length]!;
    lines.push(`instapay,100.00,PHP,30511${String(i).padStart(8, '0')}1,Ana Lim ${i},"${bank}",November payroll`);
  }
  const tmp = `${file}.${process.pid}.part`;
  fs.writeFileSync(tmp, lines.join('\n') + '\n');
  fs.renameSync(tmp, file);
  return file;
}

async function sheetFor(provider: ProviderName, rows: number): Promise<string> {
  if (provider === 'vexora') return (await ensureSheet(sheetPath(rows), rows)).file;
  return ensureStarpaySheet(rows);
}

function providerBlock(provider: ProviderName, url: string, o: ThroughputOptions): Record<string, unknown> {
  const common = {
    baseUrl: url,
    // A row killed between its `submitting` commit and its request is "not found" at the provider; Vexora rows
    // then wait out notFoundWindowSeconds (at least timeoutSeconds) before needs_review. Shortened so the
    // restart phase does not wait the default 300 s for them.
    timeoutSeconds: 10,
    notFoundWindowSeconds: 5,
    rate: { perSecond: o.rate, concurrency: o.concurrency[provider] },
    poll: { firstAfterSeconds: o.firstAfterSeconds, maxIntervalSeconds: o.maxIntervalSeconds, deadlineHours: 1 },
  };
  // A callbackUrl is required off the embedded sandbox (Vexora needs notifyUrl); the bench sandbox sends no
  // callbacks (settings.callbacks false), so nothing listens there.
  const callbackUrl = 'http://127.0.0.1:9/callbacks/' + provider;
  if (provider === 'vexora') return { ...common, callbackUrl, merchantNo: VEXORA_SANDBOX_MERCHANT_NO, secret: VEXORA_SANDBOX_SECRET, country: 'AR' };
  return { ...common, callbackUrl, mchId: SANDBOX_MCH_ID, privateKey: TEST_MERCHANT_PRIVATE_KEY, platformPublicKey: TEST_PLATFORM_PUBLIC_KEY };
}

function writeConfig(dir: string, provider: ProviderName, url: string, o: ThroughputOptions): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        work: path.join(dir, 'work'),
        provider,
        // Bench sheets are sized for the run, not for production limits; the balance is the sandbox's.
        balanceCheck: false,
        // The generated sheets have no reference column: references come from the batch and row.
        references: 'derived',
        // Late-reversal re-queries (Starpay) would be extra requests after the batch: not part of this run.
        reversalWindowHours: 0,
        runOnce: { waitSeconds: 600 },
        providers: { [provider]: providerBlock(provider, url, o) },
      },
      null,
      2,
    ),
  );
  return file;
}

function journalCounts(workDir: string): { attemptsQueryPerPayout: { mean: number; max: number } | null; recoveredInFlight: number | null } {
  const file = path.join(workDir, 'journal.sqlite');
  if (!fs.existsSync(file)) return { attemptsQueryPerPayout: null, recoveredInFlight: null };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const q = db
      .prepare(`SELECT AVG(n) mean, MAX(n) max FROM (SELECT payout_id, SUM(kind = 'query') n FROM attempts GROUP BY payout_id)`)
      .get() as { mean: number | null; max: number | null };
    const rec = db.prepare(`SELECT COUNT(*) n FROM events WHERE type = 'recovered-in-flight'`).get() as { n: number };
    return { attemptsQueryPerPayout: q.mean === null ? null : { mean: round(q.mean, 3), max: q.max ?? 0 }, recoveredInFlight: rec.n };
  } finally {
    db.close();
  }
}

/** Milestones of one process from its JSON log lines (epoch ms), to split its start-up. */
function logMilestones(workDir: string, pid: number | undefined, after: number): Record<string, number> {
  const dir = path.join(workDir, 'logs');
  const out: Record<string, number> = {};
  if (!fs.existsSync(dir)) return out;
  let started = false;
  for (const f of fs.readdirSync(dir).sort()) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as { message?: string; timestamp?: string; pid?: number };
        const at = Date.parse(e.timestamp ?? '');
        if (!(at >= after - 1000)) continue;
        if (e.message === 'command started') started = e.pid === pid || pid === undefined;
        if (!started) continue;
        const key = String(e.message).slice(0, 60);
        if (!(key in out)) out[key] = at;
      } catch {
        // not a JSON line
      }
    }
  }
  return out;
}

function batchOf(run: ChildRun): { state?: string; rows?: number; counts?: Record<string, number> } | null {
  try {
    return (JSON.parse(run.stdout) as { batches: { state: string; rows: number; counts: Record<string, number> }[] }).batches[0] ?? null;
  } catch {
    return null;
  }
}

const minimumSeconds = (rows: number, rate: number) => (2 * rows) / rate;

// ---- phases -------------------------------------------------------------------------------------------

/** `--cpu-prof` into its own folder per process, so the main thread's profile is the one of thread id 0. */
function profileArgs(o: ThroughputOptions, name: string): { nodeArgs: string[]; collect(): { file: string; summary: AreaSummary }[] } {
  if (!o.profileDir) return { nodeArgs: [], collect: () => [] };
  const dir = path.join(o.profileDir, `${name}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    collect: () =>
      fs
        .readdirSync(dir)
        .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
        .map((f) => ({ file: path.join(dir, f), summary: summariseProfile(path.join(dir, f), 15) })),
  };
}

export interface BaselinePhase {
  rows: number;
  client: Record<string, unknown> | null;
  wallSeconds: number;
  cpuSeconds: number | null;
  cpuMsPerRequest: number | null;
  /** Process start → first request at the sandbox (node + tsx + adapter), seconds. */
  startToFirstRequestSeconds: number;
  wallOverMinimum: number;
  machineCpuBusy: number | null;
  sandbox: SandboxFigures;
}

async function baselinePhase(provider: ProviderName, o: ThroughputOptions, dir: string): Promise<BaselinePhase> {
  const rows = o.baselineRows[provider];
  const host = await startHost(provider, o.rate, o.settleSeconds);
  try {
    const config = writeConfig(dir, provider, host.url, o);
    host.send({ type: 'mark' });
    await host.next('marked');
    const m0 = machineCpu();
    const run = start(
      ['--import', 'tsx', path.join(here, 'paced-client.ts'), '--config', config, '--provider', provider, '--rows', String(rows), '--rate', String(o.rate),
        '--concurrency', String(o.concurrency[provider]), '--first-after', String(o.firstAfterSeconds), '--max-interval', String(o.maxIntervalSeconds)],
      { timeoutMs: Math.max(120_000, 10 * minimumSeconds(rows, o.rate) * 1000) },
    );
    const first = await Promise.race([
      host.next<{ at: number }>('firstRequest', 120_000),
      run.done.then((r) => {
        throw new Error(`paced client exited ${r.code} before its first request: ${r.stderr.slice(-2000)}`);
      }),
    ]);
    const done = await run.done;
    const m1 = machineCpu();
    if (done.code !== 0) throw new Error(`paced client exited ${done.code}${done.timedOut ? ' (timed out)' : ''}: ${done.stderr.slice(-2000)}`);
    const client = JSON.parse(done.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    const sandbox = analyse(await host.snapshot(), o.rate, o.firstAfterSeconds * 1000);
    return {
      rows, client, wallSeconds: round(done.seconds, 2), cpuSeconds: done.cpuSeconds,
      cpuMsPerRequest: done.cpuSeconds === null ? null : round((1000 * done.cpuSeconds) / sandbox.requests, 3),
      startToFirstRequestSeconds: round((first.at - run.spawnedAt) / 1000),
      wallOverMinimum: round((client.seconds as number) / minimumSeconds(rows, o.rate)),
      machineCpuBusy: cpuShare(m0, m1), sandbox,
    };
  } finally {
    await host.stop();
  }
}

export interface PaybatchPhase {
  rows: number;
  exitCode: number | null;
  stderrTail: string;
  batch: unknown;
  wallSeconds: number;
  cpuSeconds: number | null;
  peakRssMB: number | null;
  minimumSeconds: number;
  wallOverMinimum: number;
  /** CPU of the paybatch process per request sent (fsync waits are not CPU). */
  cpuMsPerRequest: number | null;
  /** Spawn → first request (start-up, read, validate, journal), first → last request, last request → exit. */
  split: { toFirstRequest: number; requests: number; afterLastRequest: number };
  machineCpuBusy: number | null;
  journal: ReturnType<typeof journalCounts>;
  /** Main-thread CPU profiles (with --profile) and where their time went. */
  profile: { file: string; summary: AreaSummary }[];
  sandbox: SandboxFigures;
}

async function paybatchPhase(provider: ProviderName, o: ThroughputOptions, dir: string): Promise<PaybatchPhase> {
  const rows = o.rows[provider];
  const sheet = await sheetFor(provider, rows);
  const host = await startHost(provider, o.rate, o.settleSeconds);
  try {
    const config = writeConfig(dir, provider, host.url, o);
    // A copy inside the run's folder: `run` archives (copies) the sheet it was given.
    const file = path.join(dir, path.basename(sheet));
    fs.copyFileSync(sheet, file);
    const prof = profileArgs(o, `${provider}-run-${rows}`);
    const m0 = machineCpu();
    const run = start([cli, 'run', file, '--config', config, '--json'], { nodeArgs: prof.nodeArgs, timeoutMs: Math.max(300_000, 10 * minimumSeconds(rows, o.rate) * 1000) });
    const done = await run.done;
    const m1 = machineCpu();
    const batch = batchOf(done);
    if (!batch) throw new Error(`paybatch run printed no JSON (exit ${done.code}${done.timedOut ? ', timed out' : ''}): ${done.stdout.slice(0, 500)}\n${done.stderr.slice(-2000)}`);
    const sandbox = analyse(await host.snapshot(), o.rate, o.firstAfterSeconds * 1000);
    const min = minimumSeconds(rows, o.rate);
    const profile = prof.collect();
    return {
      rows, exitCode: done.code, stderrTail: done.code === 0 ? '' : done.stderr.slice(-1500), batch, wallSeconds: round(done.seconds, 2), cpuSeconds: done.cpuSeconds, peakRssMB: done.peakRssMB,
      minimumSeconds: min, wallOverMinimum: round(done.seconds / min),
      split: {
        toFirstRequest: round((sandbox.firstRequestAt - done.spawnedAt) / 1000, 2),
        requests: round((sandbox.lastRequestAt - sandbox.firstRequestAt) / 1000, 2),
        afterLastRequest: round((done.exitedAt - sandbox.lastRequestAt) / 1000, 2),
      },
      cpuMsPerRequest: done.cpuSeconds === null ? null : round((1000 * done.cpuSeconds) / sandbox.requests, 3),
      machineCpuBusy: cpuShare(m0, m1), journal: journalCounts(path.join(dir, 'work')), profile, sandbox,
    };
  } finally {
    await host.stop();
  }
}

export interface RestartPhase {
  rows: number;
  killAfterCreates: number;
  killed: { createsSeen: number; secondsAfterSpawn: number; exit: string };
  runOnce: { stoppedAfterSeconds: number | null; exitCode: number | null; stderrTail: string; batch: unknown; wallSeconds: number; cpuSeconds: number | null; timedOut: boolean };
  /** run-once process start → its first request at the sandbox, seconds. */
  startToFirstRequestSeconds: number;
  firstRequestKind: string;
  /** Start-up milestones of run-once from its log, seconds after spawn. */
  milestones: Record<string, number>;
  recoveredInFlight: number | null;
  profile: { file: string; summary: AreaSummary }[];
  createsSentTwice: number;
  createdTwice: number;
  sandbox: SandboxFigures;
}

async function restartPhase(provider: ProviderName, o: ThroughputOptions, dir: string): Promise<RestartPhase> {
  const rows = o.restartRows[provider];
  const killAfter = Math.max(1, Math.round(rows * o.killAtShare));
  const sheet = await sheetFor(provider, rows);
  const host = await startHost(provider, o.rate, o.settleSeconds);
  try {
    const config = writeConfig(dir, provider, host.url, o);
    const file = path.join(dir, path.basename(sheet));
    fs.copyFileSync(sheet, file);
    host.send({ type: 'watchCreates', count: killAfter });
    const first = start([cli, 'run', file, '--config', config, '--json'], { timeoutMs: Math.max(300_000, 10 * minimumSeconds(rows, o.rate) * 1000) });
    const reached = await Promise.race([
      host.next<{ at: number; creates: number }>('createsReached'),
      first.done.then((r) => {
        throw new Error(`paybatch run ended (exit ${r.code}) before ${killAfter} creates: ${r.stderr.slice(-1000)}`);
      }),
    ]);
    first.child.kill('SIGKILL');
    const killedRun = await first.done;
    host.send({ type: 'mark' });
    await host.next('marked');
    const work = path.join(dir, 'work');
    const prof = profileArgs(o, `${provider}-run-once-${rows}`);
    const second = start([cli, 'run-once', '--config', config, '--json'], { nodeArgs: prof.nodeArgs, timeoutMs: Math.max(300_000, 10 * minimumSeconds(rows, o.rate) * 1000) });
    const firstRequest = await Promise.race([
      host.next<{ at: number; kind: string }>('firstRequest'),
      second.done.then((r) => ({ at: NaN, kind: `none (run-once exited ${r.code})` })),
    ]);
    let stoppedEarly = false;
    if (o.restartObserveSeconds !== undefined) {
      const finished = await Promise.race([second.done.then(() => true), sleep(o.restartObserveSeconds * 1000).then(() => false)]);
      if (!finished) {
        stoppedEarly = true;
        second.child.kill('SIGKILL');
      }
    }
    const done = await second.done;
    const sandbox = analyse(await host.snapshot(), o.rate, o.firstAfterSeconds * 1000);
    const milestones = logMilestones(work, second.child.pid, second.spawnedAt);
    const j = journalCounts(work);
    return {
      rows,
      killAfterCreates: killAfter,
      killed: { createsSeen: reached.creates, secondsAfterSpawn: round((reached.at - first.spawnedAt) / 1000, 2), exit: killedRun.signal ?? String(killedRun.code) },
      runOnce: { stoppedAfterSeconds: stoppedEarly ? o.restartObserveSeconds! : null, exitCode: done.code, stderrTail: done.code === 0 ? '' : done.stderr.slice(-1500), batch: batchOf(done), wallSeconds: round(done.seconds, 2), cpuSeconds: done.cpuSeconds, timedOut: done.timedOut },
      startToFirstRequestSeconds: round((firstRequest.at - second.spawnedAt) / 1000),
      firstRequestKind: firstRequest.kind,
      milestones: Object.fromEntries(Object.entries(milestones).map(([k, at]) => [k, round((at - second.spawnedAt) / 1000)])),
      recoveredInFlight: j.recoveredInFlight,
      profile: prof.collect(),
      createsSentTwice: sandbox.createsSentTwice,
      createdTwice: Number(sandbox.sandboxStats.referencesCreatedMoreThanOnce ?? 0),
      sandbox,
    };
  } finally {
    await host.stop();
  }
}

// ---- goals --------------------------------------------------------------------------------------------

export interface Goal {
  provider: ProviderName;
  goal: string;
  figure: string;
  value: number | null;
  baseline: number | null;
  /** value ÷ baseline, both measured in this run. */
  ratio: number | null;
  target: string;
  /** null: reported, not judged (Starpay; or a size other than the goal's). */
  pass: boolean | null;
  note?: string;
}

/** What the machine was like when a phase ran (the machine is shared). */
export interface Conditions {
  conditions?: { loadAverageAtStart: number[]; syncedCommitMsAtStart: number; syncedCommitMsAtEnd: number };
}

export interface ProviderReport {
  provider: ProviderName;
  baseline?: BaselinePhase & Conditions;
  paybatch?: PaybatchPhase & Conditions;
  restart?: RestartPhase & Conditions;
  error?: string;
}

function goalsOf(r: ProviderReport, o: ThroughputOptions): Goal[] {
  const g: Goal[] = [];
  const judged = r.provider === 'vexora';
  const verdict = (ok: boolean) => (judged ? ok : null);
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b !== 0 ? round(a / b) : null);
  const p = r.paybatch;
  const b = r.baseline;
  if (p) {
    g.push({
      provider: r.provider, goal: '1', figure: 'share of the limit while work is queued', value: p.sandbox.shareOfLimit, baseline: b?.sandbox.shareOfLimit ?? null,
      ratio: ratio(p.sandbox.shareOfLimit, b?.sandbox.shareOfLimit), target: '>= 0.95', pass: verdict(p.sandbox.shareOfLimit >= 0.95),
      note: `${p.sandbox.queuedRatePerSecond}/s over ${p.sandbox.queuedSeconds} s queued; CPU per request ${p.cpuMsPerRequest} ms (baseline ${b?.cpuMsPerRequest ?? '-'} ms); machine busy ${p.machineCpuBusy}; synced commit ${p.conditions?.syncedCommitMsAtStart}→${p.conditions?.syncedCommitMsAtEnd} ms; load ${p.conditions?.loadAverageAtStart.join(' ')}`,
    });
    g.push({
      provider: r.provider, goal: '1', figure: r.provider === 'vexora' ? 'requests refused (429)' : 'requests refused (406)', value: p.sandbox.refused,
      baseline: b?.sandbox.refused ?? null, ratio: null, target: '= 0', pass: verdict(p.sandbox.refused === 0),
    });
    g.push({
      provider: r.provider, goal: '1', figure: 'queries per payout (mean; max in note)', value: p.sandbox.queriesPerPayout.mean, baseline: b?.sandbox.queriesPerPayout.mean ?? null,
      ratio: ratio(p.sandbox.queriesPerPayout.mean, b?.sandbox.queriesPerPayout.mean), target: '<= 2.5', pass: verdict(p.sandbox.queriesPerPayout.mean <= 2.5),
      note: `max ${p.sandbox.queriesPerPayout.max}, histogram ${JSON.stringify(p.sandbox.queriesPerPayout.histogram)}`,
    });
    const atSize = p.rows >= 100_000;
    g.push({
      provider: r.provider, goal: '2', figure: `wall ÷ rate-limited minimum (${p.rows} rows, min ${p.minimumSeconds} s)`, value: p.wallOverMinimum,
      baseline: b?.wallOverMinimum ?? null, ratio: ratio(p.wallOverMinimum, b?.wallOverMinimum), target: '<= 1.15',
      pass: judged && atSize ? p.wallOverMinimum <= 1.15 : null,
      note: `${p.wallSeconds} s wall; ${atSize ? '' : 'goal 2 is set at 100,000 rows (--rows 100000); '}split ${p.split.toFirstRequest} s to first request, ${p.split.requests} s of requests, ${p.split.afterLastRequest} s after`,
    });
  }
  const s = r.restart;
  if (s) {
    const atSize = s.rows >= 100_000;
    g.push({
      provider: r.provider, goal: '3', figure: `restart (run-once) to first request, s (${s.rows} rows, killed at ${s.killed.createsSeen} creates)`,
      value: s.startToFirstRequestSeconds, baseline: b?.startToFirstRequestSeconds ?? null, ratio: ratio(s.startToFirstRequestSeconds, b?.startToFirstRequestSeconds),
      target: '<= 2', pass: judged && atSize ? s.startToFirstRequestSeconds <= 2 : null,
      note: `${atSize ? '' : 'goal 3 is set at 100,000 rows (--restart-rows 100000); '}first request: ${s.firstRequestKind}; baseline = the paced client's process start → first request`,
    });
    g.push({
      provider: r.provider, goal: '3', figure: 'payouts whose create was sent twice / created twice', value: s.createsSentTwice + s.createdTwice, baseline: null, ratio: null,
      target: '= 0', pass: s.createsSentTwice + s.createdTwice === 0,
      note: `${s.createsSentTwice} sent twice, ${s.createdTwice} created twice; ${s.recoveredInFlight} recovered in flight; after run-once ${JSON.stringify((s.runOnce.batch as { counts?: unknown } | null)?.counts ?? null)}; ${s.runOnce.stoppedAfterSeconds === null ? `run-once exit ${s.runOnce.exitCode}` : `run-once stopped ${s.runOnce.stoppedAfterSeconds} s after its first request (checked until then)`}`,
    });
  }
  void o;
  return g;
}

export interface ThroughputReport {
  machine: ReturnType<typeof machine>;
  options: Omit<ThroughputOptions, 'log'>;
  providers: ProviderReport[];
  goals: Goal[];
  seconds: number;
}

export async function benchThroughput(options: Partial<ThroughputOptions> = {}): Promise<ThroughputReport> {
  const o: ThroughputOptions = { ...defaultOptions(), ...options };
  const m = machine();
  const t0 = performance.now();
  const reports: ProviderReport[] = [];
  for (const provider of o.providers) {
    const r: ProviderReport = { provider };
    reports.push(r);
    const phase = async <T>(name: PhaseName, fn: (dir: string) => Promise<T>): Promise<T | undefined> => {
      if (o.skip.includes(name)) return undefined;
      const dir = fs.mkdtempSync(path.join(o.tmpRoot ?? os.tmpdir(), `paybatch-bench-throughput-${provider}-${name}-`));
      try {
        const commitMs = commitProbe(dir);
        const loadAverage = os.loadavg().map((x) => round(x, 2));
        o.log(`throughput: ${provider} ${name} (load ${loadAverage.join(' ')}, synced commit ${commitMs} ms)`);
        const result = await fn(dir);
        return { ...result, conditions: { loadAverageAtStart: loadAverage, syncedCommitMsAtStart: commitMs, syncedCommitMsAtEnd: commitProbe(dir) } };
      } finally {
        if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
        else o.log(`  kept ${dir}`);
      }
    };
    try {
      r.baseline = await phase('baseline', (d) => baselinePhase(provider, o, d));
      if (r.baseline)
        o.log(`  baseline: ${r.baseline.sandbox.queuedRatePerSecond}/s while queued (${r.baseline.rows} payouts, ${r.baseline.wallSeconds} s, ${r.baseline.sandbox.refused} refused, ${r.baseline.sandbox.queriesPerPayout.mean} queries/payout)`);
      r.paybatch = await phase('paybatch', (d) => paybatchPhase(provider, o, d));
      if (r.paybatch)
        o.log(`  paybatch: ${r.paybatch.sandbox.queuedRatePerSecond}/s while queued, ${r.paybatch.wallSeconds} s wall (${r.paybatch.wallOverMinimum} × minimum), ${r.paybatch.sandbox.refused} refused, exit ${r.paybatch.exitCode}`);
      r.restart = await phase('restart', (d) => restartPhase(provider, o, d));
      if (r.restart)
        o.log(`  restart: first request ${r.restart.startToFirstRequestSeconds} s after run-once started (${r.restart.firstRequestKind}); sent twice ${r.restart.createsSentTwice}, created twice ${r.restart.createdTwice}`);
    } catch (err) {
      r.error = (err as Error).stack ?? String(err);
      o.log(`  ${provider} failed: ${r.error}`);
    }
  }
  const { log: _log, ...rest } = o;
  return { machine: m, options: rest, providers: reports, goals: reports.flatMap((r) => goalsOf(r, o)), seconds: round((performance.now() - t0) / 1000, 1) };
}

// ---- output -------------------------------------------------------------------------------------------

export function goalLines(goals: Goal[]): string[][] {
  const fmt = (x: number | null) => (x === null ? '' : String(x));
  return goals.map((g) => [g.provider, g.goal, g.figure, fmt(g.value), fmt(g.baseline), fmt(g.ratio), g.target, g.pass === null ? 'report' : g.pass ? 'PASS' : 'MISS']);
}

export function printTable(lines: string[][], header: string[]): string {
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => (l[i] ?? '').length)));
  const show = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
  return [show(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(show)].join('\n') + '\n';
}

/** The JSON document of bench/results/throughput.json (timelines kept, per-request data not). */
export function resultDocument(r: ThroughputReport): Record<string, unknown> {
  return {
    benchmark: 'throughput',
    description:
      'Issue 12, measure first: `paybatch run` (real CLI, child process) against a provider sandbox in its own process enforcing the rate limit ' +
      '(token bucket, one second of burst), beside a minimal paced client with no journal (bench/paced-client.ts) against the same kind of sandbox; ' +
      'then a SIGKILLed run restarted with `paybatch run-once`.',
    method: {
      sandbox: 'bench/sandbox-host.ts: the provider module\'s sandbox in a forked process; request arrival times, kinds and the token bucket\'s verdict recorded there',
      queued: '100 ms intervals with a row not yet created (before the last create) or a created row whose first query was due (create + poll.firstAfterSeconds) and whose last query was not yet sent',
      shareOfLimit: 'requests let through in queued intervals ÷ their length ÷ the limit',
      queriesPerPayout: 'query requests per merchant reference seen at the sandbox (refused ones included)',
      wallOverMinimum: 'process spawn → exit ÷ (2 × rows ÷ rate)',
      restart: 'run SIGKILLed when the sandbox has let K creates through; run-once spawn → its first request at the sandbox; resends = references whose create got through the bucket twice',
      baseline: 'the paced client in the same run: rate while queued, wall ÷ minimum, process start → first request',
      cpu: 'child CPU from /proc/<pid>/stat (200 ms samples); machineCpuBusy = whole machine busy share during the phase (other processes included)',
      conditions: 'per phase: load average at its start, and the median time of a synced SQLite commit (WAL, synchronous=FULL) in its temp folder before and after: the fsync latency paybatch pays per state change, which other processes on the machine change',
    },
    machine: r.machine,
    options: r.options,
    goals: r.goals,
    providers: r.providers,
    seconds: r.seconds,
  };
}

// ---- command line -------------------------------------------------------------------------------------

export function parseArgs(argv: string[]): Partial<ThroughputOptions> & { out?: string } {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const d = defaultOptions();
  const num = (name: string) => (opt(name) === undefined ? undefined : Number(opt(name)));
  const rows = num('--rows');
  const starpayRows = num('--starpay-rows');
  const restartRows = num('--restart-rows');
  const out: Partial<ThroughputOptions> & { out?: string } = {};
  if (opt('--providers')) out.providers = opt('--providers')!.split(',') as ProviderName[];
  if (opt('--skip')) out.skip = opt('--skip')!.split(',') as PhaseName[];
  if (num('--rate') !== undefined) out.rate = num('--rate')!;
  out.rows = { vexora: rows ?? d.rows.vexora, starpay: starpayRows ?? d.rows.starpay };
  out.restartRows = { vexora: restartRows ?? rows ?? d.restartRows.vexora, starpay: starpayRows ?? d.restartRows.starpay };
  out.baselineRows = { vexora: num('--baseline-rows') ?? Math.min(out.rows.vexora, d.baselineRows.vexora), starpay: num('--baseline-rows') ?? out.rows.starpay };
  out.concurrency = { vexora: num('--concurrency') ?? d.concurrency.vexora, starpay: num('--starpay-concurrency') ?? d.concurrency.starpay };
  if (num('--kill-at') !== undefined) out.killAtShare = num('--kill-at')!;
  if (num('--settle') !== undefined) out.settleSeconds = num('--settle')!;
  if (num('--first-after') !== undefined) out.firstAfterSeconds = num('--first-after')!;
  if (num('--restart-observe') !== undefined) out.restartObserveSeconds = num('--restart-observe')!;
  if (opt('--tmp')) out.tmpRoot = path.resolve(opt('--tmp')!);
  if (opt('--profile')) out.profileDir = path.resolve(opt('--profile')!);
  if (opt('--out')) out.out = opt('--out');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { out, ...options } = parseArgs(process.argv.slice(2));
  const report = await benchThroughput(options);
  const file = out ? path.resolve(out) : path.join(here, 'results', 'throughput.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(resultDocument(report), null, 2) + '\n');
  process.stdout.write('\n' + printTable(goalLines(report.goals), ['provider', 'goal', 'figure', 'value', 'baseline', 'ratio', 'target', '']));
  process.stdout.write(`\n${report.machine.cpus} CPUs (${report.machine.cpuModel}), node ${report.machine.node}, load average at start ${report.machine.loadAverageAtStart.join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; took ${report.seconds.toFixed(0)} s\nresults: ${path.relative(process.cwd(), file)}\n`);
}
