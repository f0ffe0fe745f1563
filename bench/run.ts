// `npm run bench`: the ingest and pacing benchmarks, one after the other (never at the same time: the
// machine may have only 2 cores). Prints a table and writes bench/results/ingest.json and pacing.json.
//   npm run bench                      both
//   npm run bench -- --only ingest     one of them (ingest | pacing | throughput)
//   npm run bench -- --only throughput the rate-limit benchmark (bench/throughput.ts; 3 minutes at its defaults on
//                                      a quiet machine, 7–11 under load, so not in the default run):
//                                      bench/results/throughput.json; its flags pass through (--rows 100000,
//                                      --restart-rows, --providers, --skip, --profile DIR, --tmp DIR, --out FILE)
//   npm run bench -- --rounds 1        alternating ingest rounds (default 3)
//   npm run bench -- --child-rounds 2  fresh child processes per phase for the RSS figures (default 2)
//   npm run bench -- --no-child        skip them (RSS from in-process samples)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchIngest, fmt, type IngestReport } from './ingest.ts';
import { benchPacing, type PacingReport } from './pacing.ts';
import { benchThroughput, goalLines, parseArgs as throughputArgs, resultDocument } from './throughput.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = opt('--only');
const rounds = Number(opt('--rounds') ?? process.env.BENCH_ROUNDS ?? 3);
if (only && only !== 'ingest' && only !== 'pacing' && only !== 'throughput') {
  process.stderr.write(`--only must be ingest, pacing or throughput\n`);
  process.exit(2);
}

function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(os.totalmem() / 1024 / 1024),
    /** 1/5/15-minute load averages when the benchmark started: the machine is shared. */
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function write(name: string, doc: unknown): string {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return path.relative(process.cwd(), file);
}

const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const lines: string[][] = [];
const row = (...cells: string[]) => lines.push(cells);

const started = performance.now();
let failed = false;

if (!only || only === 'ingest') {
  const m = machine();
  const r: IngestReport = await benchIngest({ rounds, child: !argv.includes('--no-child'), childRounds: Number(opt('--child-rounds') ?? 2) });
  const f = r.figures;
  const out = write('ingest.json', {
    benchmark: 'ingest',
    description:
      'A generated 1,000,000-row Vexora AR CSV through read + validate + journal (openSheet → createBatch → ingestSheet), ' +
      'against a bare csv-parse read of the same file (createReadStream(file).pipe(parse())) in the same run.',
    method: {
      throughput: `in-process, alternating baseline/engine ${r.rounds} times, median of each; ratio = median engine rows/s ÷ median baseline rows/s`,
      rss: 'peak RSS per phase from fresh child processes, one per phase, alternating (getrusage ru_maxrss, whole process including tsx); the highest engine child is checked; 50 ms in-process samples are kept for reference',
    },
    machine: m,
    file: r.file,
    figures: f,
    targets: r.targets,
    runs: { inProcess: r.inProcess, child: r.child },
  });
  failed ||= !r.targets.ratio.pass || !r.targets.rss.pass;
  row('ingest', 'baseline (csv-parse) rows/s', fmt(f.baselineRowsPerSecond), '', '');
  row('ingest', 'engine (read+validate+journal) rows/s', fmt(f.engineRowsPerSecond), '', '');
  row('ingest', 'ratio engine/baseline', f.ratio.toFixed(3), '>= 0.6', pass(r.targets.ratio.pass));
  row('ingest', '  per-round ratios', f.pairRatios.map((x) => x.toFixed(3)).join(' '), '', '');
  row('ingest', '  CPU-time ratio (rows per CPU-s)', f.cpuRatio.toFixed(3), '', '');
  if (f.childRatio !== null) row('ingest', '  child-process ratio', f.childRatio.toFixed(3), '', '');
  row('ingest', 'engine peak RSS MB (worst child)', f.enginePeakRssMB.toFixed(0), '<= 256', pass(r.targets.rss.pass));
  if (f.enginePeakRssPerChildMB.length > 1) row('ingest', '  per child run', f.enginePeakRssPerChildMB.join(' '), '', '');
  row('ingest', 'baseline peak RSS MB', f.baselinePeakRssMB.toFixed(0), '', '');
  row('ingest', 'results', out, '', '');
}

if (!only || only === 'pacing') {
  const m = machine();
  const r: PacingReport = await benchPacing();
  const out = write('pacing.json', {
    benchmark: 'pacing',
    description:
      '5,000 Vexora payouts through `paybatch run --no-wait` to the sandbox (its own child process, token bucket = the configured rate, burst 20), ' +
      'at a configured 200 requests/s, concurrency 16.',
    method: {
      achievedRate: 'creates ÷ (last create − first create), from the sandbox ledger createdAt (GET /__sandbox/payouts)',
      rejections: 'the sandbox rate limiter rejections (GET /__sandbox/stats rateLimited)',
    },
    machine: m,
    configured: r.configured,
    figures: r.figures,
    targets: r.targets,
    sandbox: r.sandbox,
    client: r.client,
  });
  failed ||= !r.targets.ratio.pass || !r.targets.rejections.pass;
  row('pacing', 'achieved creates/s (sandbox side)', r.figures.achievedPerSecond.toFixed(1), '', '');
  row('pacing', 'achieved / configured (200/s)', r.figures.ratio.toFixed(3), '>= 0.95', pass(r.targets.ratio.pass));
  row('pacing', 'rate-limit rejections', String(r.figures.rejections), '= 0', pass(r.targets.rejections.pass));
  row('pacing', '  creates, span s, max in any 1 s', `${r.sandbox.creates}, ${r.sandbox.spanSeconds.toFixed(2)}, ${r.sandbox.maxInAnySecond}`, '', '');
  row('pacing', 'results', out, '', '');
}

// Not in the default run: it takes minutes of a rate-limited provider (see bench/throughput.ts).
if (only === 'throughput') {
  const { out: outFile, ...options } = throughputArgs(argv);
  const r = await benchThroughput(options);
  const out = write(outFile ? path.basename(outFile) : 'throughput.json', resultDocument(r));
  for (const [provider, goal, figure, value, baseline, ratio, target, verdict] of goalLines(r.goals))
    row(`throughput ${provider} g${goal}`, figure, value, baseline ? `${target} (baseline ${baseline}${ratio ? `, ratio ${ratio}` : ''})` : target, verdict);
  row('throughput', 'results', out, '', '');
}

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...lines.map((l) => l[i]!.length), ['bench', 'figure', 'value', 'target', ''][i]!.length));
const show = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
process.stdout.write('\n' + show(['bench', 'figure', 'value', 'target', '']) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
for (const l of lines) process.stdout.write(show(l) + '\n');
process.stdout.write(`\n${os.cpus().length} CPUs, node ${process.version}, load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
// The figures are the product; a missed target is reported, not an error of the benchmark itself.
process.exitCode = 0;
void failed;
