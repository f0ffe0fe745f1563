// The baseline of bench/throughput.ts: a minimal paced client with no journal, in its own process.
//   node --import tsx bench/paced-client.ts --config cfg.json --provider vexora --rows 10000 --rate 1000 \
//        --concurrency 64 --first-after 1 --max-interval 5 [--burst 20] [--tag BL1]
//
// It uses the provider's real adapter (src/providers/<id>/client.ts: the same signing, undici fetch and answer
// parsing as paybatch) on payouts built in memory, and does what a paybatch run has to do at the provider:
// one create per payout, then a query `--first-after` seconds later, and again (backing off to
// `--max-interval`) until the payout is final. Due queries go before new creates. Nothing is read from a sheet
// and nothing is written anywhere: what it reaches is what the machine, the HTTP stack and the sandbox allow.
//
// Pacing is a virtual-schedule token bucket (GCRA): evenly spaced slots at `--rate`, and a caller that comes
// late may use up to `--burst` missed slots at once. With the sandbox's bucket at one second of burst, a client
// burst of 20 can never be refused.
//
// Prints one JSON line: what it sent and what it was answered, its wall and CPU time.
import { loadConfig, resolveProvider } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import type { PayoutRequest } from '../src/providers/types.ts';

const argv = process.argv.slice(2);
const opt = (name: string, fallback?: string): string => {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`paced-client: ${name} is required`);
  return v;
};
const providerId = opt('--provider', 'vexora');
const rows = Number(opt('--rows', '10000'));
const rate = Number(opt('--rate', '1000'));
const concurrency = Number(opt('--concurrency', '64'));
const firstAfterMs = Number(opt('--first-after', '1')) * 1000;
const maxIntervalMs = Number(opt('--max-interval', '5')) * 1000;
const burst = Number(opt('--burst', '20'));
const tag = opt('--tag', String(Date.now() % 1e9));

const config = loadConfig({ configPath: opt('--config') });
const resolved = resolveProvider(config, providerId);
const adapter = resolved.module.createAdapter(resolved.block, { log: silentLogger() });

/** Payout i as the engine would hand it to the adapter (runner.ts toRequest). */
function payout(i: number): PayoutRequest {
  if (providerId === 'vexora') {
    return {
      payoutId: `bl-${i}`, batchId: 'bl', rowNumber: i + 1,
      merchantReference: `BL${tag}${String(i).padStart(7, '0')}`,
      amountMinor: 150000n, amount: '1500.00', currency: 'ARS',
      fields: {
        amount: '1500', currency: 'ARS', account_number: `0000003${String(i).padStart(14, '0')}1`,
        mobile: `09${String(i % 100_000_000).padStart(8, '0')}`, email: `payee${i}@example.com`,
        first_name: 'Ana', last_name: 'Perez', note: 'November payout',
      },
      extra: {}, additional: {},
    };
  }
  if (providerId === 'starpay') {
    return {
      payoutId: `bl-${i}`, batchId: 'bl', rowNumber: i + 1,
      merchantReference: `9${tag.replace(/\D/g, '').padStart(9, '0')}${String(i).padStart(8, '0')}`,
      amountMinor: 10000n, amount: '100.00', currency: 'PHP',
      fields: {
        method: 'instapay', amount: '100.00', currency: 'PHP', account_number: `30511${String(i).padStart(8, '0')}1`,
        account_name: 'Ana Lim', bank_name: 'BDO Unibank, Inc.', note: 'November payroll',
      },
      extra: {}, additional: {},
    };
  }
  throw new Error(`paced-client: no payout shape for provider ${providerId}`);
}

// ---- pacing: virtual-schedule token bucket ----
const interval = 1000 / rate;
let nextSlot = 0;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function acquire(): Promise<void> {
  const now = performance.now();
  const start = Math.max(nextSlot, now - burst * interval);
  nextSlot = start + interval;
  if (start - now > 0.5) await sleep(start - now);
}

// ---- due queries: a small binary heap on due time ----
interface Due { at: number; i: number; polls: number }
const heap: Due[] = [];
function push(d: Due): void {
  heap.push(d);
  let k = heap.length - 1;
  while (k > 0) {
    const p = (k - 1) >> 1;
    if (heap[p]!.at <= heap[k]!.at) break;
    [heap[p], heap[k]] = [heap[k]!, heap[p]!];
    k = p;
  }
}
function pop(): Due {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length) {
    heap[0] = last;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
      if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
      if (m === k) break;
      [heap[m], heap[k]] = [heap[k]!, heap[m]!];
      k = m;
    }
  }
  return top;
}

const counts = { creates: 0, queries: 0, accepted: 0, final: 0, throttled: 0, unknown: 0, rejected: 0, other: 0 };
const retryCreates: number[] = [];
let nextCreate = 0;
let settled = 0;
const requests = new Map<number, PayoutRequest>();

async function worker(): Promise<void> {
  for (;;) {
    if (settled >= rows) return;
    const now = performance.now();
    let job: { kind: 'create'; i: number } | { kind: 'query'; due: Due } | undefined;
    if (heap.length && heap[0]!.at <= now) job = { kind: 'query', due: pop() };
    else if (retryCreates.length) job = { kind: 'create', i: retryCreates.shift()! };
    else if (nextCreate < rows) job = { kind: 'create', i: nextCreate++ };
    if (!job) {
      await sleep(heap.length ? Math.max(1, heap[0]!.at - now) : 5);
      continue;
    }
    await acquire();
    if (job.kind === 'create') {
      const p = payout(job.i);
      requests.set(job.i, p);
      counts.creates++;
      const o = await adapter.submit(p);
      const at = performance.now();
      if (o.kind === 'accepted') {
        counts.accepted++;
        if (o.reading.canonical === 'pending') push({ at: at + firstAfterMs, i: job.i, polls: 0 });
        else settled++;
      } else if (o.kind === 'notSent') {
        if (o.throttled) counts.throttled++;
        else counts.other++;
        retryCreates.push(job.i);
      } else if (o.kind === 'unknown') {
        counts.unknown++;
        push({ at: at + firstAfterMs, i: job.i, polls: 0 });
      } else {
        counts.rejected++;
        settled++;
      }
    } else {
      const { due } = job;
      counts.queries++;
      const o = await adapter.query(requests.get(due.i)!);
      const at = performance.now();
      if (o.kind === 'status' && o.reading.canonical !== 'pending') {
        counts.final++;
        settled++;
        requests.delete(due.i);
      } else {
        if (o.kind === 'unknown' && o.throttled) counts.throttled++;
        const wait = o.kind === 'unknown' && o.retryAfterMs ? o.retryAfterMs : Math.min(maxIntervalMs, Math.max(250, firstAfterMs) * 2 ** Math.min(due.polls, 20));
        push({ at: at + wait, i: due.i, polls: due.polls + 1 });
      }
    }
  }
}

const t0 = performance.now();
const c0 = process.cpuUsage();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
await adapter.close?.();
process.stdout.write(
  JSON.stringify({ provider: providerId, rows, rate, concurrency, burst, firstAfterMs, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, counts }) + '\n',
);
process.exit(0);
