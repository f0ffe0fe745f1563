// The StarPago adapter against its sandbox over real loopback HTTP: token, create, settle, faults,
// callbacks, balance.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { createAdapter, type StarPagoAdapter } from '../../src/providers/starpago/client.ts';
import { starpagoProvider } from '../../src/providers/starpago/index.ts';
import { SANDBOX_APP_ID, SANDBOX_APP_SECRET, startStarPagoSandbox, type StarPagoSandbox } from '../../src/providers/starpago/sandbox.ts';
import { starpagoConfigSchema } from '../../src/providers/starpago/schema.ts';
import { signJwt } from '../../src/providers/starpago/sign.ts';
import type { CallbackRequest, PayoutRequest, QueryOutcome, SubmitOutcome } from '../../src/providers/types.ts';

const credentials = { appId: SANDBOX_APP_ID, appSecret: SANDBOX_APP_SECRET };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// CLABEs with valid check digits whose last 4 digits pick the sandbox outcome.
const CLABE = {
  ok: '072180037338760001',
  fail: '072180037599090002',
  stuck: '021180037375950003',
  reverse: '012180037785040004',
  shortPay: '014180037822230005',
  exception: '002180037747850006',
};

let counter = 0;
function payout(clabe = CLABE.ok, amount = '1500.00', over: Partial<PayoutRequest> = {}): PayoutRequest {
  const ref = `IT${process.pid}${Date.now().toString(36)}${++counter}`.slice(0, 32);
  const [int, frac = ''] = amount.split('.');
  return {
    payoutId: ref,
    batchId: 'b1',
    rowNumber: counter + 1,
    merchantReference: ref,
    amountMinor: BigInt(int! + frac.padEnd(2, '0')),
    amount,
    currency: 'MXN',
    fields: { method: 'SPEI' },
    extra: { clabe, beneficiaryName: 'Ana López' },
    additional: {},
    ...over,
  };
}

function adapterFor(url: string, over: Record<string, unknown> = {}, callbackUrl?: string): StarPagoAdapter {
  const config = starpagoConfigSchema.parse({ baseUrl: url, ...credentials, timeoutSeconds: 2, ...over });
  return createAdapter(config, { log: silentLogger(), ...(callbackUrl ? { callbackUrl } : {}) });
}

