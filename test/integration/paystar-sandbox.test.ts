// The PayStar adapter against its sandbox over real loopback HTTP: create, settle, faults, callbacks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { paystarProvider } from '../../src/providers/paystar/index.ts';
import { literalToMinor } from '../../src/validate/money.ts';
import { paystarConfigSchema, SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY } from '../../src/providers/paystar/schema.ts';
import { paystarJwt } from '../../src/providers/paystar/sign.ts';
import type { CallbackRequest, PayoutRequest, ProviderAdapter, SandboxHandle, SubmitOutcome } from '../../src/providers/types.ts';

const CARD = '4111111111111111';
const CARD_FAILS = '4111111111150002'; // Luhn-valid, ends in 0002: the sandbox declines it
const credentials = { publicKey: SANDBOX_PUBLIC_KEY, privateKey: SANDBOX_PRIVATE_KEY };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

function payout(amount = '150.00', card = CARD, currency = 'USD', over: Partial<PayoutRequest> = {}): PayoutRequest {
  const ref = `IT-${process.pid}-${Date.now().toString(36)}-${++counter}`;
  return {
    payoutId: ref,
    batchId: 'b1',
    rowNumber: counter + 1,
    merchantReference: ref,
    amountMinor: literalToMinor(amount, currency)!,
    amount,
    currency,
    fields: {},
    extra: {},
    additional: { cardNumber: card, bankName: 'SuperBank' },
    ...over,
  };
}

function adapterFor(url: string, over: Record<string, unknown> = {}, callbackUrl?: string): ProviderAdapter {
  const config = paystarConfigSchema.parse({ baseUrl: url, ...credentials, timeoutSeconds: 2, ...over });
  return paystarProvider.createAdapter(config, { log: silentLogger(), callbackUrl });
}

