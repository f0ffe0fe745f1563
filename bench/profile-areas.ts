// Where a paybatch process's main thread spends its time, by area, from a V8 .cpuprofile (`node --cpu-prof`).
//   node --import tsx bench/profile-areas.ts <file.cpuprofile> [top=25] [first-ms]
// With first-ms, only the first milliseconds of the profile are counted (a restart's start-up, say).
// (bench/profile-summary.ts lists self and inclusive time per function; this groups the same samples.)
//
// Each sample goes to one area: first by its leaf frame (GC, idle, a better-sqlite3 transaction's own
// BEGIN/COMMIT — with synchronous=FULL that is where the WAL fsync happens —, statement prepare, JSON.parse /
// stringify, hashing and RSA), else by the nearest frame up its stack that belongs to an area (signing,
// logging, pacer, journal, HTTP, reports, read+validate, module loading, engine). Native calls are sampled as
// part of the JavaScript function that made them (a statement's run() in applyPatch counts as applyPatch), and
// so are builtins such as JSON.parse: the JSON area is a lower bound.
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export const AREAS = [
  'sqlite commit (BEGIN/COMMIT, fsync)',
  'sqlite statement prepare',
  'journal: reading rows back (getPayout, row mapping)',
  'journal: statements + bookkeeping',
  'HTTP (undici fetch, sockets, AbortSignal)',
  'signing (MD5 / RSA)',
  'JSON parse/stringify',
  'garbage collection',
  'logging (winston)',
  'pacer',
  'engine (runner, batch, p-limit)',
  'reports (results, reconciliation)',
  'read + validate (sheet, ingest)',
  'module loading (tsx, ESM)',
  'V8/native other (program)',
  'other',
  'idle',
] as const;
export type Area = (typeof AREAS)[number];

const isJournalReadBack = (fn: string) => /^(getPayout|payout|payoutFromRow|fieldsOf|big)$/.test(fn);

function leafArea(fn: string, url: string, parentFn: string): Area | undefined {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native other (program)';
  if (url.includes('better-sqlite3/lib/methods/transaction.js')) return 'sqlite commit (BEGIN/COMMIT, fsync)';
  if (url.includes('better-sqlite3/lib/methods/wrappers.js') && fn === 'prepare') return 'sqlite statement prepare';
  // JSON.parse/stringify are builtins: V8 samples them as their caller's self time, so only callers that do
  // little else count here (payoutFromRow's JSON.parse of original_json stays with the journal read-back).
  if (/^(parseJson|detailJson|toJson)$/.test(fn) || (!url && (fn === 'parse' || fn === 'stringify') && parentFn !== 'URL')) return 'JSON parse/stringify';
  if (url.startsWith('node:internal/crypto') || (!url && /^(digest|update|sign|verify|oneShotDigest)$/.test(fn))) return 'signing (MD5 / RSA)';
  return undefined;
}

