// The Vexora adapter against its sandbox over real loopback HTTP (no mocks): create, settle, the outcome
// classes of every fault kind, the sandbox's own rate limit, and signed webhooks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { vexoraProvider } from '../../src/providers/vexora/index.ts';
import { vexoraSign } from '../../src/providers/vexora/sign.ts';
import type { PayoutRequest, ProviderAdapter, QueryOutcome, SandboxHandle, SubmitOutcome } from '../../src/providers/types.ts';

const MERCHANT_NO = '1000000001';
const SECRET = 's3cret';
const ACCOUNT_OK = '0000003100010000000001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

/** A journaled Argentina row as the engine hands it to the adapter. */
function payout(account = ACCOUNT_OK, amount = '1500.00', over: Partial<PayoutRequest> = {}): PayoutRequest {
  const ref = `VXIT-${process.pid}-${Date.now().toString(36)}-${++counter}`;
  const [int, frac] = amount.split('.');
  return {
    payoutId: `p-${ref}`,
    batchId: 'b-vexora-it',
    rowNumber: counter + 1,
    merchantReference: ref,
    amountMinor: BigInt(int + (frac ?? '').padEnd(2, '0')),
    amount,
    currency: 'ARS',
    fields: {
      account_number: account,
      mobile: '0911234567',
      email: 'ana.perez@example.com',
      first_name: 'Ana',
      last_name: 'Perez',
      note: 'integration test',
    },
    extra: {},
    additional: {},
    ...over,
  };
}

function adapterFor(url: string, over: Record<string, unknown> = {}, callbackUrl?: string): ProviderAdapter {
  const config = vexoraProvider.configSchema.parse({
    baseUrl: url,
    merchantNo: MERCHANT_NO,
    secret: SECRET,
    country: 'AR',
    timeoutSeconds: 1,
    // A live block must name one (the adapter sends the URL the engine hands it, below, as notifyUrl).
    callbackUrl: 'https://merchant.invalid/paybatch/callbacks/vexora',
    ...over,
  });
  return vexoraProvider.createAdapter(config, { log: silentLogger(), callbackUrl });
}

