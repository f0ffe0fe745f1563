// A provider sandbox in its own process, instrumented for bench/throughput.ts. Started with
// child_process.fork (IPC, advanced serialisation) so its CPU is not the paybatch process's:
//   node --import tsx bench/sandbox-host.ts --provider vexora --rate 1000 --burst 1000 --settle 0.5
//
// It starts the provider module's own sandbox (src/sandbox/server.ts, the same code `paybatch sandbox` runs)
// and records every request it receives, without changing what the sandbox answers:
//   - arrival time of each request (when its headers arrive), its kind (create / query / other) and whether
//     the sandbox's token bucket let it through (TokenBucket.prototype.take is wrapped: it is called
//     synchronously for every routed request, before any fault or handler runs);
//   - per merchant reference: create requests let through, query requests, first create and last query time.
// Times are epoch milliseconds with sub-millisecond precision (performance.timeOrigin + performance.now()), the
// same clock the parent uses.
//
// IPC messages from the parent:
//   { type: 'watchCreates', count }  → { type: 'createsReached', at, creates } once that many creates got through
//   { type: 'mark' }                 → { type: 'firstRequest', at, kind, path } for the next request after it
//   { type: 'snapshot' }             → { type: 'snapshot', ... } everything recorded, plus the sandbox's stats
//   { type: 'stop' }                 → closes the sandbox and exits
import http from 'node:http';
import { TokenBucket } from '../src/sandbox/rate-limit.ts';
import { getProvider } from '../src/providers/registry.ts';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const providerId = opt('--provider', 'vexora');
const rate = Number(opt('--rate', '1000'));
const burst = Number(opt('--burst', String(rate)));
const settle = Number(opt('--settle', '0.5'));

const clock = () => performance.timeOrigin + performance.now();

/** Request paths of each provider by kind (the routes' own `kind`, as src/providers/<id>/sandbox.ts declares). */
const KINDS: Record<string, { create: string[]; query: string[] }> = {
  vexora: { create: ['/v1/vexora/disbursements'], query: ['/v1/vexora/queryPayOutResult'] },
  starpay: { create: ['/v1/disburse'], query: ['/v1/disburse/query'] },
};
const kinds = KINDS[providerId];
if (!kinds) throw new Error(`sandbox-host: no request kinds for provider ${providerId}`);
const KIND_CREATE = 0;
const KIND_QUERY = 1;
const KIND_OTHER = 2;
const kindOf = (pathname: string) => (kinds.create.includes(pathname) ? KIND_CREATE : kinds.query.includes(pathname) ? KIND_QUERY : KIND_OTHER);

/** The merchant reference a request is about: Vexora tradeNo; Starpay msgId (create) or originalMsgId (query). */
function referenceOf(kind: number, text: string): string | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (providerId === 'vexora') return typeof body.tradeNo === 'string' ? body.tradeNo : undefined;
    const request = body.request as Record<string, unknown> | undefined;
    const ref = kind === KIND_QUERY ? request?.originalMsgId : request?.msgId;
    return typeof ref === 'string' ? ref : undefined;
  } catch {
    return undefined;
  }
}

// ---- recording ----------------------------------------------------------------------------------------
let cap = 1 << 16;
let times = new Float64Array(cap);
let kindCodes = new Uint8Array(cap);
/** 1 = let through by the token bucket, 0 = refused ("too many requests"), 2 = not routed (no bucket call). */
let passed = new Uint8Array(cap);
let n = 0;
function grow(): void {
  cap *= 2;
  const t = new Float64Array(cap);
  t.set(times);
  times = t;
  const k = new Uint8Array(cap);
  k.set(kindCodes);
  kindCodes = k;
  const p = new Uint8Array(cap);
  p.set(passed);
  passed = p;
}

interface RefStats {
  createsPassed: number;
  createsRefused: number;
  queries: number;
  queriesRefused: number;
  firstCreateAt: number;
  lastQueryAt: number;
}
const refs = new Map<string, RefStats>();
let createsPassedTotal = 0;
let watchCreates = 0;
let marked = false;

// The bucket's verdict for the request being handled: take() runs synchronously inside the sandbox's own
// 'end' listener, which was registered before ours, so ours reads it right after.
let lastTake: boolean | null = null;
const originalTake = TokenBucket.prototype.take;
TokenBucket.prototype.take = function (this: TokenBucket) {
  const r = originalTake.call(this);
  lastTake = r.ok;
  return r;
};