async function control(url: string, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<any> {
  const res = await fetch(`${url}/__sandbox/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}

async function settled(adapter: ProviderAdapter, p: PayoutRequest, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = await adapter.query(p);
    if (q.kind !== 'status' || q.reading.canonical !== 'pending' || Date.now() > deadline) return q;
    await sleep(50);
  }
}

function expectAccepted(o: SubmitOutcome) {
  expect(o.kind).toBe('accepted');
  if (o.kind !== 'accepted') throw new Error(JSON.stringify(o));
  return o.reading;
}

describe('paystar adapter against its sandbox', () => {
  let sandbox: SandboxHandle;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    sandbox = await paystarProvider.startSandbox({ credentials, settings: { settleAfterSeconds: 0.2, balances: { USD: '2500.75' } } });
    adapter = adapterFor(sandbox.url);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('create → Created (pending) → settles → Success (succeeded)', async () => {
    const p = payout('150.00');
    const reading = expectAccepted(await adapter.submit(p));
    expect(reading).toMatchObject({ canonical: 'pending', raw: 'Created' });
    expect(reading.providerRef).toMatch(/^SBX/);
    const q1 = await adapter.query(p);
    expect(q1).toMatchObject({ kind: 'status', reading: { canonical: 'pending', providerRef: reading.providerRef } });
    const q2 = await settled(adapter, p);
    expect(q2).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded', raw: 'Success', providerRef: reading.providerRef } });
  });

  it('a card ending 0002 fails', async () => {
    const p = payout('20.00', CARD_FAILS);
    expectAccepted(await adapter.submit(p));
    expect(await settled(adapter, p)).toMatchObject({ kind: 'status', reading: { canonical: 'failed', raw: 'Failed' } });
  });

  it('an unknown reference is not found (HTTP 404)', async () => {
    expect(await adapter.query(payout())).toMatchObject({ kind: 'notFound' });
  });

  it('a wrong privateKey is refused with 401 → stop; the sandbox answers without a body', async () => {
    const bad = adapterFor(sandbox.url, { privateKey: 'sk_wrong' });
    const p = payout();
    const out = await bad.submit(p);
    expect(out).toMatchObject({ kind: 'stop', code: 'HTTP_401' });
    if (out.kind === 'stop') expect(out.message).not.toContain('sk_wrong');
    expect(await bad.query(p)).toMatchObject({ kind: 'stop', code: 'HTTP_401' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
    const res = await fetch(`${sandbox.url}/api/v1/integration/withdrawal-order/`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${paystarJwt(SANDBOX_PUBLIC_KEY, 'sk_wrong')}`, 'content-type': 'application/json' },
      body: '{"amount":1,"currency":"USD","externalTransactionId":"X1"}',
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
  });

  it('the sandbox refuses a tampered JWT, another publicKey, and a missing Authorization', async () => {
    const good = paystarJwt(SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY);
    const [h, , s] = good.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ publicKey: 'pk_someone_else' })).toString('base64url');
    for (const auth of [`Bearer ${h}.${otherPayload}.${s}`, `Bearer ${paystarJwt('pk_someone_else', SANDBOX_PRIVATE_KEY)}`, undefined]) {
      const res = await fetch(`${sandbox.url}/api/v1/integration/withdrawal-order/X1/status-by-external-transaction-id`, { headers: auth ? { Authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('');
    }
  });

  it('a ready token works instead of keys; a wrong one stops', async () => {
    const tokenOnly = adapterFor(sandbox.url, { publicKey: undefined, privateKey: undefined, token: paystarJwt(SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY) });
    expectAccepted(await tokenOnly.submit(payout('1.00')));
    const wrong = adapterFor(sandbox.url, { publicKey: undefined, privateKey: undefined, token: 'not.a.token' });
    expect(await wrong.submit(payout('1.00'))).toMatchObject({ kind: 'stop', code: 'HTTP_401' });
  });

  it('the JWT with iat (jwtIssuedAt) is accepted too', async () => {
    expectAccepted(await adapterFor(sandbox.url, { jwtIssuedAt: true }).submit(payout('1.00')));
  });

  it('a duplicate externalTransactionId answers 1-4007 → unknown{alreadyCreated}; paid once', async () => {
    const p = payout('10.00');
    expectAccepted(await adapter.submit(p));
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
    const stats = await control(sandbox.url, 'stats');
    expect(stats.created[p.merchantReference]).toBe(1);
    expect(stats.createRequests[p.merchantReference]).toBe(2);
  });

  it('over the per-payout limit → rejected LIMITS_ERROR naming the limit; nothing created', async () => {
    const p = payout('10000.01');
    const out = await adapter.submit(p);
    expect(out).toMatchObject({ kind: 'rejected', code: 'LIMITS_ERROR' });
    if (out.kind === 'rejected') expect(out.message).toContain('sbx-per-payout-USD');
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
    expectAccepted(await adapter.submit(payout('10000.00')));
  });

  it('a VALIDATION_ERROR is rejected, and the message never carries the card number', async () => {
    const p = payout('5.00', '4111111111111112');
    const out = await adapter.submit(p);
    expect(out).toMatchObject({ kind: 'rejected', code: 'VALIDATION_ERROR 0-0000' });
    expect(JSON.stringify(out)).not.toContain('4111111111111112');
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
  });

  it('balance is read from the balance host, exactly', async () => {
    expect(await adapter.balance!('USD')).toEqual({ currency: 'USD', availableMinor: 250075n, raw: '2500.75' });
  });

  describe('faults', () => {
    it('error-before → unknown, then query → notFound', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'error-before', reference: p.merchantReference });
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
    });

    it('error-after → unknown, then query → found', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'error-after', reference: p.merchantReference, onCreate: true });
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    });

    it('drop-after → unknown, then query → found', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'drop-after', reference: p.merchantReference, onCreate: true });
      const out = await adapter.submit(p);
      expect(out.kind).toBe('unknown');
      expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    });

    it('drop-before → unknown (the client cannot tell), then query → notFound', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'drop-before', reference: p.merchantReference, onCreate: true });
      expect((await adapter.submit(p)).kind).toBe('unknown');
      expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
    });

    it('hang-after with a short timeout → unknown; the payout exists', async () => {
      const quick = adapterFor(sandbox.url, { timeoutSeconds: 0.3 });
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'hang-after', reference: p.merchantReference, onCreate: true, delayMs: 1500 });
      expect(await quick.submit(p)).toMatchObject({ kind: 'unknown', cause: expect.stringContaining('no answer') });
      expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    });

    it('rate-limit → notSent, throttled, with retryAfterMs', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'rate-limit', reference: p.merchantReference, retryAfterSeconds: 2 });
      expect(await adapter.submit(p)).toEqual({ kind: 'notSent', cause: expect.any(String), throttled: true, retryAfterMs: 2000 });
      expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
      expectAccepted(await adapter.submit(p));
    });

    it('rate-limit on a query → unknown, throttled', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'rate-limit', reference: p.merchantReference, onCreate: false, retryAfterSeconds: 1 });
      expect(await adapter.query(p)).toMatchObject({ kind: 'unknown', throttled: true, retryAfterMs: 1000 });
    });

    it('delay → answered normally after the delay', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'delay', reference: p.merchantReference, delayMs: 300 });
      const t0 = Date.now();
      expectAccepted(await adapter.submit(p));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    });

    it('duplicate → unknown{alreadyCreated}', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'duplicate', reference: p.merchantReference });
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
    });

    it('error-before on a query → unknown', async () => {
      const p = payout();
      await control(sandbox.url, 'faults', { kind: 'error-before', reference: p.merchantReference, onCreate: false, status: 503 });
      expect(await adapter.query(p)).toMatchObject({ kind: 'unknown' });
    });
  });

  it('no payout was ever created twice for one reference', async () => {
    expect((await control(sandbox.url, 'stats')).maxCreatedPerReference).toBe(1);
  });

  it('the sandbox ledger never holds a full card number', async () => {
    const all = JSON.stringify(await control(sandbox.url, 'payouts'));
    expect(all).toContain('************1111');
    expect(all).not.toContain(CARD);
    expect(all).not.toContain(CARD_FAILS);
  });
});