async function control(url: string, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<any> {
  const res = await fetch(`${url}/__sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.json();
}

async function settled(adapter: StarPagoAdapter, p: PayoutRequest, timeoutMs = 3000): Promise<QueryOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = await adapter.query(p);
    if (q.kind !== 'status' || q.reading.canonical !== 'pending' || Date.now() > deadline) return q;
    await sleep(50);
  }
}

function expectAccepted(o: SubmitOutcome) {
  if (o.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o.reading;
}

describe('starpago adapter against its sandbox', () => {
  let sandbox: StarPagoSandbox;
  let adapter: StarPagoAdapter;

  beforeAll(async () => {
    sandbox = await startStarPagoSandbox({ credentials, settings: { settleAfterSeconds: 0.2, reverseAfterSeconds: 0.3, feeMinor: 150, balances: { MXN: '100000.00' } } });
    adapter = adapterFor(sandbox.url);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('create → CREATED (pending) → PENDING → settles → PAID with paidAmount and tradeCharge as minor units', async () => {
    const p = payout(CLABE.ok, '1500.00');
    const reading = expectAccepted(await adapter.submit(p));
    expect(reading).toMatchObject({ canonical: 'pending', raw: 'CREATED' });
    expect(reading.providerRef).toMatch(/^SBX/);
    const q1 = await adapter.query(p);
    expect(q1).toMatchObject({ kind: 'status', reading: { canonical: 'pending', raw: 'PENDING', providerRef: reading.providerRef } });
    if (q1.kind === 'status') expect(q1.reading.paidAmountMinor).toBeUndefined(); // not read before completion
    const q2 = await settled(adapter, p);
    expect(q2).toEqual({ kind: 'status', reading: { canonical: 'succeeded', raw: 'PAID', providerRef: reading.providerRef, paidAmountMinor: 150000n, feeMinor: 150n } });
    // the sandbox recorded the amount literal exactly as sent
    const record = (await control(sandbox.url, 'payouts')).find((r: any) => r.reference === p.merchantReference);
    expect(record).toMatchObject({ amount: '1500.00', account: CLABE.ok, currency: 'MXN' });
  });

  it('an account ending in 0002 fails', async () => {
    const p = payout(CLABE.fail, '20.00');
    expectAccepted(await adapter.submit(p));
    const q = await settled(adapter, p);
    expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'failed', raw: 'FAILED', feeMinor: 0n, message: 'beneficiary account rejected the funds' } });
    if (q.kind === 'status') expect(q.reading.paidAmountMinor).toBeUndefined();
  });

  it('an account ending in 0006 becomes EXCEPTION → needs_review, and stays there', async () => {
    const p = payout(CLABE.exception, '75.00');
    expectAccepted(await adapter.submit(p));
    await sleep(300);
    const q = await adapter.query(p);
    expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'needs_review', raw: 'EXCEPTION' } });
    await sleep(300);
    expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'needs_review', raw: 'EXCEPTION' } });
  });

  it('short-pay (0005): paidAmount less than amount, parsed exactly', async () => {
    const p = payout(CLABE.shortPay, '999.99');
    expectAccepted(await adapter.submit(p));
    const q = await settled(adapter, p);
    expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded', paidAmountMinor: 99998n, feeMinor: 150n } });
  });

  it('reverse (0004): PAID, then REFUNDED → reversed', async () => {
    const p = payout(CLABE.reverse, '10.00');
    expectAccepted(await adapter.submit(p));
    expect(await settled(adapter, p)).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded' } });
    const deadline = Date.now() + 3000;
    let q: QueryOutcome;
    do {
      await sleep(50);
      q = await adapter.query(p);
    } while (q.kind === 'status' && q.reading.canonical === 'succeeded' && Date.now() < deadline);
    expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'reversed', raw: 'REFUNDED', paidAmountMinor: 1000n } });
  });

  it('EXPIRED (forced) → failed', async () => {
    const p = payout(CLABE.stuck, '11.00');
    expectAccepted(await adapter.submit(p));
    await control(sandbox.url, 'force', { reference: p.merchantReference, state: 'failed', code: 'EXPIRED' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'failed', raw: 'EXPIRED' } });
  });

  it('a bad appSecret is refused by the token endpoint → stop, nothing created', async () => {
    const bad = adapterFor(sandbox.url, { appSecret: 'wrong-secret' });
    const p = payout();
    const o = await bad.submit(p);
    expect(o).toMatchObject({ kind: 'stop', code: 'TOKEN_401' });
    if (o.kind === 'stop') expect(o.message).not.toContain('wrong-secret');
    expect(await bad.query(p)).toMatchObject({ kind: 'stop' });
    expect((await control(sandbox.url, 'stats')).createRequests[p.merchantReference]).toBeUndefined();
  });

  it('the sandbox answers 401 to a missing, forged or expired token', async () => {
    const url = `${sandbox.url}/api/v3/payout/query?merOrderNo=X1`;
    const before = sandbox.stats().unauthorized;
    expect((await fetch(url)).status).toBe(401);
    const forged = signJwt({ mid: 100, type: 'merchant', iss: 'starpago', exp: Math.floor(Date.now() / 1000) + 600 }, Buffer.from('not-the-key'));
    const res = await fetch(url, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 401 });
    const create = await fetch(`${sandbox.url}/api/v3/payout/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' },
      body: '{"merOrderNo":"FORGED1","currency":"MXN","payMethod":"SPEI","amount":1,"extra":{"clabe":"072180037338760001"}}',
    });
    expect(create.status).toBe(401);
    expect(sandbox.stats().unauthorized).toBe(before + 3);
    expect((await control(sandbox.url, 'stats')).createRequests.FORGED1).toBeUndefined();
  });

  it('a duplicate merOrderNo → unknown{alreadyCreated}; one payout exists', async () => {
    const p = payout();
    expectAccepted(await adapter.submit(p));
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
    const stats = await control(sandbox.url, 'stats');
    expect(stats.created[p.merchantReference]).toBe(1);
    expect(stats.createRequests[p.merchantReference]).toBe(2);
  });

  it('the duplicate fault answers code 409 → unknown{alreadyCreated}', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'duplicate', reference: p.merchantReference });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
  });

  it('business code 400 (parameter error) → rejected, nothing created', async () => {
    const noChecks = adapter; // the adapter sends what it is given: row rules run at validation, before it
    const p = payout('072180037338760009'); // bad CLABE check digit: the sandbox validates like StarPago would
    const o = await noChecks.submit(p);
    expect(o).toMatchObject({ kind: 'rejected', code: '400' });
    if (o.kind === 'rejected') expect(o.message).toMatch(/Parameter error: .*clabe/);
    const clp = payout(CLABE.ok, '10.50', { currency: 'CLP', amountMinor: 1050n });
    expect(await noChecks.submit(clp)).toMatchObject({ kind: 'rejected', code: '400' });
    expect((await control(sandbox.url, 'stats')).created[p.merchantReference]).toBeUndefined();
  });

  it('error-before: unknown (HTTP 500, HTML) → query → notFound', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'error-before', onCreate: true, reference: p.merchantReference, status: 502 });
    const o = await adapter.submit(p);
    expect(o).toMatchObject({ kind: 'unknown' });
    expect(o.kind === 'unknown' && o.alreadyCreated).toBeFalsy();
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
  });

  it('error-after: unknown → query → found', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'error-after', onCreate: true, reference: p.merchantReference });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending' } });
  });

  it('drop-after: unknown → query → found', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'drop-after', onCreate: true, reference: p.merchantReference });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
  });

  it('hang-after with a short timeout: unknown → query → found', async () => {
    const quick = adapterFor(sandbox.url, { timeoutSeconds: 0.3 });
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'hang-after', onCreate: true, reference: p.merchantReference, delayMs: 1500 });
    const o = await quick.submit(p);
    expect(o).toMatchObject({ kind: 'unknown' });
    expect(await quick.query(p)).toMatchObject({ kind: 'status' });
  });

  it('rate-limit: notSent, throttled, with retryAfterMs; nothing created', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'rate-limit', onCreate: true, reference: p.merchantReference, retryAfterSeconds: 2 });
    expect(await adapter.submit(p)).toEqual({ kind: 'notSent', cause: expect.stringContaining('429'), throttled: true, retryAfterMs: 2000 });
    expect((await control(sandbox.url, 'stats')).createRequests[p.merchantReference]).toBeUndefined();
    expectAccepted(await adapter.submit(p));
  });

  it('rate-limit on a query: unknown, throttled', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'rate-limit', onCreate: false, reference: p.merchantReference });
    expect(await adapter.query(p)).toMatchObject({ kind: 'unknown', throttled: true, retryAfterMs: 1000 });
  });

  it('delay: slower, then accepted', async () => {
    const p = payout();
    await control(sandbox.url, 'faults', { kind: 'delay', onCreate: true, reference: p.merchantReference, delayMs: 200 });
    const t0 = Date.now();
    expectAccepted(await adapter.submit(p));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('the token endpoint unreachable/throttled: the payout call is never sent (notSent)', async () => {
    const fresh = adapterFor(sandbox.url);
    await control(sandbox.url, 'faults', { kind: 'rate-limit', path: '/oauth/token' });
    const p = payout();
    expect(await fresh.submit(p)).toMatchObject({ kind: 'notSent', throttled: true });
    await control(sandbox.url, 'faults', { kind: 'error-before', path: '/oauth/token' });
    expect(await fresh.submit(p)).toMatchObject({ kind: 'notSent' });
    expect(await fresh.query(p)).toMatchObject({ kind: 'notFound' }); // a token now: the order does not exist
    expect((await control(sandbox.url, 'stats')).createRequests[p.merchantReference]).toBeUndefined();
  });

  it('an HTTP 404 on the query path is a configuration error (stop), not "not found"', async () => {
    const wrong = adapterFor(sandbox.url, { queryPath: '/api/v3/payout/status' });
    expect(await wrong.query(payout())).toMatchObject({ kind: 'stop', code: 'HTTP_404' });
  });

  it('balance before and after: down by the amount paid plus the fee', async () => {
    const before = await adapter.balance!('MXN');
    expect(before).toMatchObject({ currency: 'MXN' });
    const p = payout(CLABE.ok, '250.00');
    expectAccepted(await adapter.submit(p));
    await settled(adapter, p);
    const after = await adapter.balance!('MXN');
    expect(before!.availableMinor - after!.availableMinor).toBe(25000n + 150n);
    expect(await adapter.balance!('GBP')).toMatchObject({ currency: 'GBP', availableMinor: 0n });
  });
});