const originalCreateServer = http.createServer.bind(http) as (listener: http.RequestListener) => http.Server;
(http as unknown as { createServer: unknown }).createServer = (listener: http.RequestListener) =>
  originalCreateServer((req, res) => {
    const at = clock();
    const pathname = (req.url ?? '/').split('?')[0]!;
    const control = pathname.startsWith('/__sandbox/');
    listener(req, res);
    if (control) return;
    const kind = kindOf(pathname);
    if (marked) {
      marked = false;
      process.send!({ type: 'firstRequest', at, kind: ['create', 'query', 'other'][kind], path: pathname });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const verdict = lastTake;
      lastTake = null;
      if (n === cap) grow();
      times[n] = at;
      kindCodes[n] = kind;
      passed[n] = verdict === null ? 2 : verdict ? 1 : 0;
      n++;
      if (kind === KIND_OTHER) return;
      const ref = referenceOf(kind, Buffer.concat(chunks).toString('utf8'));
      if (ref === undefined) return;
      let s = refs.get(ref);
      if (!s) {
        s = { createsPassed: 0, createsRefused: 0, queries: 0, queriesRefused: 0, firstCreateAt: 0, lastQueryAt: 0 };
        refs.set(ref, s);
      }
      if (kind === KIND_CREATE) {
        if (verdict) {
          s.createsPassed++;
          if (!s.firstCreateAt) s.firstCreateAt = at;
          createsPassedTotal++;
          if (watchCreates && createsPassedTotal >= watchCreates) {
            watchCreates = 0;
            process.send!({ type: 'createsReached', at: clock(), creates: createsPassedTotal });
          }
        } else s.createsRefused++;
      } else {
        s.queries++;
        if (!verdict) s.queriesRefused++;
        s.lastQueryAt = Math.max(s.lastQueryAt, at);
      }
    });
  });

// ---- the sandbox --------------------------------------------------------------------------------------
const provider = getProvider(providerId);
if (!provider) throw new Error(`sandbox-host: unknown provider ${providerId}`);
const credentials = Object.fromEntries(provider.credentials.map((c) => [c.key, c.sandboxValue]));
const handle = (await provider.startSandbox({
  host: '127.0.0.1',
  port: 0,
  credentials,
  settings: { ratePerSecond: rate, burst, settleAfterSeconds: settle, callbacks: false },
})) as { url: string; close(): Promise<void>; stats?: () => Record<string, unknown>; server?: { stats(): Record<string, unknown> } };

function sandboxStats(): Record<string, unknown> {
  const s = handle.stats?.() ?? handle.server?.stats() ?? {};
  // The per-reference maps are large (one entry per payout) and already summarised here.
  const { createRequests, created, ...rest } = s as { createRequests?: Record<string, number>; created?: Record<string, number> };
  const over = (m: Record<string, number> | undefined) => Object.values(m ?? {}).filter((x) => x > 1).length;
  return { ...rest, referencesCreatedMoreThanOnce: over(created), referencesWithMoreThanOneCreateRequest: over(createRequests) };
}

process.on('message', async (msg: { type: string; count?: number }) => {
  if (msg.type === 'watchCreates') {
    watchCreates = msg.count ?? 0;
    if (watchCreates && createsPassedTotal >= watchCreates) {
      watchCreates = 0;
      process.send!({ type: 'createsReached', at: clock(), creates: createsPassedTotal });
    }
  } else if (msg.type === 'mark') {
    marked = true;
    process.send!({ type: 'marked' });
  } else if (msg.type === 'snapshot') {
    const refList = [...refs.values()];
    const cpu = process.cpuUsage();
    process.send!({
      type: 'snapshot',
      requests: { times: times.slice(0, n), kinds: kindCodes.slice(0, n), passed: passed.slice(0, n) },
      refs: {
        createsPassed: Uint16Array.from(refList, (r) => r.createsPassed),
        createsRefused: Uint16Array.from(refList, (r) => r.createsRefused),
        queries: Uint16Array.from(refList, (r) => r.queries),
        queriesRefused: Uint16Array.from(refList, (r) => r.queriesRefused),
        firstCreateAt: Float64Array.from(refList, (r) => r.firstCreateAt),
        lastQueryAt: Float64Array.from(refList, (r) => r.lastQueryAt),
      },
      sandbox: sandboxStats(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  } else if (msg.type === 'stop') {
    await handle.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', url: handle.url, pid: process.pid });