describe('paystar 423 (temporary error)', () => {
  it('→ notSent with retryAfterMs from retryLockedAfterSeconds, then the retry is created', async () => {
    const sandbox = await paystarProvider.startSandbox({ credentials, settings: { settleAfterSeconds: 0.2, lockedTimes: 1 } });
    try {
      const adapter = adapterFor(sandbox.url, { retryLockedAfterSeconds: 12 });
      const p = payout();
      const out = await adapter.submit(p);
      expect(out).toMatchObject({ kind: 'notSent', retryAfterMs: 12_000 });
      expect(out).not.toHaveProperty('throttled');
      expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
      expectAccepted(await adapter.submit(p));
    } finally {
      await sandbox.close();
    }
  });

  it('honours Retry-After on a 423 when PayStar sends one', async () => {
    const sandbox = await paystarProvider.startSandbox({ credentials, settings: { lockedTimes: 1, lockedRetryAfterSeconds: 5 } });
    try {
      expect(await adapterFor(sandbox.url).submit(payout())).toMatchObject({ kind: 'notSent', retryAfterMs: 5000 });
    } finally {
      await sandbox.close();
    }
  });
});

describe('paystar balance on its own host', () => {
  it('uses balanceBaseUrl, not baseUrl', async () => {
    const secure = await paystarProvider.startSandbox({ credentials, settings: { balances: { EUR: '1.00' } } });
    const api = await paystarProvider.startSandbox({ credentials, settings: { balances: { EUR: '777.10' } } });
    try {
      const adapter = adapterFor(secure.url, { balanceBaseUrl: api.url });
      expect(await adapter.balance!('EUR')).toMatchObject({ availableMinor: 77710n });
      const stats = (await (await fetch(`${secure.url}/__sandbox/stats`)).json()) as { byKind: Record<string, number> };
      expect(stats.byKind.other).toBe(0);
    } finally {
      await secure.close();
      await api.close();
    }
  });
});

