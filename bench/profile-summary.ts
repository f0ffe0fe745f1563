// Summarises a V8 .cpuprofile (from `node --cpu-prof …`): self time per function and inclusive time of the
// functions that matter, as shares of the sampled time.
//   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=30] [inclusive-name-regex]
import fs from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg, incArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top] [inclusive-regex]\n');
  process.exit(2);
}
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const top = Number(topArg ?? 30);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0;
  total += dt;
  selfUs.set(prof.samples[i]!, (selfUs.get(prof.samples[i]!) ?? 0) + dt);
}

const label = (n: Node) => {
  const cf = n.callFrame;
  const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').replace(process.cwd() + path.sep, '').replace(/.*node_modules\//, 'nm/')}:${cf.lineNumber + 1}` : '';
  return `${cf.functionName || '(anonymous)'} ${where}`.trim();
};

const selfBy = new Map<string, number>();
for (const [id, us] of selfUs) {
  const l = label(byId.get(id)!);
  selfBy.set(l, (selfBy.get(l) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
process.stdout.write(`total sampled ${(total / 1e6).toFixed(2)} s\n\nself time:\n`);
for (const [l, us] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${l}\n`);

// Inclusive time: a sample counts once for every distinct function label on its stack.
const incBy = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    incBy.set(l, (incBy.get(l) ?? 0) + us);
  }
}
const re = new RegExp(incArg ?? '(src/|bench/)');
process.stdout.write(`\ninclusive time (labels matching ${re}):\n`);
for (const [l, us] of [...incBy].filter(([l]) => re.test(l)).sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${l}\n`);
