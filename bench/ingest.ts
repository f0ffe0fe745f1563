// Ingest benchmark: a generated 1,000,000-row CSV through read + validate + journal (the engine's
// openSheet → createBatch → ingestSheet, exactly processFile's sequence without the SHA-256 and the sending),
// against a bare csv-parse read of the same file (`createReadStream(file).pipe(parse())`) in the same run.
//
// Two kinds of measurement:
//  - in-process, alternating baseline / engine (B E B E B E), median of each: the throughput figures and the
//    ratio, taken under the same machine load (the machine is shared: only same-run ratios mean anything);
//    RSS is sampled every 50 ms per phase, but a phase inherits the heap the previous one left behind.
//  - fresh child processes, one per phase (`node --import tsx bench/ingest.ts --child engine|baseline …`),
//    alternating, 2 of each by default: a fresh process's peak RSS belongs to that phase alone; besides the
//    50 ms samples it reports the kernel's own high-water mark (getrusage ru_maxrss), which catches peaks
//    between samples. The worst engine child is the figure checked against the RSS target (the peak moves
//    by ±20 MB from run to run with when V8 collects old-space garbage).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parse } from 'csv-parse';
import { ensureSheet, ensureXlsxSheet, sheetPath, xlsxSheetPath, type GeneratedSheet } from './generate.ts';

export const isXlsx = (file: string) => file.toLowerCase().endsWith('.xlsx');

const MB = 1024 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

export interface PhaseResult {
  phase: 'baseline' | 'engine';
  where: 'in-process' | 'child';
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** CPU time of the whole process during the phase (user + system, all threads). */
  cpuSeconds: number;
  /** rows / cpuSeconds: less sensitive than wall time to other processes on a shared machine. */
  rowsPerCpuSecond: number;
  /** Highest of the 50 ms samples of process.memoryUsage().rss during the phase (MB). */
  peakRssSampledMB: number;
  /** RSS when the phase started (MB): what the phase inherited. */
  startRssMB: number;
  /** process.memoryUsage() at the highest-RSS sample (MB): how much of the peak is the JS heap. */
  atPeak: MemoryAtPeak;
  /** Child only: getrusage ru_maxrss, the kernel's high-water mark for the whole process (MB). */
  maxRssMB?: number;
  /** Engine only: what the journal says after the run. */
  check?: { rowCount: number; invalid: number; duplicates: number; validatedInJournal: number; journalBytes: number };
}

export interface MemoryAtPeak {
  rssMB: number;
  heapTotalMB: number;
  heapUsedMB: number;
  externalMB: number;
  arrayBuffersMB: number;
}

/** Samples process.memoryUsage() every 50 ms until stopped; keeps the breakdown of the highest-RSS sample. */
function rssSampler(): { stop(): { peakMB: number; startMB: number; atPeak: MemoryAtPeak } } {
  const first = process.memoryUsage();
  const start = first.rss;
  let peak = first;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak = m;
  };
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const mb = (n: number) => Math.round((n / MB) * 10) / 10;
      return {
        peakMB: peak.rss / MB,
        startMB: start / MB,
        atPeak: { rssMB: mb(peak.rss), heapTotalMB: mb(peak.heapTotal), heapUsedMB: mb(peak.heapUsed), externalMB: mb(peak.external), arrayBuffersMB: mb(peak.arrayBuffers) },
      };
    },
  };
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

let gcFn: (() => void) | undefined;
/** A full GC between in-process phases (the bench runs without --expose-gc, so expose it here). */
export function collectGarbage(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
}

export async function runBaseline(file: string, where: PhaseResult['where'] = 'in-process'): Promise<PhaseResult> {
  const sampler = rssSampler();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = -1; // the header is a record too
  if (isXlsx(file)) {
    // Loaded here, so a CSV baseline child holds csv-parse only. The same WorkbookReader options as the
    // engine's reader (src/sheet/xlsx/reader.ts), reading the file directly (no ZIP front end, no cell conversion).
    const { default: ExcelJS } = await import('exceljs');
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'emit' });
    for await (const sheet of reader) {
      for await (const _row of sheet as unknown as AsyncIterable<unknown>) rows++;
      break; // the first worksheet only, as the engine reads one
    }
  } else {
    const parser = fs.createReadStream(file).pipe(parse());
    for await (const _record of parser) rows++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  const mem = sampler.stop();
  return {
    phase: 'baseline', where, rows, seconds, rowsPerSecond: rows / seconds, cpuSeconds, rowsPerCpuSecond: rows / cpuSeconds,
    peakRssSampledMB: mem.peakMB, startRssMB: mem.startMB, atPeak: mem.atPeak,
  };
}