async function control(url: string, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<any> {
  const res = await fetch(`${url}/__sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

const addFault = (url: string, fault: Record<string, unknown>) => control(url, 'faults', { faults: [fault] });
const stats = (url: string) => control(url, 'stats');

function expectAccepted(o: SubmitOutcome) {
  if (o.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o.reading;
}

/** Queries until the payout leaves pending (or the deadline passes). */
async function settled(adapter: ProviderAdapter, p: PayoutRequest, timeoutMs = 3000): Promise<QueryOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = await adapter.query(p);
    if (q.kind !== 'status' || q.reading.canonical !== 'pending' || Date.now() > deadline) return q;
    await sleep(50);
  }
}

describe('vexora adapter against its sandbox', () => {
  let sandbox: SandboxHandle;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    sandbox = await vexoraProvider.startSandbox({
      credentials: { merchantNo: MERCHANT_NO, secret: SECRET, country: 'AR' },
      settings: { settleAfterSeconds: 0.2, reverseAfterSeconds: 0.2 },
    });
    adapter = adapterFor(sandbox.url);
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  afterEach(async () => {
    await control(sandbox.url, 'faults', undefined, 'DELETE');
  });

  describe('payout lifecycle', () => {
    it('accepted (0015) → query pending → settles → succeeded with paidAmountMinor', async () => {
      const p = payout();
      const reading = expectAccepted(await adapter.submit(p));
      expect(reading).toMatchObject({ canonical: 'pending', raw: '0015' });
      expect(reading.providerRef).toMatch(/^SBX/);

      const q1 = await adapter.query(p);
      expect(q1).toMatchObject({ kind: 'status', reading: { canonical: 'pending', raw: '0015', providerRef: reading.providerRef } });

      const q2 = await settled(adapter, p);
      expect(q2).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded', raw: '0000', providerRef: reading.providerRef, paidAmountMinor: 150000n } });
      if (q2.kind === 'status') expect(q2.reading.errorCode).toBeUndefined();
    });

    it('sends the Argentina field set, the amount as a whole number, signed, and no notifyUrl without a callback URL', async () => {
      const p = payout();
      expectAccepted(await adapter.submit(p));
      const records = (await control(sandbox.url, 'payouts')) as { reference: string; amount: string; fields: Record<string, unknown>; notifyUrl?: string }[];
      const record = records.find((r) => r.reference === p.merchantReference)!;
      expect(record.amount).toBe('1500');
      expect(record.fields).toMatchObject({
        tradeNo: p.merchantReference,
        amount: '1500',
        accountNo: ACCOUNT_OK,
        mobile: '0911234567',
        email: 'ana.perez@example.com',
        firstname: 'Ana',
        lastname: 'Perez',
        remark: 'integration test',
      });
      expect(record.fields.timestamp).toMatch(/^\d{13}$/);
      expect(record.fields.sign).toBe(vexoraSign(record.fields, SECRET));
      expect(record.fields).not.toHaveProperty('notifyUrl');
      expect(record.notifyUrl).toBeUndefined();
    });

    it('an account ending 0002 → failed, with the raw code and message', async () => {
      const p = payout('0000003100010000000002');
      expectAccepted(await adapter.submit(p));
      const q = await settled(adapter, p);
      expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'failed', raw: '00029', errorCode: '00029' } });
      if (q.kind === 'status') {
        expect(q.reading.message).toMatch(/rejected/);
        expect(q.reading.paidAmountMinor).toBeUndefined();
      }
    });

    it('an account ending 0003 never settles (stays pending)', async () => {
      const p = payout('0000003100010000000003');
      expectAccepted(await adapter.submit(p));
      await sleep(600);
      expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending', raw: '0015' } });
    });

    it('an account ending 0004 reads as paid even after the sandbox reverses it (Vexora has no reversal)', async () => {
      const p = payout('0000003100010000000004');
      expectAccepted(await adapter.submit(p));
      expect(await settled(adapter, p)).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded' } });
      await sleep(500);
      const records = (await control(sandbox.url, 'payouts')) as { reference: string; state: string }[];
      expect(records.find((r) => r.reference === p.merchantReference)!.state).toBe('reversed');
      expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded', raw: '0000' } });
      expect(vexoraProvider.defaults.canReverse).toBe(false);
    });

    it('an account ending 0005 is short-paid: paidAmountMinor below the amount', async () => {
      const p = payout('0000003100010000000005');
      expectAccepted(await adapter.submit(p));
      const q = await settled(adapter, p);
      expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded' } });
      if (q.kind === 'status') {
        expect(q.reading.paidAmountMinor).toBeDefined();
        expect(q.reading.paidAmountMinor!).toBeLessThan(p.amountMinor);
      }
    });

    it('a parameter error (amount below 100) is rejected with its code, nothing created', async () => {
      const p = payout(ACCOUNT_OK, '99.00');
      const o = await adapter.submit(p);
      expect(o).toMatchObject({ kind: 'rejected', code: '1001' });
      expect((await stats(sandbox.url)).created[p.merchantReference]).toBeUndefined();
    });
  });

  describe('credentials', () => {
    it('a wrong secret → stop (1002), nothing created; a query with it → stop', async () => {
      const bad = adapterFor(sandbox.url, { secret: 'wrong-secret' });
      const p = payout();
      expect(await bad.submit(p)).toMatchObject({ kind: 'stop', code: '1002' });
      expect(await bad.query(p)).toMatchObject({ kind: 'stop', code: '1002' });
      const s = await stats(sandbox.url);
      expect(s.created[p.merchantReference]).toBeUndefined();
      expect(s.createRequests[p.merchantReference]).toBeUndefined();
    });

    it('a wrong merchantNo header is refused: not accepted, nothing created', async () => {
      const bad = adapterFor(sandbox.url, { merchantNo: '1000000009' });
      const p = payout();
      const o = await bad.submit(p);
      expect(o.kind).not.toBe('accepted');
      expect(o.kind).not.toBe('unknown');
      expect(JSON.stringify(o)).toContain('1003');
      expect((await stats(sandbox.url)).created[p.merchantReference]).toBeUndefined();
    });

    // Regression: a wrong merchantNo (1003) failed every row instead of stopping the batch.
    it('a wrong merchantNo header → stop (configuration error)', async () => {
      const bad = adapterFor(sandbox.url, { merchantNo: '1000000009' });
      expect(await bad.submit(payout())).toMatchObject({ kind: 'stop' });
    });
  });

  describe('references', () => {
    it('a duplicate tradeNo → unknown{alreadyCreated}; still one payout', async () => {
      const p = payout();
      expectAccepted(await adapter.submit(p));
      const again = await adapter.submit(p);
      expect(again).toMatchObject({ kind: 'unknown', alreadyCreated: true });
      const s = await stats(sandbox.url);
      expect(s.createRequests[p.merchantReference]).toBe(2);
      expect(s.created[p.merchantReference]).toBe(1);
      expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    });

    it('a query for an unknown tradeNo → notFound (1004)', async () => {
      const q = await adapter.query(payout());
      expect(q.kind).toBe('notFound');
      if (q.kind === 'notFound') expect(q.cause).toContain('1004');
    });

    it('"not found" after an unknown create is never resubmitted (needs_review)', () => {
      expect(vexoraProvider.defaults.resubmitOnNotFound).toBe(false);
    });
  });

  describe('faults', () => {
    it('error-before → unknown; query → notFound; nothing created', async () => {
      await addFault(sandbox.url, { kind: 'error-before', onCreate: true });
      const p = payout();
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect((await adapter.query(p)).kind).toBe('notFound');
      const s = await stats(sandbox.url);
      expect(s.created[p.merchantReference]).toBeUndefined();
      expect(s.createRequests[p.merchantReference]).toBeUndefined();
    });

    it('error-after → unknown; query → found; created once', async () => {
      await addFault(sandbox.url, { kind: 'error-after', onCreate: true });
      const p = payout();
      const o = await adapter.submit(p);
      expect(o).toMatchObject({ kind: 'unknown' });
      if (o.kind === 'unknown') expect(o.alreadyCreated).toBeFalsy();
      expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending' } });
      expect((await stats(sandbox.url)).created[p.merchantReference]).toBe(1);
    });

    it('error-after with a 502 → unknown as well', async () => {
      await addFault(sandbox.url, { kind: 'error-after', onCreate: true, status: 502 });
      const p = payout();
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', cause: expect.stringContaining('502') });
      expect((await stats(sandbox.url)).created[p.merchantReference]).toBe(1);
    });

    it('drop-before → unknown (the client cannot tell); query → notFound', async () => {
      await addFault(sandbox.url, { kind: 'drop-before', onCreate: true });
      const p = payout();
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect((await adapter.query(p)).kind).toBe('notFound');
    });

    it('drop-after → unknown; query → found', async () => {
      await addFault(sandbox.url, { kind: 'drop-after', onCreate: true });
      const p = payout();
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
      expect((await stats(sandbox.url)).created[p.merchantReference]).toBe(1);
    });

    it('hang-after 3000 ms with a 1 s adapter timeout → unknown; query → found', async () => {
      await addFault(sandbox.url, { kind: 'hang-after', onCreate: true, delayMs: 3000 });
      const p = payout();
      const started = Date.now();
      const o = await adapter.submit(p);
      const took = Date.now() - started;
      expect(o).toMatchObject({ kind: 'unknown' });
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(2900);
      expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    });

    it('delay 200 ms → accepted', async () => {
      await addFault(sandbox.url, { kind: 'delay', onCreate: true, delayMs: 200 });
      const p = payout();
      const started = Date.now();
      expectAccepted(await adapter.submit(p));
      expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    });

    it('rate-limit → notSent, throttled, with retryAfterMs from Retry-After; nothing created', async () => {
      await addFault(sandbox.url, { kind: 'rate-limit', onCreate: true });
      const p = payout();
      expect(await adapter.submit(p)).toEqual({ kind: 'notSent', cause: expect.any(String), throttled: true, retryAfterMs: 1000 });
      expect((await stats(sandbox.url)).createRequests[p.merchantReference]).toBeUndefined();

      await addFault(sandbox.url, { kind: 'rate-limit', onCreate: true, retryAfterSeconds: 3 });
      expect(await adapter.submit(p)).toMatchObject({ kind: 'notSent', throttled: true, retryAfterMs: 3000 });
      // the same row goes through once the limit is gone
      expectAccepted(await adapter.submit(p));
    });

    it('rate-limit on a query → unknown, throttled', async () => {
      const p = payout();
      expectAccepted(await adapter.submit(p));
      await addFault(sandbox.url, { kind: 'rate-limit', onCreate: false });
      expect(await adapter.query(p)).toMatchObject({ kind: 'unknown', throttled: true, retryAfterMs: 1000 });
    });

    it('error-before on a query → unknown (never notFound)', async () => {
      const p = payout();
      expectAccepted(await adapter.submit(p));
      await addFault(sandbox.url, { kind: 'error-before', onCreate: false });
      expect(await adapter.query(p)).toMatchObject({ kind: 'unknown' });
    });

    it('duplicate (0100024 without creating) → unknown{alreadyCreated}; query → notFound, nothing created', async () => {
      await addFault(sandbox.url, { kind: 'duplicate', onCreate: true });
      const p = payout();
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
      expect((await adapter.query(p)).kind).toBe('notFound');
      expect((await stats(sandbox.url)).created[p.merchantReference]).toBeUndefined();
    });

    it('a fault can target one reference only', async () => {
      const target = payout();
      const other = payout();
      await addFault(sandbox.url, { kind: 'error-before', reference: target.merchantReference });
      expectAccepted(await adapter.submit(other));
      expect(await adapter.submit(target)).toMatchObject({ kind: 'unknown' });
    });
  });

  describe('control endpoints', () => {
    it('GET /__sandbox/stats gives createRequests and created per reference', async () => {
      const p = payout();
      expectAccepted(await adapter.submit(p));
      const s = await stats(sandbox.url);
      expect(s.name).toBe('vexora');
      expect(s.createRequests).toEqual(expect.any(Object));
      expect(s.created).toEqual(expect.any(Object));
      expect(s.createRequests[p.merchantReference]).toBe(1);
      expect(s.created[p.merchantReference]).toBe(1);
      expect(s.maxCreatedPerReference).toBe(1);
    });

    it('the sandbox checks the sign over the textual form of a number-typed timestamp (query)', async () => {
      const p = payout();
      expectAccepted(await adapter.submit(p));
      const fields = { tradeNo: p.merchantReference, timestamp: Date.now() };
      const body = JSON.stringify({ ...fields, sign: vexoraSign(fields, SECRET) });
      expect(body).toMatch(/"timestamp":\d+,/);
      const res = await fetch(`${sandbox.url}/v1/vexora/queryPayOutResult`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', merchantNo: MERCHANT_NO },
        body,
      });
      const answer = await res.json();
      expect(answer).toMatchObject({ code: '0000', data: { tradeNo: p.merchantReference } });
    });
  });
});

describe('the sandbox rate limit (ratePerSecond 5, burst 1)', () => {
  let sandbox: SandboxHandle;

  beforeAll(async () => {
    sandbox = await vexoraProvider.startSandbox({
      credentials: { merchantNo: MERCHANT_NO, secret: SECRET, country: 'AR' },
      settings: { settleAfterSeconds: 0.2, ratePerSecond: 5, burst: 1 },
    });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('10 requests at once: some are notSent (throttled, with retryAfterMs), none of those created', async () => {
    const adapter = adapterFor(sandbox.url);
    const payouts = Array.from({ length: 10 }, () => payout());
    const outcomes = await Promise.all(payouts.map((p) => adapter.submit(p)));
    const throttled = outcomes.filter((o) => o.kind === 'notSent');
    const accepted = outcomes.filter((o) => o.kind === 'accepted');
    expect(throttled.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(throttled.length + accepted.length).toBe(10);
    for (const o of throttled) expect(o).toMatchObject({ kind: 'notSent', throttled: true, retryAfterMs: expect.any(Number) });
    for (const o of throttled) if (o.kind === 'notSent') expect(o.retryAfterMs!).toBeGreaterThan(0);

    const s = await stats(sandbox.url);
    expect(s.rateLimited).toBeGreaterThanOrEqual(throttled.length);
    payouts.forEach((p, i) => {
      if (outcomes[i].kind === 'notSent') expect(s.createRequests[p.merchantReference]).toBeUndefined();
      else expect(s.created[p.merchantReference]).toBe(1);
    });
  });
});

describe('signed webhooks', () => {
  let sandbox: SandboxHandle;
  let receiver: http.Server;
  let callbackUrl: string;
  const received: { body: Buffer; headers: http.IncomingHttpHeaders; path: string }[] = [];
  let ackAdapter: ProviderAdapter | undefined;

  beforeAll(async () => {
    sandbox = await vexoraProvider.startSandbox({
      credentials: { merchantNo: MERCHANT_NO, secret: SECRET, country: 'AR' },
      settings: { settleAfterSeconds: 0.2 },
    });
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), headers: req.headers, path: req.url ?? '/' });
        const ack = ackAdapter?.callbackAck ?? { status: 200, contentType: 'text/plain', body: 'OK' };
        res.writeHead(ack.status, { 'content-type': ack.contentType });
        res.end(ack.body);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/vexora`;
  });
  afterAll(async () => {
    await sandbox?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  async function webhookFor(reference: string, timeoutMs = 4000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = received.find((r) => (JSON.parse(r.body.toString('utf8')) as { tradeNo?: string }).tradeNo === reference);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no webhook for ${reference}`);
      await sleep(25);
    }
  }

  const request = (rawBody: Buffer, path = '/callbacks/vexora') => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, rawBody });

  it('after settlement the sandbox POSTs a signed webhook; verifyCallback → ok with merchantReference', async () => {
    const adapter = adapterFor(sandbox.url, {}, callbackUrl);
    ackAdapter = adapter;
    const p = payout();
    expectAccepted(await adapter.submit(p));
    const hit = await webhookFor(p.merchantReference);
    expect(hit.headers['content-type']).toMatch(/application\/json/);
    const body = JSON.parse(hit.body.toString('utf8')) as Record<string, string>;
    expect(body).toMatchObject({ tradeNo: p.merchantReference, status: '0000', amount: '1500' });
    expect(body.sign).toMatch(/^[0-9a-f]{32}$/);
    expect(body.sign).toBe(vexoraSign(body, SECRET));

    const verdict = adapter.verifyCallback!(request(hit.body));
    expect(verdict).toEqual({ ok: true, merchantReference: p.merchantReference, rawStatus: '0000' });

    const s = await stats(sandbox.url);
    expect(s.callbacksDelivered).toBeGreaterThanOrEqual(1);
  });

  it('the ack is OK as text/plain, HTTP 200', () => {
    const adapter = adapterFor(sandbox.url, {}, callbackUrl);
    expect(adapter.callbackAck).toEqual({ status: 200, contentType: 'text/plain', body: 'OK' });
  });

  it('a tampered field, a wrong secret, or no sign when one is required → not ok', async () => {
    const adapter = adapterFor(sandbox.url, {}, callbackUrl);
    const p = payout('0000003100010000000002'); // a failed payout's webhook
    expectAccepted(await adapter.submit(p));
    const hit = await webhookFor(p.merchantReference);
    const body = JSON.parse(hit.body.toString('utf8')) as Record<string, string>;
    expect(body.status).toBe('00029');
    expect(adapter.verifyCallback!(request(hit.body))).toMatchObject({ ok: true, merchantReference: p.merchantReference, rawStatus: '00029' });

    for (const [key, value] of [['status', '0000'], ['amount', '999999'], ['tradeNo', 'VX-OTHER'], ['platFormTradeNo', 'SBX0']] as const) {
      const tampered = Buffer.from(JSON.stringify({ ...body, [key]: value }));
      const verdict = adapter.verifyCallback!(request(tampered));
      expect(verdict.ok, key).toBe(false);
    }
    expect(adapter.verifyCallback!(request(Buffer.from(JSON.stringify({ ...body, remark: 'x' })))).ok).toBe(false);

    const otherSecret = adapterFor(sandbox.url, { secret: 'not-the-secret' }, callbackUrl);
    expect(otherSecret.verifyCallback!(request(hit.body))).toMatchObject({ ok: false });

    const { sign: _sign, ...unsigned } = body;
    const unsignedRaw = Buffer.from(JSON.stringify(unsigned));
    // Unsigned webhooks are a trigger to query only (the documents do not say a sign is sent) ...
    expect(adapter.verifyCallback!(request(unsignedRaw))).toMatchObject({ ok: true, merchantReference: p.merchantReference });
    // ... unless the merchant requires a sign.
    const strict = adapterFor(sandbox.url, { requireCallbackSign: true }, callbackUrl);
    expect(strict.verifyCallback!(request(unsignedRaw))).toMatchObject({ ok: false });
    expect(strict.verifyCallback!(request(hit.body))).toMatchObject({ ok: true });
  });

  it('a body that is not JSON or has no tradeNo → not ok', () => {
    const adapter = adapterFor(sandbox.url, {}, callbackUrl);
    expect(adapter.verifyCallback!(request(Buffer.from('status=0000&tradeNo=X')))).toMatchObject({ ok: false });
    const fields = { status: '0000', amount: '1500' };
    expect(adapter.verifyCallback!(request(Buffer.from(JSON.stringify({ ...fields, sign: vexoraSign(fields, SECRET) }))))).toMatchObject({ ok: false });
  });

  // Regression: the Vexora sandbox ignored the shared setting callbacks: false.
  it('with sandbox setting callbacks:false no webhook is sent', async () => {
    const quiet = await vexoraProvider.startSandbox({
      credentials: { merchantNo: MERCHANT_NO, secret: SECRET, country: 'AR' },
      settings: { settleAfterSeconds: 0.1, callbacks: false },
    });
    try {
      const adapter = adapterFor(quiet.url, {}, callbackUrl);
      const p = payout();
      expectAccepted(await adapter.submit(p));
      expect(await settled(adapter, p)).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded' } });
      await sleep(400);
      expect(received.some((r) => r.body.toString('utf8').includes(p.merchantReference))).toBe(false);
    } finally {
      await quiet.close();
    }
  });

  it('the create carries notifyUrl (signed) when a callback URL is configured', async () => {
    const adapter = adapterFor(sandbox.url, {}, callbackUrl);
    const p = payout();
    expectAccepted(await adapter.submit(p));
    const records = (await control(sandbox.url, 'payouts')) as { reference: string; fields: Record<string, unknown>; notifyUrl?: string }[];
    const record = records.find((r) => r.reference === p.merchantReference)!;
    expect(record.fields.notifyUrl).toBe(callbackUrl);
    expect(record.notifyUrl).toBe(callbackUrl);
  });
});
