// Pacing benchmark: 5,000 payouts to the Vexora sandbox at a configured 200 requests/s.
//
// The sandbox runs in its own child process (`paybatch sandbox --json`), so its CPU does not share an event
// loop with the client, and it enforces the same rate as the client is configured with (token bucket of
// 200/s, burst 20): any client burst shows up as a rejection. The client is the real CLI,
// `paybatch run <sheet> --no-wait --json`, in a second child process with a fresh work folder.
//
// Figures come from the sandbox's side: achieved rate = creates / (last create − first create), using the
// ledger's createdAt of every payout (GET /__sandbox/payouts); rejections = the sandbox's rateLimited count
// (GET /__sandbox/stats).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSheet, sheetPath } from './generate.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'bin', 'paybatch.js');

const MERCHANT_NO = '1000000001';
const SECRET = 'vexora-sandbox-secret-not-for-production';

export interface PacingReport {
  configured: { perSecond: number; concurrency: number; rows: number; sandboxRatePerSecond: number; sandboxBurst: number };
  client: { exitCode: number | null; wallSeconds: number; batch: unknown };
  sandbox: {
    creates: number;
    createRequests: number;
    otherRequests: number;
    rateLimited: number;
    maxCreatedPerReference: number;
    firstCreateAt: number;
    lastCreateAt: number;
    spanSeconds: number;
    /** Most creates in any 1-second window (the sandbox allows 200 + burst 20). */
    maxInAnySecond: number;
    /** Gaps between consecutive creates (ms). */
    gapMs: { p50: number; p99: number; max: number };
    /** Creates in each whole second after the first create. */
    perSecond: number[];
  };
  figures: { achievedPerSecond: number; ratio: number; rejections: number };
  targets: { ratio: { target: string; value: number; pass: boolean }; rejections: { target: string; value: number; pass: boolean } };
}

function startSandbox(configPath: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'sandbox', '--provider', 'vexora', '--port', '0', '--json', '--config', configPath], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`sandbox did not start in 30 s: ${err}`));
    }, 30_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const doc = JSON.parse(out.slice(0, nl)) as { sandboxes: { provider: string; url: string }[] };
        resolve({ child, url: doc.sandboxes.find((s) => s.provider === 'vexora')!.url });
      } catch (e) {
        child.kill('SIGTERM');
        reject(new Error(`sandbox printed no JSON: ${out}`));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited early (${code}): ${err}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Extra node flags for the client (e.g. BENCH_CLIENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"). */
const clientNodeArgs = (process.env.BENCH_CLIENT_NODE_ARGS ?? '').split(' ').filter(Boolean);

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...clientNodeArgs, cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export async function benchPacing(options: { rows?: number; perSecond?: number; concurrency?: number; log?: (s: string) => void } = {}): Promise<PacingReport> {
  const rows = options.rows ?? 5000;
  const perSecond = options.perSecond ?? 200;
  const concurrency = options.concurrency ?? 16;
  const burst = 20;
  const log = options.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const sheet = await ensureSheet(sheetPath(rows), rows);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-bench-pacing-'));
  let sandbox: { child: ChildProcess; url: string } | undefined;
  try {
    const sandboxConfig = path.join(work, 'sandbox.json');
    fs.writeFileSync(
      sandboxConfig,
      JSON.stringify({
        work: path.join(work, 'sandbox-work'),
        provider: 'vexora',
        providers: {
          vexora: {
            baseUrl: 'sandbox', merchantNo: MERCHANT_NO, secret: SECRET, country: 'AR',
            sandbox: { ratePerSecond: perSecond, burst, settleAfterSeconds: 3600 },
          },
        },
      }),
    );
    sandbox = await startSandbox(sandboxConfig);
    log(`pacing: sandbox ${sandbox.url} (pid ${sandbox.child.pid}), ${rows} payouts at ${perSecond}/s, concurrency ${concurrency}`);

    const runConfig = path.join(work, 'run.json');
    fs.writeFileSync(
      runConfig,
      JSON.stringify({
        work: path.join(work, 'work'),
        provider: 'vexora',
        // The generated sheet has no reference column; a live Vexora needs a notifyUrl (never called here).
        references: 'derived',
        providers: {
          vexora: {
            baseUrl: sandbox.url, merchantNo: MERCHANT_NO, secret: SECRET, country: 'AR',
            rate: { perSecond, concurrency },
            poll: { firstAfterSeconds: 3600 },
            callbackUrl: 'http://127.0.0.1:9/callbacks/vexora',
          },
        },
      }),
    );
    // A copy inside the work folder: `run` archives the sheet it was given.
    const file = path.join(work, 'payouts.csv');
    fs.copyFileSync(sheet.file, file);
    const run = await runCli(['run', file, '--no-wait', '--config', runConfig, '--json']);
    let batch: unknown = null;
    try {
      batch = (JSON.parse(run.stdout) as { batches: unknown[] }).batches[0];
    } catch {
      throw new Error(`paybatch run printed no JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
    }
    log(`  paybatch run exited ${run.code} after ${run.seconds.toFixed(1)} s`);

    const payouts = await getJson<{ createdAt: number }[]>(`${sandbox.url}/__sandbox/payouts`);
    const stats = await getJson<{ byKind: Record<string, number>; rateLimited: number; maxCreatedPerReference: number }>(`${sandbox.url}/__sandbox/stats`);
    const times = payouts.map((p) => p.createdAt).sort((a, b) => a - b);
    if (times.length < 2) throw new Error(`the sandbox saw ${times.length} creates`);
    const first = times[0]!;
    const last = times[times.length - 1]!;
    const spanSeconds = (last - first) / 1000;
    const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
    let maxInAnySecond = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
    }
    const perSecondCounts: number[] = [];
    for (const t of times) {
      const k = Math.floor((t - first) / 1000);
      perSecondCounts[k] = (perSecondCounts[k] ?? 0) + 1;
    }
    const achievedPerSecond = times.length / spanSeconds;
    const ratio = achievedPerSecond / perSecond;
    const rejections = stats.rateLimited;
    return {
      configured: { perSecond, concurrency, rows, sandboxRatePerSecond: perSecond, sandboxBurst: burst },
      client: { exitCode: run.code, wallSeconds: run.seconds, batch },
      sandbox: {
        creates: times.length,
        createRequests: stats.byKind.create ?? 0,
        otherRequests: (stats.byKind.query ?? 0) + (stats.byKind.other ?? 0),
        rateLimited: stats.rateLimited,
        maxCreatedPerReference: stats.maxCreatedPerReference,
        firstCreateAt: first,
        lastCreateAt: last,
        spanSeconds,
        maxInAnySecond,
        gapMs: { p50: quantile(gaps, 0.5), p99: quantile(gaps, 0.99), max: gaps[gaps.length - 1] ?? 0 },
        perSecond: Array.from(perSecondCounts, (n) => n ?? 0),
      },
      figures: { achievedPerSecond, ratio, rejections },
      targets: {
        ratio: { target: '>= 0.95', value: ratio, pass: ratio >= 0.95 },
        rejections: { target: '= 0', value: rejections, pass: rejections === 0 },
      },
    };
  } finally {
    if (sandbox) await stopChild(sandbox.child);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await benchPacing();
  process.stdout.write(JSON.stringify({ figures: report.figures, sandbox: report.sandbox, client: { ...report.client, batch: undefined } }, null, 2) + '\n');
}
