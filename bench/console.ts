// Console benchmark (DESIGN §13, issue 15): how long the batch page takes on a batch of 100,000 rows. The
// journal is built directly (createBatch, insertRows in chunks of 1,000, then each row moved to a final status
// in transactions of 1,000: 90% succeeded, 8% failed, 2% needs_review), then `paybatch console` is started as
// its own process on that work folder and asked over loopback HTTP, signed in, like a browser would:
//   - the batch page, first page of rows;
//   - the batch page filtered to `succeeded`, page 500 (rows 49,901–50,000 of that status: keyset paging);
//   - /metrics.
// Each: 3 warm-up requests, then the median (and p90, max) of 20 sequential requests, time to the last byte.
//   node --import tsx bench/run.ts --only console [--rows 100000] [--requests 20]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEngine } from '../src/cli/context.ts';
import type { NewPayout } from '../src/journal/contract.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Timing {
  what: string;
  url: string;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  bytes: number;
}

export interface ConsoleReport {
  rows: number;
  requests: number;
  buildSeconds: number;
  timings: Timing[];
}

const PASSWORD = 'bench-console-password';

async function buildJournal(config: string, rows: number): Promise<{ batchId: string; after500: number }> {
  const opened = await openEngine({ config, json: true }, 'bench-console', { lock: false });
  const { journal } = opened.engine;
  const batchId = `bench-${Date.now().toString(36)}`;
  journal.createBatch({ id: batchId, fileName: 'payouts-100k.csv', fileSha256: batchId.padEnd(64, '0'), fileBytes: rows * 120, provider: 'vexora', sourcePath: '/nowhere/payouts-100k.csv', format: 'csv' });
  const header = ['reference', 'amount', 'currency', 'account_number', 'first_name', 'last_name'];
  journal.updateBatch(batchId, { header, columns: header.map((h, i) => [h, i]), amountColumn: 1, maskColumns: [3], rowCount: rows, state: 'submitting' });
  const finalOf = (i: number) => (i % 50 === 0 ? 'needs_review' : i % 12 === 0 ? 'failed' : 'succeeded');
  let succeeded = 0;
  let after500 = 0;
  for (let start = 1; start <= rows; start += 1000) {
    const chunk: NewPayout[] = [];
    for (let i = start; i < Math.min(start + 1000, rows + 1); i++) {
      const reference = `B-${i}`;
      const amount = String(10_000 + (i % 90_000));
      const original = [reference, `${amount.slice(0, -2)}.${amount.slice(-2)}`, 'ARS', `00000031000000${String(i).padStart(8, '0')}`, 'Ana', 'Perez'];
      chunk.push({ rowNumber: i + 1, merchantReference: reference, status: 'validated', amountMinor: BigInt(amount), currency: 'ARS', original, fields: { reference, amount: original[1]!, currency: 'ARS' } });
    }
    journal.insertRows(batchId, 'vexora', chunk, []);
    journal.atomically(() => {
      for (const p of chunk) {
        const id = `${batchId}-${p.rowNumber}`;
        const to = finalOf(p.rowNumber - 1);
        journal.transition(id, 'submitting', { createAttempts: 1 }, { type: 'submit-started' });
        journal.recordAttempt(id, 'create', new Date().toISOString(), 'accepted');
        journal.transition(id, to, { rawStatus: to, completedAt: new Date().toISOString(), errorMessage: to === 'succeeded' ? null : 'bench row' }, { type: 'bench-final' });
        // Page 500 of `succeeded` starts after the 49,900th succeeded row.
        if (to === 'succeeded' && ++succeeded === 49_900) after500 = p.rowNumber;
      }
    });
  }
  journal.updateBatch(batchId, { state: 'completed', completedAt: new Date().toISOString() });
  await opened.close();
  return { batchId, after500 };
}

async function startConsole(config: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(root, 'bin/paybatch.js'), 'console', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const seen = (d: Buffer) => {
      out += d;
      const m = /console on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => reject(new Error(`paybatch console exited ${code}: ${out}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function signIn(url: string): Promise<string> {
  const login = await fetch(`${url}/login`);
  const nonce = /pb_login=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { cookie: `pb_login=${nonce}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, name: 'bench', password: PASSWORD, next: '/' }),
    redirect: 'manual',
  });
  const session = /pb_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error(`sign-in failed: ${res.status}`);
  return `pb_session=${session}`;
}

async function time(what: string, url: string, cookie: string, requests: number): Promise<Timing> {
  const once = async () => {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    return { ms: performance.now() - t0, bytes: body.byteLength };
  };
  for (let i = 0; i < 3; i++) await once();
  const runs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < requests; i++) {
    const r = await once();
    runs.push(r.ms);
    bytes = r.bytes;
  }
  runs.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { what, url: url.replace(/^http:\/\/[^/]+/, ''), medianMs: round(runs[Math.floor(runs.length / 2)]!), p90Ms: round(runs[Math.floor(runs.length * 0.9)]!), maxMs: round(runs.at(-1)!), bytes };
}

export async function benchConsole(options: { rows?: number; requests?: number } = {}): Promise<ConsoleReport> {
  const rows = options.rows ?? 100_000;
  const requests = options.requests ?? 20;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-bench-console-'));
  try {
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        work: path.join(dir, 'work'),
        provider: 'vexora',
        logging: { level: 'warn' },
        providers: { vexora: { baseUrl: 'sandbox' } },
        console: { port: 0, users: [{ name: 'bench', password: PASSWORD, roles: ['viewer'] }] },
      }),
    );
    const t0 = performance.now();
    const { batchId, after500 } = await buildJournal(config, rows);
    const buildSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const server = await startConsole(config);
    try {
      const cookie = await signIn(server.url);
      const batch = `${server.url}/batches/${batchId}`;
      const timings = [
        await time('batch page, first 100 rows', batch, cookie, requests),
        await time('batch page, succeeded rows, page 500', `${batch}?status=succeeded&after=${after500}`, cookie, requests),
        await time('/metrics', `${server.url}/metrics`, cookie, requests),
      ];
      return { rows, requests, buildSeconds, timings };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
