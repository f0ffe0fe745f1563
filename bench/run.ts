// `npm run bench`: the ingest and pacing benchmarks, one after the other (never at the same time: the
// machine may have only 2 cores). Prints a table and writes bench/results/ingest.json and pacing.json.
//   npm run bench                      both
//   npm run bench -- --only ingest     one of them (ingest | pacing | throughput)
//   npm run bench -- --only throughput the rate-limit benchmark (bench/throughput.ts; 3 minutes at its defaults on
//                                      a quiet machine, 7–11 under load, so not in the default run):
//                                      bench/results/throughput.json; its flags pass through (--rows 100000,
//                                      --restart-rows, --providers, --skip, --profile DIR, --tmp DIR, --out FILE)
//   npm run bench -- --only scaleout   three watch processes on one PostgreSQL journal sharing one rate limit
//                                      (bench/scaleout.ts; --rows, --rate, --processes): bench/results/scaleout.json
//   npm run bench -- --only console    the web console's batch page on a 100,000-row batch (bench/console.ts):
//                                      bench/results/console.json (--rows N, --requests N)
//   npm run bench -- --only writer     what one payout row costs the journal's writer thread, four kinds of journal
//                                      (bench/journal-writer.ts; --rows, default 300000): bench/results/journal-writer.json
//   npm run bench -- --rounds 1        alternating ingest (and writer) rounds (default 3)
//   npm run bench -- --child-rounds 2  fresh child processes per phase for the RSS figures (default 2)
//   npm run bench -- --no-child        skip them (RSS from in-process samples)
//   npm run bench -- --cli-rounds 2    `paybatch validate` CLI child runs per sheet, each paired with a bare-read child (default 2; 0 skips)
//   npm run bench -- --xlsx-rounds 2   alternating in-process rounds on the 200,000-row XLSX (default 2)
//   npm run bench -- --xlsx-child-rounds 1  fresh child processes per phase on the XLSX (default 1)
//   npm run bench -- --xlsx-rows N     XLSX size (default 200000);  --no-xlsx skips the XLSX phases
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchIngest, fmt, type IngestReport } from './ingest.ts';
import { benchPacing, type PacingReport } from './pacing.ts';
import { benchConsole } from './console.ts';
import { benchWriter } from './journal-writer.ts';
import { benchThroughput, goalLines, parseArgs as throughputArgs, resultDocument } from './throughput.ts';
import { machine } from './machine.ts';
import { benchScaleout, parseArgs as scaleoutArgs } from './scaleout.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = opt('--only');
const rounds = Number(opt('--rounds') ?? process.env.BENCH_ROUNDS ?? 3);
if (only && !['ingest', 'pacing', 'throughput', 'scaleout', 'console', 'writer'].includes(only)) {
  process.stderr.write(`--only must be ingest, pacing, throughput, scaleout, console or writer\n`);
  process.exit(2);
}


function write(name: string, doc: unknown): string {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return path.relative(process.cwd(), file);
}

const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const lines: string[][] = [];
const row = (...cells: string[]) => lines.push(cells);

const started = performance.now();
let failed = false;