describe('starpago token cache', () => {
  let sandbox: StarPagoSandbox;
  /** Issues 2-second tokens, to watch the refresh happen. */
  let shortLived: StarPagoSandbox;
  beforeAll(async () => {
    sandbox = await startStarPagoSandbox({ credentials, settings: { settleAfterSeconds: 0.2 } });
    shortLived = await startStarPagoSandbox({ credentials, settings: { settleAfterSeconds: 0.2, tokenTtlSeconds: 2 } });
  });
  afterAll(async () => {
    await sandbox.close();
    await shortLived.close();
  });

  it('concurrent callers share one token request; later calls reuse the cached token', async () => {
    const adapter = adapterFor(sandbox.url);
    const before = sandbox.stats().tokenRequests;
    const ps = Array.from({ length: 8 }, () => payout());
    const results = await Promise.all(ps.map((p) => adapter.query(p)));
    expect(results.every((r) => r.kind === 'notFound')).toBe(true);
    await adapter.submit(ps[0]!);
    await adapter.query(ps[0]!);
    expect(adapter.tokenRequests).toBe(1);
    expect(sandbox.stats().tokenRequests - before).toBe(1);
  });

  it('refreshes before expiry (a 2 s token is refreshed after half its life), without any 401', async () => {
    const adapter = adapterFor(shortLived.url);
    const p = payout();
    const before = shortLived.stats();
    expectAccepted(await adapter.submit(p));
    await adapter.query(p);
    expect(adapter.tokenRequests).toBe(1);
    await sleep(1100);
    await adapter.query(p);
    expect(adapter.tokenRequests).toBe(2);
    const after = shortLived.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(2);
    expect(after.unauthorized).toBe(before.unauthorized);
  });

  it('a 401 (token revoked) refreshes once and repeats the call once', async () => {
    const adapter = adapterFor(sandbox.url);
    const p = payout();
    expectAccepted(await adapter.submit(p));
    sandbox.revokeTokens();
    const before = sandbox.stats();
    expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    // a create answered 401 was not created: repeated once with the new token
    sandbox.revokeTokens();
    const p2 = payout();
    expectAccepted(await adapter.submit(p2));
    const after = sandbox.stats();
    expect(after.unauthorized - before.unauthorized).toBe(2);
    expect(after.tokenRequests - before.tokenRequests).toBe(2);
    expect(adapter.tokenRequests).toBe(3);
    expect(after.created[p2.merchantReference]).toBe(1);
  });

  it('a 401 to a fresh token too → stop with a clear message', async () => {
    // A proxy in front of the sandbox that refuses every Bearer token but lets the token call through.
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.url?.startsWith('/api/v3/oauth/token')) {
        const r = await fetch(sandbox.url + req.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
      } else res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":401,"msg":"Unauthorized"}');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const adapter = adapterFor(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      const o = await adapter.submit(payout());
      expect(o).toMatchObject({ kind: 'stop', code: 'UNAUTHORIZED' });
      expect(adapter.tokenRequests).toBe(2);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('starpago callbacks', () => {
  let sandbox: StarPagoSandbox;
  let receiver: http.Server;
  let received: CallbackRequest[];
  let callbackUrl: string;

  beforeAll(async () => {
    received = [];
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method ?? 'POST', path: req.url ?? '/', headers: req.headers, rawBody: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/starpago`;
    sandbox = await startStarPagoSandbox({ credentials, settings: { settleAfterSeconds: 0.1 } });
  });
  afterAll(async () => {
    await sandbox.close();
    await new Promise((r) => receiver.close(r));
  });

  it('the sandbox posts an unsigned JSON callback to notifyUrl; verifyCallback reads it; a tampered one is refused', async () => {
    const adapter = adapterFor(sandbox.url, {}, callbackUrl);
    const p = payout(CLABE.ok, '42.10');
    expectAccepted(await adapter.submit(p));
    const record = (await control(sandbox.url, 'payouts')).find((r: any) => r.reference === p.merchantReference);
    expect(record.notifyUrl).toBe(callbackUrl);
    const deadline = Date.now() + 3000;
    while (received.length === 0 && Date.now() < deadline) await sleep(25);
    expect(received).toHaveLength(1);
    const cb = received[0]!;
    expect(cb.headers['content-type']).toBe('application/json');
    expect(JSON.parse(cb.rawBody.toString())).toMatchObject({ status: 'PAID', merOrderNo: p.merchantReference, amount: 42.1, tradeCharge: 1.5, currency: 'MXN' });
    expect(cb.rawBody.toString()).toContain('"amount":42.10');
    expect(adapter.verifyCallback!(cb)).toEqual({ ok: true, merchantReference: p.merchantReference, providerReference: record.providerRef, rawStatus: 'PAID' });
    const tampered = { ...cb, rawBody: Buffer.from(cb.rawBody.toString().replace(`"merOrderNo":"${p.merchantReference}"`, '"merOrderNo":null')) };
    expect(adapter.verifyCallback!(tampered)).toMatchObject({ ok: false });
    expect(adapter.verifyCallback!({ ...cb, rawBody: cb.rawBody.subarray(0, 20) })).toMatchObject({ ok: false });
    expect(adapter.callbackAck).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' });
  });

  it('the module starts the same sandbox with its built-in credentials', async () => {
    const s = await starpagoProvider.startSandbox({ credentials: {}, settings: {} });
    try {
      const a = adapterFor(s.url);
      expect(await a.query(payout())).toMatchObject({ kind: 'notFound' });
    } finally {
      await s.close();
    }
  });
});