/** read + validate + journal of `file` into a fresh journal in a temp work folder (removed afterwards). */
export async function runEngine(file: string, sha256: string, where: PhaseResult['where'] = 'in-process'): Promise<PhaseResult> {
  // Loaded here, not at the top, so a baseline child process holds csv-parse only (a fair RSS comparison).
  const [{ loadConfig, resolveProvider }, { Journal }, { silentLogger }, { openSheet }, { ingestSheet }] = await Promise.all([
    import('../src/config/load.ts'),
    import('../src/journal/store.ts'),
    import('../src/log.ts'),
    import('../src/sheet/open.ts'),
    import('../src/engine/ingest.ts'),
  ]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-bench-ingest-'));
  try {
    const configPath = path.join(work, 'config.json');
    fs.writeFileSync(
      configPath,
      JSON.stringify({ work, provider: 'vexora', providers: { vexora: { baseUrl: 'sandbox', country: 'AR' } } }),
    );
    const config = loadConfig({ configPath, work });
    const journalFile = path.join(work, 'journal.sqlite');
    const journal = new Journal(journalFile);
    const log = silentLogger();
    const engine = { journal, config, log };
    const bytes = fs.statSync(file).size;
    const batchKey = `20261121-${sha256.slice(0, 8)}`;
    const batchId = batchKey;

    const sampler = rssSampler();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    // processFile's sequence (src/engine/batch.ts), minus the SHA-256 (done once by the generator).
    const resolved = resolveProvider(config, 'vexora');
    const rules = resolved.module.rowRules(resolved.block);
    const sheet = await openSheet(file, config.sheet);
    journal.createBatch({ id: batchId, fileName: path.basename(file), fileSha256: sha256, fileBytes: bytes, provider: 'vexora', sourcePath: file, format: sheet.format });
    const result = await ingestSheet(engine, { sheet, batchId, providerId: 'vexora', rules, module: resolved.module, batchKey, bulk: true });
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuSince(c0);
    const mem = sampler.stop();

    if (result.failure) throw new Error(`ingest failed: ${result.failure.message}`);
    const counts = journal.counts(batchId);
    journal.close();
    const journalBytes = ['', '-wal', '-shm'].reduce((n, s) => n + (fs.existsSync(journalFile + s) ? fs.statSync(journalFile + s).size : 0), 0);
    return {
      phase: 'engine',
      where,
      rows: result.rowCount,
      seconds,
      rowsPerSecond: result.rowCount / seconds,
      cpuSeconds,
      rowsPerCpuSecond: result.rowCount / cpuSeconds,
      peakRssSampledMB: mem.peakMB,
      startRssMB: mem.startMB,
      atPeak: mem.atPeak,
      check: { rowCount: result.rowCount, invalid: result.invalid, duplicates: result.duplicates, validatedInJournal: counts.validated, journalBytes },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs one phase in a fresh child process and returns what it reports. */
export function runChild(phase: 'baseline' | 'engine', file: string, sha256: string, extraNodeArgs: string[] = []): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...extraNodeArgs, '--import', 'tsx', path.join(here, 'ingest.ts'), '--child', phase, '--file', file, '--sha', sha256], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ingest child (${phase}) exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as PhaseResult);
      } catch (err) {
        reject(new Error(`ingest child (${phase}) printed no result: ${out}`));
      }
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface IngestFigures {
  baselineRowsPerSecond: number;
  engineRowsPerSecond: number;
  ratio: number;
  /** Ratio of each alternating pair (engine run i / baseline run i). */
  pairRatios: number[];
  childRatio: number | null;
  /** Peak RSS of each engine child run (MB); the figure checked is the highest. */
  enginePeakRssPerChildMB: number[];
  /** Same comparison on CPU time (median rows per CPU-second): what the ratio would be on an idle machine. */
  baselineRowsPerCpuSecond: number;
  engineRowsPerCpuSecond: number;
  cpuRatio: number;
  enginePeakRssMB: number;
  baselinePeakRssMB: number;
  enginePeakRssSource: string;
}

export interface Target {
  ratio: { target: string; value: number; pass: boolean };
  rss: { target: string; valueMB: number; pass: boolean };
}

/** One run ingest measurement (read + validate + journal vs the bare read), CSV or XLSX. */
export interface IngestPhase {
  file: { path: string; rows: number; bytes: number; sha256: string; cached: boolean; generateSeconds: number };
  rounds: number;
  inProcess: PhaseResult[];
  child: PhaseResult[] | null;
  figures: IngestFigures;
  targets: Target;
}

/** One `paybatch validate` CLI run or bare-read script run, as a whole child process under /usr/bin/time. */
export interface CliRun {
  phase: 'bare-read' | 'validate';
  command: string[];
  exitCode: number;
  /** Wall time from spawn to exit, measured by the parent (includes process start-up). */
  seconds: number;
  /** /usr/bin/time: elapsed, user and system CPU seconds of the child. */
  timeElapsedSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** /usr/bin/time %M: the child's ru_maxrss (MB). */
  maxRssMB: number;
  /** rows the child reports (validate: summary.rows of --json; bare read: its count). */
  rows: number;
  invalid?: number;
  state?: string;
}

export interface CliPhase {
  file: string;
  rows: number;
  rounds: number;
  /** Start-up only: `node bench/bare-read.mjs --startup` and `node bin/paybatch.js --help`, one each. */
  startup: { bareSeconds: number; cliSeconds: number; cliMaxRssMB: number };
  runs: CliRun[];
  figures: {
    bareSeconds: number;
    validateSeconds: number;
    /** bare wall ÷ validate wall (= validate rows/s ÷ bare rows/s), start-up included in both. */
    ratio: number;
    pairRatios: number[];
    /** Same with each side's start-up (the --startup / --help runs) subtracted. */
    ratioStartupSubtracted: number;
    /** (user+sys) CPU ratio: bare CPU ÷ validate CPU. */
    cpuRatio: number;
    validatePeakRssPerRunMB: number[];
    validatePeakRssMB: number;
    barePeakRssMB: number;
    peakRssSource: string;
  };
  targets: Target;
}

export interface IngestReport extends IngestPhase {
  /** The four goal-4 figures of issue 12. */
  csvValidate: CliPhase | null;
  xlsx: IngestPhase | null;
  xlsxValidate: CliPhase | null;
}

async function measureIngest(
  sheet: GeneratedSheet,
  rounds: number,
  childRounds: number,
  target: { ratio: number; rssMB: number },
  log: (s: string) => void,
): Promise<IngestPhase> {
  const rows = sheet.rows;
  const inProcess: PhaseResult[] = [];
  for (let i = 0; i < rounds; i++) {
    collectGarbage();
    const b = await runBaseline(sheet.file);
    inProcess.push(b);
    log(`  round ${i + 1} baseline: ${fmt(b.rowsPerSecond)} rows/s (${b.seconds.toFixed(2)} s, ${b.cpuSeconds.toFixed(2)} s CPU)`);
    collectGarbage();
    const e = await runEngine(sheet.file, sheet.sha256);
    inProcess.push(e);
    log(`  round ${i + 1} engine:   ${fmt(e.rowsPerSecond)} rows/s (${e.seconds.toFixed(2)} s, ${e.cpuSeconds.toFixed(2)} s CPU), ratio ${(e.rowsPerSecond / b.rowsPerSecond).toFixed(3)}`);
    if (b.rows !== rows) throw new Error(`baseline read ${b.rows} rows, expected ${rows}`);
    if (e.check!.rowCount !== rows || e.check!.invalid !== 0 || e.check!.validatedInJournal !== rows)
      throw new Error(`engine run did not journal every row as valid: ${JSON.stringify(e.check)}`);
  }

  // Fresh child processes, alternating, for the RSS figures (the peak varies with when V8 decides to collect
  // old-space garbage, so the worst of the child runs is reported).
  const childRuns: PhaseResult[] = [];
  for (let i = 0; i < childRounds; i++) {
    const b = await runChild('baseline', sheet.file, sheet.sha256);
    log(`  child ${i + 1} baseline: ${fmt(b.rowsPerSecond)} rows/s, peak RSS ${b.maxRssMB!.toFixed(0)} MB`);
    const e = await runChild('engine', sheet.file, sheet.sha256);
    log(`  child ${i + 1} engine:   ${fmt(e.rowsPerSecond)} rows/s, peak RSS ${e.maxRssMB!.toFixed(0)} MB (JS heap at peak ${e.atPeak.heapTotalMB.toFixed(0)} MB)`);
    childRuns.push(b, e);
  }
  const child = childRuns.length ? childRuns : null;

  const bs = inProcess.filter((r) => r.phase === 'baseline');
  const es = inProcess.filter((r) => r.phase === 'engine');
  const baselineRowsPerSecond = median(bs.map((r) => r.rowsPerSecond));
  const engineRowsPerSecond = median(es.map((r) => r.rowsPerSecond));
  const ratio = engineRowsPerSecond / baselineRowsPerSecond;
  const childOf = (phase: PhaseResult['phase']) => (child ?? []).filter((r) => r.phase === phase);
  const enginePeakRssMB = child ? Math.max(...childOf('engine').map((r) => r.maxRssMB!)) : Math.max(...es.map((r) => r.peakRssSampledMB));
  const baselinePeakRssMB = child ? Math.max(...childOf('baseline').map((r) => r.maxRssMB!)) : Math.max(...bs.map((r) => r.peakRssSampledMB));
  return {
    file: { path: sheet.file, rows, bytes: sheet.bytes, sha256: sheet.sha256, cached: sheet.cached, generateSeconds: sheet.seconds },
    rounds,
    inProcess,
    child,
    figures: {
      baselineRowsPerSecond,
      engineRowsPerSecond,
      ratio,
      pairRatios: es.map((e, i) => e.rowsPerSecond / bs[i]!.rowsPerSecond),
      childRatio: child ? median(childOf('engine').map((r) => r.rowsPerSecond)) / median(childOf('baseline').map((r) => r.rowsPerSecond)) : null,
      enginePeakRssPerChildMB: childOf('engine').map((r) => Math.round(r.maxRssMB!)),
      baselineRowsPerCpuSecond: median(bs.map((r) => r.rowsPerCpuSecond)),
      engineRowsPerCpuSecond: median(es.map((r) => r.rowsPerCpuSecond)),
      cpuRatio: median(es.map((r) => r.rowsPerCpuSecond)) / median(bs.map((r) => r.rowsPerCpuSecond)),
      enginePeakRssMB,
      baselinePeakRssMB,
      enginePeakRssSource: child
        ? `highest ru_maxrss of ${childRounds} fresh child processes (whole process, including tsx and module loading)`
        : 'in-process 50 ms samples',
    },
    targets: {
      ratio: { target: `>= ${target.ratio}`, value: ratio, pass: ratio >= target.ratio },
      rss: { target: `<= ${target.rssMB} MB`, valueMB: enginePeakRssMB, pass: enginePeakRssMB <= target.rssMB },
    },
  };
}

const TIME = '/usr/bin/time';

/** Runs `node <args>` under /usr/bin/time (GNU time: %e elapsed, %U user, %S system, %M max RSS in KB). */
function timedNode(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; seconds: number; elapsed: number; user: number; sys: number; maxRssMB: number; stdout: string }> {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is missing: the CLI phases need GNU time for the child's peak RSS`);
  const timeFile = path.join(os.tmpdir(), `paybatch-bench-time-${process.pid}-${Date.now()}.txt`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(TIME, ['-o', timeFile, '-f', '%e %U %S %M', process.execPath, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...extraEnv },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      try {
        const line = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!;
        fs.rmSync(timeFile, { force: true });
        const [elapsed, user, sys, maxKB] = line.split(/\s+/).map(Number) as [number, number, number, number];
        if (!Number.isFinite(maxKB)) throw new Error(`unexpected /usr/bin/time output: ${line}`);
        resolve({ code: code ?? -1, seconds, elapsed, user, sys, maxRssMB: maxKB / 1024, stdout: out });
      } catch (e) {
        reject(new Error(`node ${args.join(' ')} (exit ${code}): ${(e as Error).message}\n${err.slice(-2000)}`));
      }
    });
  });
}