if (!only || only === 'ingest') {
  const m = machine();
  const r: IngestReport = await benchIngest({
    rounds,
    child: !argv.includes('--no-child'),
    childRounds: Number(opt('--child-rounds') ?? 2),
    cliRounds: Number(opt('--cli-rounds') ?? 2),
    xlsxRows: Number(opt('--xlsx-rows') ?? 200_000),
    xlsxRounds: argv.includes('--no-xlsx') ? 0 : Number(opt('--xlsx-rounds') ?? 2),
    xlsxChildRounds: Number(opt('--xlsx-child-rounds') ?? 1),
  });
  const f = r.figures;
  const goal = (name: string, what: string, value: string, baseline: string, t: IngestReport['targets']) => ({
    name,
    what,
    value,
    baseline,
    ratio: t.ratio.value,
    ratioTarget: t.ratio.target,
    ratioPass: t.ratio.pass,
    peakRssMB: Math.round(t.rss.valueMB),
    rssTarget: t.rss.target,
    rssPass: t.rss.pass,
  });
  const goals = [
    goal('run ingest, CSV', `${fmt(r.file.rows)} rows read + validate + journal, in process`, `${fmt(f.engineRowsPerSecond)} rows/s`, `${fmt(f.baselineRowsPerSecond)} rows/s (bare csv-parse)`, r.targets),
    ...(r.csvValidate
      ? [goal('paybatch validate, CSV', `${fmt(r.csvValidate.rows)} rows, CLI child process`, `${r.csvValidate.figures.validateSeconds.toFixed(2)} s`, `${r.csvValidate.figures.bareSeconds.toFixed(2)} s (bare csv-parse child)`, r.csvValidate.targets)]
      : []),
    ...(r.xlsx
      ? [goal('run ingest, XLSX', `${fmt(r.xlsx.file.rows)} rows read + validate + journal, in process`, `${fmt(r.xlsx.figures.engineRowsPerSecond)} rows/s`, `${fmt(r.xlsx.figures.baselineRowsPerSecond)} rows/s (bare exceljs WorkbookReader)`, r.xlsx.targets)]
      : []),
    ...(r.xlsxValidate
      ? [goal('paybatch validate, XLSX', `${fmt(r.xlsxValidate.rows)} rows, CLI child process`, `${r.xlsxValidate.figures.validateSeconds.toFixed(2)} s`, `${r.xlsxValidate.figures.bareSeconds.toFixed(2)} s (bare exceljs child)`, r.xlsxValidate.targets)]
      : []),
  ];
  const out = write('ingest.json', {
    benchmark: 'ingest',
    description:
      'A generated 1,000,000-row Vexora AR CSV through read + validate + journal (openSheet → createBatch → ingestSheet), ' +
      'against a bare csv-parse read of the same file (createReadStream(file).pipe(parse())) in the same run. ' +
      'Also (issue 12 goal 4): `paybatch validate` of the same CSV as a CLI child process against a bare-read child; and a 200,000-row XLSX ' +
      '(same rows, exceljs streaming WorkbookWriter, useSharedStrings: false) through run ingest and `paybatch validate` against a bare exceljs streaming WorkbookReader read.',
    method: {
      throughput: `in-process, alternating baseline/engine ${r.rounds} times, median of each; ratio = median engine rows/s ÷ median baseline rows/s`,
      rss: 'peak RSS per phase from fresh child processes, one per phase, alternating (getrusage ru_maxrss, whole process including tsx); the highest engine child is checked; 50 ms in-process samples are kept for reference',
      validateCli:
        'alternating `node bench/bare-read.mjs FILE` (plain node, no tsx) and `node bin/paybatch.js validate FILE --provider vexora --config <tmp>/config.json --json` (fresh temp work folder each), ' +
        'each under `/usr/bin/time -f "%e %U %S %M"`; wall time = spawn to exit measured by the bench (process start-up included in both); ratio = median bare seconds ÷ median validate seconds; ' +
        'ratioStartupSubtracted subtracts `bare-read.mjs --startup FILE` and `paybatch --help` wall times; peak RSS = highest %M (the child\'s ru_maxrss, as reported by wait4) of the validate runs',
      xlsx: 'as throughput and rss above, on the XLSX; baseline = exceljs.stream.xlsx.WorkbookReader(file) with the engine reader\'s options, every row of the first worksheet iterated',
    },
    machine: m,
    goals,
    file: r.file,
    figures: f,
    targets: r.targets,
    runs: { inProcess: r.inProcess, child: r.child },
    csvValidate: r.csvValidate,
    xlsx: r.xlsx,
    xlsxValidate: r.xlsxValidate,
  });
  failed ||= goals.some((g) => !g.ratioPass || !g.rssPass);
  row('ingest', 'baseline (csv-parse) rows/s', fmt(f.baselineRowsPerSecond), '', '');
  row('ingest', 'engine (read+validate+journal) rows/s', fmt(f.engineRowsPerSecond), '', '');
  row('ingest', 'ratio engine/baseline', f.ratio.toFixed(3), '>= 0.6', pass(r.targets.ratio.pass));
  row('ingest', '  per-round ratios', f.pairRatios.map((x) => x.toFixed(3)).join(' '), '', '');
  row('ingest', '  CPU-time ratio (rows per CPU-s)', f.cpuRatio.toFixed(3), '', '');
  if (f.childRatio !== null) row('ingest', '  child-process ratio', f.childRatio.toFixed(3), '', '');
  row('ingest', 'engine peak RSS MB (worst child)', f.enginePeakRssMB.toFixed(0), '<= 256', pass(r.targets.rss.pass));
  if (f.enginePeakRssPerChildMB.length > 1) row('ingest', '  per child run', f.enginePeakRssPerChildMB.join(' '), '', '');
  row('ingest', 'baseline peak RSS MB', f.baselinePeakRssMB.toFixed(0), '', '');
  const cliRows = (label: string, c: NonNullable<IngestReport['csvValidate']>) => {
    const g = c.figures;
    row(label, 'bare-read child s (median)', g.bareSeconds.toFixed(2), '', '');
    row(label, 'validate child s (median)', g.validateSeconds.toFixed(2), '', '');
    row(label, 'ratio bare/validate (start-up in both)', g.ratio.toFixed(3), c.targets.ratio.target, pass(c.targets.ratio.pass));
    row(label, '  per-round ratios', g.pairRatios.map((x) => x.toFixed(3)).join(' '), '', '');
    row(label, '  start-up subtracted / CPU-time ratio', `${g.ratioStartupSubtracted.toFixed(3)} / ${g.cpuRatio.toFixed(3)}`, '', '');
    row(label, 'validate peak RSS MB (worst run)', g.validatePeakRssMB.toFixed(0), c.targets.rss.target, pass(c.targets.rss.pass));
    row(label, '  per run / bare-read peak', `${g.validatePeakRssPerRunMB.join(' ')} / ${g.barePeakRssMB.toFixed(0)}`, '', '');
  };
  if (r.csvValidate) cliRows('validate csv', r.csvValidate);
  if (r.xlsx) {
    const x = r.xlsx.figures;
    row('ingest xlsx', 'baseline (exceljs stream) rows/s', fmt(x.baselineRowsPerSecond), '', '');
    row('ingest xlsx', 'engine (read+validate+journal) rows/s', fmt(x.engineRowsPerSecond), '', '');
    row('ingest xlsx', 'ratio engine/baseline', x.ratio.toFixed(3), r.xlsx.targets.ratio.target, pass(r.xlsx.targets.ratio.pass));
    row('ingest xlsx', '  per-round ratios', x.pairRatios.map((v) => v.toFixed(3)).join(' '), '', '');
    row('ingest xlsx', '  CPU-time ratio (rows per CPU-s)', x.cpuRatio.toFixed(3), '', '');
    if (x.childRatio !== null) row('ingest xlsx', '  child-process ratio', x.childRatio.toFixed(3), '', '');
    row('ingest xlsx', 'engine peak RSS MB (worst child)', x.enginePeakRssMB.toFixed(0), r.xlsx.targets.rss.target, pass(r.xlsx.targets.rss.pass));
    row('ingest xlsx', 'baseline peak RSS MB', x.baselinePeakRssMB.toFixed(0), '', '');
  }
  if (r.xlsxValidate) cliRows('validate xlsx', r.xlsxValidate);
  row('ingest', 'load average at start', m.loadAverageAtStart.join(' '), '', '');
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

// Not in the default run: three watch processes, a PostgreSQL server and a rate-limited sandbox (bench/scaleout.ts).
if (only === 'scaleout') {
  const options = scaleoutArgs(argv);
  const r = await benchScaleout(options);
  const out = write('scaleout.json', { benchmark: 'scaleout', ...r });
  const f = r.figures;
  row('scaleout', `${options.processes} processes, ${options.rows} rows, limit ${options.rate}/s`, '', '', '');
  row('scaleout', 'requests/s between 5% and 95% of requests', f.requestsPerSecondInWindow.toFixed(1), '', '');
  row('scaleout', 'share of the limit used', f.shareOfLimit.toFixed(3), r.targets.share.target, pass(r.targets.share.pass));
  row('scaleout', 'refused with 429', `${f.rateLimited} of ${f.requests} (${(100 * f.rateLimitedShare).toFixed(2)}%)`, r.targets.rateLimited.target, pass(r.targets.rateLimited.pass));
  row('scaleout', 'max payouts created per reference', String(f.maxCreatedPerReference), r.targets.never.target, pass(r.targets.never.pass));
  row('scaleout', 'wall s / rate-limited minimum s', `${f.wallSeconds.toFixed(1)} / ${f.minimumSeconds.toFixed(1)}`, '', '');
  row('scaleout', 'queries per payout', f.queriesPerPayout.toFixed(2), '', '');
  row('scaleout', 'results', out, '', '');
}

// Not in the default run: a 100,000-row journal built first (bench/console.ts).
if (only === 'console') {
  const m = machine();
  const r = await benchConsole({ rows: Number(opt('--rows') ?? 100_000), requests: Number(opt('--requests') ?? 20) });
  const page = r.timings[0]!;
  const out = write('console.json', {
    benchmark: 'console',
    description:
      `The web console's batch page on a batch of ${fmt(r.rows)} rows (journal built with insertRows in chunks of 1,000, rows moved to ` +
      'succeeded/failed/needs_review), served by `paybatch console` in its own process and asked over loopback HTTP, signed in.',
    method: `3 warm-up requests, then ${r.requests} sequential requests each; median, p90 and max of the time to the last byte (fetch in the bench process)`,
    machine: m,
    goals: [{ name: 'batch page, 100,000 rows', value: `${page.medianMs} ms (median)`, target: '< 1000 ms', pass: page.medianMs < 1000 }],
    buildSeconds: r.buildSeconds,
    timings: r.timings,
  });
  for (const t of r.timings) row('console', `${t.what} median / p90 / max ms`, `${t.medianMs} / ${t.p90Ms} / ${t.maxMs}`, t === page ? '< 1000' : '', t === page ? pass(t.medianMs < 1000) : '');
  row('console', 'journal built in s', String(r.buildSeconds), '', '');
  row('console', 'results', out, '', '');
}

if (only === 'writer') {
  const m = machine();
  const r = benchWriter({ rows: Number(opt('--rows') ?? 300_000), rounds });
  const out = write('journal-writer.json', {
    benchmark: 'journal-writer',
    description:
      `${fmt(r.rows)} payout rows (the ingest sheet's cells, validated) written through the bulk writer's prepareChunkWriter in chunks ` +
      'of 1,000 on one thread, into fresh journals: WAL + synchronous NORMAL with 4 KB pages (journals made before 16 KB pages) and with ' +
      '16 KB pages (new journals), journal_mode OFF (SQLite without the disk), and 16 KB WAL without the two secondary payout indexes.',
    method: `the four kinds alternated, ${r.rounds} rounds; CPU µs per row from process.cpuUsage over the insert loop; min and median`,
    machine: m,
    ...r,
  });
  for (const v of Object.keys(r.min) as (keyof typeof r.min)[]) row('writer', `${v} CPU µs per row (min / median)`, `${r.min[v]} / ${r.median[v]}`, '', '');
  row('writer', 'results', out, '', '');
}

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...lines.map((l) => l[i]!.length), ['bench', 'figure', 'value', 'target', ''][i]!.length));
const show = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
process.stdout.write('\n' + show(['bench', 'figure', 'value', 'target', '']) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
for (const l of lines) process.stdout.write(show(l) + '\n');
process.stdout.write(`\n${os.cpus().length} CPUs, node ${process.version}, load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
// The figures are the product; a missed target is reported, not an error of the benchmark itself.
process.exitCode = 0;
void failed;
