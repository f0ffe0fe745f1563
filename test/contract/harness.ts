// What the contract suite needs to drive one provider module against its own sandbox over loopback HTTP:
// the sandbox (started in-process with its built-in credentials), an adapter pointed at it, a receiver for
// the sandbox's callbacks, payouts built from the provider's sandbox kit, and the sandbox's control
// endpoints (fault injection, ledger counts). Nothing here names a provider.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/log.ts';
import { minorToWire, wireToMinor } from '../../src/providers/money.ts';
import type { CallbackRequest, PayoutRequest, ProviderAdapter, ProviderBlock, ProviderModule, SandboxHandle } from '../../src/providers/types.ts';
import type { FaultRuleInput } from '../../src/sandbox/settings.ts';

/** A callback as the receiver got it, in the shape an adapter verifies. */
export interface Received extends CallbackRequest {
  text: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A loopback HTTP server that keeps every request and answers 200. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      received.push({ method: req.method ?? 'POST', path: req.url ?? '/', headers: req.headers, rawBody, text: rawBody.toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback URL nothing listens on (a listener opened and closed again). */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until `done` holds for its value (or fails with the last value seen). */
export async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    await sleep(150);
    last = await probe();
  }
  return last;
}

export interface Harness {
  module: ProviderModule;
  sandbox: SandboxHandle;
  receiver: Receiver;
  /** The provider block as the loader would parse it, pointed at the sandbox. */
  block: ProviderBlock;
  adapter: ProviderAdapter;
  /** An adapter of the same block pointed elsewhere (a dead port). */
  adapterAt(baseUrl: string): ProviderAdapter;
  /** A journaled payout of the kit's row (payable, or ending as asked), with a fresh derived reference. */
  payout(ending?: string): PayoutRequest;
  /** A payout of the kit's row the sandbox refuses. */
  refusedPayout(): PayoutRequest;
  /** The payout after its payee set-up, where the provider declares `prepare`. */
  prepared(p: PayoutRequest): Promise<PayoutRequest>;
  faults(rules: FaultRuleInput[]): Promise<void>;
  /** How many payouts the sandbox created for `reference`. */
  created(reference: string): Promise<number>;
  close(): Promise<void>;
}

const TIMEOUT_SECONDS = 1;

export async function startHarness(module: ProviderModule): Promise<Harness> {
  const credentials = Object.fromEntries(module.credentials.map((c) => [c.key, c.sandboxValue]));
  const sandbox = await module.startSandbox({ credentials, settings: { settleAfterSeconds: 0.3, reverseAfterSeconds: 0.3 } });
  const receiver = await startReceiver();
  const block = module.configSchema.parse({ baseUrl: sandbox.url, ...credentials, callbackUrl: receiver.url, timeoutSeconds: TIMEOUT_SECONDS });
  const ctx = { log: silentLogger(), callbackUrl: receiver.url };
  const adapterAt = (baseUrl: string) => module.createAdapter({ ...block, baseUrl }, ctx);
  // Derived references, as the engine gives rows without one: unique per run, valid for the provider.
  const batchKey = `20261121-${crypto.randomBytes(4).toString('hex')}`;
  let row = 0;

  function payoutOf(cells: Record<string, string>): PayoutRequest {
    const rowNumber = ++row;
    const fields: Record<string, string> = {};
    const extra: Record<string, string> = {};
    const additional: Record<string, string> = {};
    for (const [k, v] of Object.entries(cells)) {
      if (k.startsWith('extra.')) extra[k.slice('extra.'.length)] = v;
      else if (k.startsWith('field.')) additional[k.slice('field.'.length)] = v;
      else fields[k] = v;
    }
    const currency = cells.currency!;
    const amountMinor = wireToMinor(cells.amount, currency)!;
    return {
      payoutId: `${batchKey}-${rowNumber}`,
      batchId: batchKey,
      rowNumber,
      merchantReference: module.deriveReference(batchKey, rowNumber),
      amountMinor,
      amount: minorToWire(amountMinor, currency),
      currency,
      fields,
      extra,
      additional,
    };
  }

  async function control(path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${sandbox.url}/__sandbox/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  }

  const adapter = module.createAdapter(block, ctx);
  return {
    module,
    sandbox,
    receiver,
    block,
    adapter,
    adapterAt,
    payout: (ending = '1111') => payoutOf(module.sandboxKit.row(batchKey, row + 1, ending)),
    refusedPayout: () => payoutOf(module.sandboxKit.refused(batchKey, row + 1)),
    async prepared(p) {
      if (!module.capabilities.prepare) return p;
      const outcome = await adapter.prepare!(p);
      if (outcome.kind !== 'ready') throw new Error(`payee set-up: ${JSON.stringify(outcome)}`);
      return { ...p, prepared: outcome.prepared };
    },
    async faults(rules) {
      await control('faults', { faults: rules });
    },
    async created(reference) {
      const stats = (await control('stats')) as { created: Record<string, number> };
      return stats.created[reference] ?? 0;
    },
    async close() {
      await adapter.close?.();
      await receiver.close();
      await sandbox.close();
    },
  };
}