/** A bare read of `file` in a fresh plain-node process (bench/bare-read.mjs, no tsx). */
async function runBareCli(file: string): Promise<CliRun> {
  const args = [path.join(here, 'bare-read.mjs'), file];
  const r = await timedNode(args);
  if (r.code !== 0) throw new Error(`bare read exited with ${r.code}`);
  const rows = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number }).rows;
  return { phase: 'bare-read', command: ['node', ...args.map((a) => path.relative(root, a) || a)], exitCode: r.code, seconds: r.seconds, timeElapsedSeconds: r.elapsed, userSeconds: r.user, systemSeconds: r.sys, maxRssMB: r.maxRssMB, rows };
}

/** `node bin/paybatch.js validate <file> --provider vexora --config <cfg> --json` in a fresh temp work folder. */
async function runValidateCli(file: string, extraNodeArgs: string[] = []): Promise<CliRun> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-bench-validate-'));
  try {
    const configPath = path.join(work, 'config.json');
    fs.writeFileSync(configPath, JSON.stringify({ work, provider: 'vexora', providers: { vexora: { baseUrl: 'sandbox', country: 'AR' } } }));
    const args = [...extraNodeArgs, path.join(root, 'bin', 'paybatch.js'), 'validate', file, '--provider', 'vexora', '--config', configPath, '--json'];
    const r = await timedNode(args);
    let summary: { rows?: number; state?: string; counts?: { invalid?: number } } = {};
    try {
      const doc = JSON.parse(r.stdout) as unknown;
      summary = (Array.isArray(doc) ? doc[0] : ((doc as { batches?: unknown[] }).batches?.[0] ?? doc)) as typeof summary;
    } catch {
      throw new Error(`validate printed no JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}`);
    }
    return {
      phase: 'validate',
      command: ['node', ...extraNodeArgs, 'bin/paybatch.js', 'validate', file, '--provider', 'vexora', '--config', '<tmp>/config.json', '--json'],
      exitCode: r.code, seconds: r.seconds, timeElapsedSeconds: r.elapsed, userSeconds: r.user, systemSeconds: r.sys, maxRssMB: r.maxRssMB,
      rows: summary.rows ?? -1, invalid: summary.counts?.invalid, state: summary.state,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function measureValidateCli(file: string, rows: number, rounds: number, target: { ratio: number; rssMB: number }, log: (s: string) => void): Promise<CliPhase> {
  const bareStart = await timedNode([path.join(here, 'bare-read.mjs'), '--startup', file]);
  const cliStart = await timedNode([path.join(root, 'bin', 'paybatch.js'), '--help']);
  log(`  start-up: bare node ${bareStart.seconds.toFixed(2)} s, paybatch --help ${cliStart.seconds.toFixed(2)} s (${cliStart.maxRssMB.toFixed(0)} MB)`);
  const runs: CliRun[] = [];
  for (let i = 0; i < rounds; i++) {
    const b = await runBareCli(file);
    log(`  cli ${i + 1} bare read: ${b.seconds.toFixed(2)} s wall, ${(b.userSeconds + b.systemSeconds).toFixed(2)} s CPU, peak RSS ${b.maxRssMB.toFixed(0)} MB`);
    if (b.rows !== rows) throw new Error(`bare read counted ${b.rows} rows, expected ${rows}`);
    const v = await runValidateCli(file);
    log(`  cli ${i + 1} validate:  ${v.seconds.toFixed(2)} s wall, ${(v.userSeconds + v.systemSeconds).toFixed(2)} s CPU, peak RSS ${v.maxRssMB.toFixed(0)} MB, ratio ${(b.seconds / v.seconds).toFixed(3)} (exit ${v.exitCode}, ${v.state}, ${v.rows} rows, ${v.invalid} invalid)`);
    if (v.rows !== rows || v.invalid !== 0) throw new Error(`validate did not pass every row: ${JSON.stringify(v)}`);
    runs.push(b, v);
  }
  const bs = runs.filter((r) => r.phase === 'bare-read');
  const vs = runs.filter((r) => r.phase === 'validate');
  const bareSeconds = median(bs.map((r) => r.seconds));
  const validateSeconds = median(vs.map((r) => r.seconds));
  const ratio = bareSeconds / validateSeconds;
  const validatePeakRssMB = Math.max(...vs.map((r) => r.maxRssMB));
  return {
    file,
    rows,
    rounds,
    startup: { bareSeconds: bareStart.seconds, cliSeconds: cliStart.seconds, cliMaxRssMB: cliStart.maxRssMB },
    runs,
    figures: {
      bareSeconds,
      validateSeconds,
      ratio,
      pairRatios: vs.map((v, i) => bs[i]!.seconds / v.seconds),
      ratioStartupSubtracted: (bareSeconds - bareStart.seconds) / (validateSeconds - cliStart.seconds),
      cpuRatio: median(bs.map((r) => r.userSeconds + r.systemSeconds)) / median(vs.map((r) => r.userSeconds + r.systemSeconds)),
      validatePeakRssPerRunMB: vs.map((r) => Math.round(r.maxRssMB)),
      validatePeakRssMB,
      barePeakRssMB: Math.max(...bs.map((r) => r.maxRssMB)),
      peakRssSource: `highest /usr/bin/time %M (the child's ru_maxrss) of ${rounds} validate processes`,
    },
    targets: {
      ratio: { target: `>= ${target.ratio}`, value: ratio, pass: ratio >= target.ratio },
      rss: { target: `<= ${target.rssMB} MB`, valueMB: validatePeakRssMB, pass: validatePeakRssMB <= target.rssMB },
    },
  };
}

export async function benchIngest(
  options: {
    rows?: number;
    rounds?: number;
    child?: boolean;
    childRounds?: number;
    /** `paybatch validate` CLI rounds (bare read + validate each); 0 skips. */
    cliRounds?: number;
    xlsxRows?: number;
    /** in-process rounds on the XLSX; 0 skips the XLSX phases. */
    xlsxRounds?: number;
    xlsxChildRounds?: number;
    log?: (s: string) => void;
  } = {},
): Promise<IngestReport> {
  const rows = options.rows ?? 1_000_000;
  const rounds = options.rounds ?? 3;
  const childRounds = options.child === false ? 0 : (options.childRounds ?? 2);
  const cliRounds = options.cliRounds ?? 2;
  const xlsxRows = options.xlsxRows ?? 200_000;
  const xlsxRounds = options.xlsxRounds ?? 2;
  const xlsxChildRounds = options.child === false ? 0 : (options.xlsxChildRounds ?? 1);
  const log = options.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const csvTarget = { ratio: 0.6, rssMB: 256 };
  const xlsxTarget = { ratio: 0.7, rssMB: 300 };

  const sheet = await ensureSheet(sheetPath(rows), rows);
  log(`ingest: ${sheet.file} (${rows} rows, ${(sheet.bytes / MB).toFixed(1)} MB, ${sheet.cached ? 'cached' : `generated in ${sheet.seconds.toFixed(1)} s`})`);
  const csv = await measureIngest(sheet, rounds, childRounds, csvTarget, log);

  let csvValidate: CliPhase | null = null;
  if (cliRounds > 0) {
    log(`validate CLI: ${sheet.file}`);
    csvValidate = await measureValidateCli(sheet.file, rows, cliRounds, csvTarget, log);
  }

  let xlsx: IngestPhase | null = null;
  let xlsxValidate: CliPhase | null = null;
  if (xlsxRounds > 0) {
    const xs = await ensureXlsxSheet(xlsxSheetPath(xlsxRows), xlsxRows);
    log(`ingest XLSX: ${xs.file} (${xlsxRows} rows, ${(xs.bytes / MB).toFixed(1)} MB, ${xs.cached ? 'cached' : `generated in ${xs.seconds.toFixed(1)} s`})`);
    xlsx = await measureIngest(xs, xlsxRounds, xlsxChildRounds, xlsxTarget, log);
    if (cliRounds > 0) {
      log(`validate CLI: ${xs.file}`);
      xlsxValidate = await measureValidateCli(xs.file, xlsxRows, cliRounds, xlsxTarget, log);
    }
  }
  return { ...csv, csvValidate, xlsx, xlsxValidate };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// ---- child mode: `node --import tsx bench/ingest.ts --child engine|baseline --file F --sha S` ----
async function childMain(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const phase = arg('--child') as 'baseline' | 'engine';
  const file = arg('--file')!;
  const sha = arg('--sha') ?? '0'.repeat(64);
  const result = phase === 'baseline' ? await runBaseline(file, 'child') : await runEngine(file, sha, 'child');
  result.maxRssMB = process.resourceUsage().maxRSS / 1024; // KB → MB
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--child')) await childMain(process.argv);
  else {
    const report = await benchIngest({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) });
    process.stdout.write(JSON.stringify(report.figures, null, 2) + '\n');
  }
}