function frameArea(fn: string, url: string): Area | undefined {
  if (/src\/providers\/[^/]+\/sign\.ts/.test(url) || url.includes('src/providers/jwt.ts')) return 'signing (MD5 / RSA)';
  if (url.includes('src/log.ts') || /node_modules\/(winston|logform|triple-beam|winston-transport|readable-stream)\//.test(url)) return 'logging (winston)';
  if (url.includes('src/engine/pacer.ts')) return 'pacer';
  if (url.includes('src/journal/')) return isJournalReadBack(fn) ? 'journal: reading rows back (getPayout, row mapping)' : 'journal: statements + bookkeeping';
  if (url.includes('node_modules/better-sqlite3/')) return 'journal: statements + bookkeeping';
  if (url.includes('src/providers/http.ts') || url.includes('undici') || /^node:internal\/(http|net|stream|webstreams|abort_controller|url|dns|event_target|streams)/.test(url) || url === 'node:net' || fn === 'writev' || fn === 'writeBuffers' || fn === 'writeUtf8String')
    return 'HTTP (undici fetch, sockets, AbortSignal)';
  if (url.includes('src/report/') || url.includes('src/engine/reporting.ts') || /node_modules\/(exceljs|csv-stringify|archiver|jszip|zip-stream|compress-commons|saxes)\//.test(url)) return 'reports (results, reconciliation)';
  if (url.includes('src/sheet/') || url.includes('src/validate/') || url.includes('src/engine/ingest.ts') || /node_modules\/(csv-parse|iconv-lite|decimal\.js)\//.test(url)) return 'read + validate (sheet, ingest)';
  if (url.includes('src/providers/')) return 'HTTP (undici fetch, sockets, AbortSignal)';
  if (/^node:internal\/modules|node_modules\/(tsx|esbuild|get-tsconfig)\/|source_map|cjs-module-lexer/.test(url) || /^(wrapSafe|compileFunction|compileSourceTextModule)$/.test(fn)) return 'module loading (tsx, ESM)';
  if (url.includes('src/engine/') || url.includes('src/cli/') || url.includes('node_modules/p-limit/') || url.includes('node_modules/yocto-queue/')) return 'engine (runner, batch, p-limit)';
  return undefined;
}

export interface AreaSummary {
  file: string;
  sampledSeconds: number;
  busySeconds: number;
  areas: { area: Area; ms: number; share: number; shareOfBusy: number }[];
  self: { fn: string; ms: number; share: number }[];
  /** Who calls JSON.parse / stringify (the leaf's parent), by time. */
  jsonCallers: { fn: string; ms: number }[];
}

export function summariseProfile(file: string, top = 25, firstMs = Infinity): AreaSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cleanUrl = (u: string) => u.replace(/^file:\/\//, '');
  const areaOfNode = new Map<number, Area>();
  const areaOf = (id: number): Area => {
    const cached = areaOfNode.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!;
    const up = parent.get(id);
    let area = leafArea(leaf.callFrame.functionName, cleanUrl(leaf.callFrame.url), up === undefined ? '' : byId.get(up)!.callFrame.functionName);
    for (let cur: number | undefined = id; !area && cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      area = frameArea(cf.functionName, cleanUrl(cf.url));
    }
    area ??= 'other';
    areaOfNode.set(id, area);
    return area;
  };
  const areaUs = new Map<Area, number>();
  const selfUs = new Map<string, number>();
  const jsonUs = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    const dt = prof.timeDeltas[i] ?? 0;
    if ((total + dt) / 1000 > firstMs) break;
    total += dt;
    const a = areaOf(id);
    areaUs.set(a, (areaUs.get(a) ?? 0) + dt);
    const cf = byId.get(id)!.callFrame;
    const label = `${cf.functionName || '(anonymous)'} ${cleanUrl(cf.url).replace(/.*node_modules\//, 'nm/').replace(/.*\/(src|bench)\//, '$1/')}`.trim();
    selfUs.set(label, (selfUs.get(label) ?? 0) + dt);
    if (a === 'JSON parse/stringify') {
      const p = parent.get(id);
      const pf = p !== undefined ? byId.get(p)!.callFrame : undefined;
      const caller = pf ? `${cf.functionName} ← ${pf.functionName || '(anonymous)'}` : cf.functionName;
      jsonUs.set(caller, (jsonUs.get(caller) ?? 0) + dt);
    }
  }
  const idle = areaUs.get('idle') ?? 0;
  const busy = total - idle;
  const ms = (us: number) => Math.round(us / 1000);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    file,
    sampledSeconds: r3(total / 1e6),
    busySeconds: r3(busy / 1e6),
    areas: AREAS.map((area) => ({ area, us: areaUs.get(area) ?? 0 }))
      .filter((a) => a.us > 0)
      .sort((a, b) => b.us - a.us)
      .map(({ area, us }) => ({ area, ms: ms(us), share: r3(us / total), shareOfBusy: area === 'idle' ? 0 : r3(us / busy) })),
    self: [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: ms(us), share: r3(us / total) })),
    jsonCallers: [...jsonUs].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([fn, us]) => ({ fn, ms: ms(us) })),
  };
}

export function formatSummary(s: AreaSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
  const lines = [`${s.file}: ${s.sampledSeconds} s sampled, ${s.busySeconds} s busy (not idle)`, '', 'by area (share of sampled time, share of busy time):'];
  for (const a of s.areas) lines.push(`${pct(a.share)} ${a.area === 'idle' ? '      ' : pct(a.shareOfBusy)}  ${String(a.ms).padStart(7)} ms  ${a.area}`);
  lines.push('', 'top self time:');
  for (const f of s.self) lines.push(`${pct(f.share)}  ${String(f.ms).padStart(7)} ms  ${f.fn}`);
  if (s.jsonCallers.length) {
    lines.push('', 'JSON by caller:');
    for (const f of s.jsonCallers) lines.push(`         ${String(f.ms).padStart(7)} ms  ${f.fn}`);
  }
  return lines.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, topArg, firstArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile-areas.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(formatSummary(summariseProfile(file, Number(topArg ?? 25), firstArg === undefined ? Infinity : Number(firstArg))));
}