describe('paystar callbacks from the sandbox', () => {
  interface Received {
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }
  let receiver: http.Server;
  let notifyUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/paystar`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  async function callbackFor(providerRef: string, timeoutMs = 3000): Promise<CallbackRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = received.find((r) => r.body.toString().includes(providerRef));
      if (hit) return { method: 'POST', path: '/callbacks/paystar', headers: hit.headers, rawBody: hit.body };
      if (Date.now() > deadline) throw new Error('no callback');
      await sleep(25);
    }
  }

  it('a signed callback carrying the amount literal verifies; tampered and forged ones are refused', async () => {
    const sandbox = await paystarProvider.startSandbox({ credentials, settings: { settleAfterSeconds: 0.1 } });
    try {
      const adapter = adapterFor(sandbox.url, {}, notifyUrl);
      const p = payout('150.50');
      const { providerRef } = expectAccepted(await adapter.submit(p));
      const cb = await callbackFor(providerRef!);
      const text = cb.rawBody.toString();
      expect(text).toContain('"amount":150.50'); // the literal as sent, trailing zero kept
      expect(text).not.toContain(CARD);
      expect(JSON.parse(text).externalParams.cardNumber).toBe('411111******1111');
      expect(adapter.verifyCallback!(cb)).toEqual({ ok: true, merchantReference: '', providerReference: providerRef, rawStatus: 'Success' });

      const tamperedAmount = { ...cb, rawBody: Buffer.from(text.replace('"amount":150.50', '"amount":150.5')) };
      expect(adapter.verifyCallback!(tamperedAmount).ok).toBe(false);
      const tamperedStatus = { ...cb, rawBody: Buffer.from(text.replace('"Success"', '"Failed"')) };
      expect(adapter.verifyCallback!(tamperedStatus).ok).toBe(false);
      const forged = { ...cb, headers: { ...cb.headers, signature: 'ab'.repeat(32) } };
      expect(adapter.verifyCallback!(forged)).toEqual({ ok: false, reason: 'Signature does not match the body' });
      const otherKey = adapterFor(sandbox.url, { privateKey: 'sk_other' });
      expect(otherKey.verifyCallback!(cb).ok).toBe(false);
    } finally {
      await sandbox.close();
    }
  });

  it('a failed payout’s callback, with upper-case hex and the misspelt externald, verifies', async () => {
    const sandbox = await paystarProvider.startSandbox({ credentials, settings: { settleAfterSeconds: 0.1, signatureUpperCase: true, misspellExternalId: true, successStatus: 'Successful' } });
    try {
      const adapter = adapterFor(sandbox.url, {}, notifyUrl);
      const failing = payout('30', CARD_FAILS, 'JPY');
      const { providerRef } = expectAccepted(await adapter.submit(failing));
      const cb = await callbackFor(providerRef!);
      expect(String(cb.headers.signature)).toMatch(/^[0-9A-F]{64}$/);
      expect(cb.rawBody.toString()).toContain('"externald"');
      expect(adapter.verifyCallback!(cb)).toMatchObject({ ok: true, providerReference: providerRef, rawStatus: 'Failed' });

      const ok = payout('30', CARD, 'JPY');
      expectAccepted(await adapter.submit(ok));
      expect(await settled(adapter, ok)).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded', raw: 'Successful' } });
    } finally {
      await sandbox.close();
    }
  });
});

describe('paystar masks card numbers in answers it quotes', () => {
  it('a provider message echoing the card is masked in the rejection', async () => {
    const stub = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ label: 'VALIDATION_ERROR.', message: `Card 4111111111111111 is blocked`, statusDescrption: '0-0000' }));
      });
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
      const out = await adapterFor(url).submit(payout());
      expect(out).toMatchObject({ kind: 'rejected', message: 'Card ****1111 is blocked' });
      expect(JSON.stringify(out)).not.toContain(CARD);
    } finally {
      await new Promise<void>((r) => stub.close(() => r()));
    }
  });

  it('an unreadable 400 is unknown (it might have been the duplicate answer), 5xx unknown, 404 on create stops', async () => {
    let status = 400;
    let body = '<html>bad gateway</html>';
    const stub = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status).end(body));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const adapter = adapterFor(`http://127.0.0.1:${(stub.address() as AddressInfo).port}`);
      expect(await adapter.submit(payout())).toMatchObject({ kind: 'unknown' });
      status = 502;
      expect(await adapter.submit(payout())).toMatchObject({ kind: 'unknown' });
      status = 404;
      body = '';
      expect(await adapter.submit(payout())).toMatchObject({ kind: 'stop', code: 'HTTP_404' });
      status = 403;
      expect(await adapter.submit(payout())).toMatchObject({ kind: 'stop', code: 'HTTP_403' });
      status = 200;
      body = '{"orderStatus":"Created"}';
      expect(await adapter.submit(payout())).toMatchObject({ kind: 'unknown' });
    } finally {
      await new Promise<void>((r) => stub.close(() => r()));
    }
  });

  it('nothing listening → notSent', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const adapter = adapterFor(`http://127.0.0.1:${port}`);
    expect(await adapter.submit(payout())).toMatchObject({ kind: 'notSent' });
  });
});
