// The Yuansfer adapter against its sandbox over real loopback HTTP: transfer, inquiry, settlement,
// faults, duplicates, signatures, IPNs and the balance.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { PayoutRequest, ProviderAdapter, QueryOutcome } from '../../src/providers/types.ts';
import { createAdapter, PATHS } from '../../src/providers/yuansfer/client.ts';
import { yuansferProvider } from '../../src/providers/yuansfer/index.ts';
import { SEEDED_PAYEE, startYuansferSandbox, type YuansferSandboxHandle } from '../../src/providers/yuansfer/sandbox.ts';
import { yuansferConfigSchema } from '../../src/providers/yuansfer/schema.ts';
import { apiTimestamp, signedBody, verifySign } from '../../src/providers/yuansfer/sign.ts';

const CREDS = { merchantNo: '202333', storeNo: '301854', token: 'integration-token-7f3a' };
const FAST = { settleAfterSeconds: 0.2, reverseAfterSeconds: 0.2 };

let seq = 0;
const nextRef = () => `IT-${process.pid}-${Date.now().toString(36)}-${++seq}`;

function adapterFor(url: string, overrides: Record<string, unknown> = {}, callbackUrl?: string): ProviderAdapter {
  const config = yuansferConfigSchema.parse({ baseUrl: url, ...CREDS, timeoutSeconds: 5, ...overrides });
  return createAdapter(config, { log: silentLogger(), callbackUrl });
}

function payeeFields(accountNumber: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    first_name: 'Maria', last_name: 'Garcia', email: `maria.${accountNumber}@example.com`, date_of_birth: '1988-03-14',
    street: '350 Fifth Ave', city: 'New York', state: 'NY', zip: '10118', country: 'US', routing_number: '021000021',
    account_number: accountNumber, account_type: 'CHECKING', ...extra,
  };
}

function payout(fields: Record<string, string>, options: { reference?: string; amountMinor?: bigint; prepared?: Record<string, string> } = {}): PayoutRequest {
  const amountMinor = options.amountMinor ?? 50000n;
  return {
    payoutId: `p-${++seq}`, batchId: 'b-1', rowNumber: seq + 1, merchantReference: options.reference ?? nextRef(),
    amountMinor, amount: `${amountMinor / 100n}.${String(amountMinor % 100n).padStart(2, '0')}`, currency: 'USD',
    fields, extra: {}, additional: {}, prepared: options.prepared,
  };
}

/** A payout whose payee has been registered and given this bank account (prepare, as the engine does first). */
async function preparedPayout(adapter: ProviderAdapter, accountNumber: string, options: { reference?: string; amountMinor?: bigint } = {}): Promise<PayoutRequest> {
  const fields = payeeFields(accountNumber);
  const prep = await adapter.prepare!(payout(fields));
  if (prep.kind !== 'ready') throw new Error(`prepare: ${JSON.stringify(prep)}`);
  return payout(fields, { ...options, prepared: prep.prepared });
}

async function until(adapter: ProviderAdapter, p: PayoutRequest, canonical: string, timeoutMs = 4000): Promise<QueryOutcome> {
  const deadline = Date.now() + timeoutMs;
  let last: QueryOutcome | undefined;
  while (Date.now() < deadline) {
    last = await adapter.query(p);
    if (last.kind === 'status' && last.reading.canonical === canonical) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached ${canonical}: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/** A signed request as any Pockyt client would send it (not through the adapter). */
async function rawCall(url: string, path: string, params: Record<string, string>, options: { token?: string; headers?: Record<string, string>; tamper?: (body: string) => string } = {}) {
  const { body } = signedBody({ merchantNo: CREDS.merchantNo, storeNo: CREDS.storeNo, timestamp: apiTimestamp(), ...params }, options.token ?? CREDS.token);
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.tamper ? options.tamper(body) : body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('yuansfer adapter against the sandbox', () => {
  let sandbox: YuansferSandboxHandle;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    sandbox = await startYuansferSandbox({ credentials: CREDS, settings: FAST });
    adapter = adapterFor(sandbox.url);
  });
  afterAll(async () => sandbox.close());
  afterEach(() => sandbox.server.faults.clear());

  it('pays: transfer is pending, then the payout settles and the inquiry says succeeded', async () => {
    const p = await preparedPayout(adapter, '1234560001', { amountMinor: 123456n });
    const out = await adapter.submit(p);
    expect(out.kind).toBe('accepted');
    if (out.kind !== 'accepted') return;
    expect(out.reading).toMatchObject({ canonical: 'pending', raw: 'pending' });
    expect(out.reading.providerRef).toBeTruthy();
    const q = await adapter.query(p);
    expect(q).toMatchObject({ kind: 'status', reading: { canonical: 'pending', raw: 'pending' } });
    const done = await until(adapter, p, 'succeeded');
    expect(done).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded', raw: 'success', paidAmountMinor: 123456n, providerRef: out.reading.providerRef } });
    const record = sandbox.server.ledger.get(p.merchantReference)!;
    expect(record.amount).toBe('1234.56');
    expect(sandbox.server.ledger.created.get(p.merchantReference)).toBe(1);
  });

  it('pays a registered payee named by customer_no + account_token without preparing anything', async () => {
    const fields = { customer_no: SEEDED_PAYEE.customerNo, account_token: SEEDED_PAYEE.accountToken };
    const prep = await adapter.prepare!(payout(fields));
    expect(prep).toEqual({ kind: 'ready', prepared: { customerNo: SEEDED_PAYEE.customerNo, accountToken: SEEDED_PAYEE.accountToken } });
    const p = payout(fields);
    expect((await adapter.submit(p)).kind).toBe('accepted');
    await until(adapter, p, 'succeeded');
  });

  it('reports a failed payout (account ending 0002) with the provider\'s reason', async () => {
    const p = await preparedPayout(adapter, '1234560002');
    expect((await adapter.submit(p)).kind).toBe('accepted');
    const q = await until(adapter, p, 'failed');
    expect(q).toMatchObject({ reading: { raw: 'failed', errorCode: 'ACCOUNT_REJECTED' } });
  });

  it('reports a return after success (account ending 0004) as reversed', async () => {
    const p = await preparedPayout(adapter, '1234560004');
    expect((await adapter.submit(p)).kind).toBe('accepted');
    await until(adapter, p, 'succeeded');
    const q = await until(adapter, p, 'reversed');
    expect(q).toMatchObject({ reading: { raw: 'returned', errorCode: 'RETURNED' } });
  });

  it('answers an unknown invoiceId with not found', async () => {
    expect(await adapter.query(payout({}, { reference: 'NEVER-SENT-1' }))).toMatchObject({ kind: 'notFound' });
  });

  it('rejects a payout to an account token of another customer (000022 with good credentials)', async () => {
    const mine = await preparedPayout(adapter, '1234560011');
    const p = payout({}, { prepared: { customerNo: mine.prepared!.customerNo!, accountToken: SEEDED_PAYEE.accountToken } });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'rejected', code: '000022' });
    expect(sandbox.server.ledger.get(p.merchantReference)).toBeUndefined();
  });

  it('rejects an unknown customer (000021); an amount over the balance (000040) holds the batch, nothing created', async () => {
    const unknown = payout({ customer_no: '2000999999999999999999', account_token: SEEDED_PAYEE.accountToken });
    expect(await adapter.submit(unknown)).toMatchObject({ kind: 'rejected', code: '000021' });
    const huge = await preparedPayout(adapter, '1234560012', { amountMinor: 100_000_000_00n });
    expect(await adapter.submit(huge)).toMatchObject({ kind: 'hold', code: '000040' });
    expect(sandbox.server.ledger.get(huge.merchantReference)).toBeUndefined();
  });

  it('reads the payor balance', async () => {
    const before = await adapter.balance!('USD');
    expect(before?.currency).toBe('USD');
    expect(typeof before?.availableMinor).toBe('bigint');
    const p = await preparedPayout(adapter, '1234560013', { amountMinor: 2500n });
    await adapter.submit(p);
    const after = await adapter.balance!('USD');
    expect(before!.availableMinor - after!.availableMinor).toBe(2500n);
    expect(await adapter.balance!('EUR')).toBeUndefined();
  });

  describe('duplicates and Pockyt-Request-ID', () => {
    it('replays the first answer when the same request id is sent again (no second payout)', async () => {
      const p = await preparedPayout(adapter, '1234560021');
      const first = await adapter.submit(p);
      const second = await adapter.submit(p);
      expect(first.kind).toBe('accepted');
      expect(second).toEqual(first);
      expect(sandbox.server.ledger.created.get(p.merchantReference)).toBe(1);
      expect(sandbox.payeeStats().replays).toBeGreaterThanOrEqual(1);
    });

    it('a used invoiceId under another request id answers 000023: already created, query it', async () => {
      const p = await preparedPayout(adapter, '1234560022');
      const params = {
        customerNo: p.prepared!.customerNo!, accountToken: p.prepared!.accountToken!, amount: '500.00', currency: 'USD', invoiceId: p.merchantReference,
      };
      const created = await rawCall(sandbox.url, PATHS.pay, params, { headers: { 'Pockyt-Request-ID': 'another-client-id' } });
      expect(created.json.ret_code).toBe('000100');
      const again = await rawCall(sandbox.url, PATHS.pay, params, { headers: { 'Pockyt-Request-ID': 'yet-another-id' } });
      expect(again.json).toMatchObject({ ret_code: '000023' });
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
      expect(sandbox.server.ledger.created.get(p.merchantReference)).toBe(1);
      expect((await adapter.query(p)).kind).toBe('status');
    });

    it('the duplicate fault on a payout that exists → unknown{alreadyCreated}', async () => {
      const p = await preparedPayout(adapter, '1234560023');
      expect((await adapter.submit(p)).kind).toBe('accepted');
      sandbox.server.faults.add([{ kind: 'duplicate', onCreate: true }]);
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
    });

    it('000023 for an invoiceId the inquiry does not know is a parameter error: rejected', async () => {
      const p = await preparedPayout(adapter, '1234560024');
      sandbox.server.faults.add([{ kind: 'duplicate', onCreate: true }]);
      expect(await adapter.submit(p)).toMatchObject({ kind: 'rejected', code: '000023' });
      expect(sandbox.server.ledger.get(p.merchantReference)).toBeUndefined();
    });
  });

  describe('faults', () => {
    it('error-before: unknown, and the inquiry finds nothing', async () => {
      const p = await preparedPayout(adapter, '1234560031');
      sandbox.server.faults.add([{ kind: 'error-before', onCreate: true, status: 502 }]);
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
      // Resubmitting after a trusted "not found" creates it exactly once.
      expect((await adapter.submit(p)).kind).toBe('accepted');
      expect(sandbox.server.ledger.created.get(p.merchantReference)).toBe(1);
    });

    it('error-after: unknown, and the inquiry finds the payout', async () => {
      const p = await preparedPayout(adapter, '1234560032');
      sandbox.server.faults.add([{ kind: 'error-after', onCreate: true }]);
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending' } });
      // A resubmission (same Pockyt-Request-ID) replays the first answer instead of paying again.
      expect((await adapter.submit(p)).kind).toBe('accepted');
      expect(sandbox.server.ledger.created.get(p.merchantReference)).toBe(1);
    });

    it('drop-after: unknown, and the inquiry finds the payout', async () => {
      const p = await preparedPayout(adapter, '1234560033');
      sandbox.server.faults.add([{ kind: 'drop-after', onCreate: true }]);
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect((await adapter.query(p)).kind).toBe('status');
    });

    it('drop-before: unknown (the client cannot tell), and the inquiry finds nothing', async () => {
      const p = await preparedPayout(adapter, '1234560034');
      sandbox.server.faults.add([{ kind: 'drop-before', onCreate: true }]);
      expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
      expect((await adapter.query(p)).kind).toBe('notFound');
    });

    it('hang-after with a short timeout: unknown, and the payout exists', async () => {
      const p = await preparedPayout(adapter, '1234560035');
      const impatient = adapterFor(sandbox.url, { timeoutSeconds: 0.3 });
      sandbox.server.faults.add([{ kind: 'hang-after', onCreate: true, delayMs: 1500 }]);
      expect(await impatient.submit(p)).toMatchObject({ kind: 'unknown', cause: expect.stringContaining('no answer') });
      expect((await adapter.query(p)).kind).toBe('status');
    });

    it('rate-limit: notSent, throttled, with the Retry-After', async () => {
      const p = await preparedPayout(adapter, '1234560036');
      sandbox.server.faults.add([{ kind: 'rate-limit', onCreate: true, retryAfterSeconds: 2 }]);
      expect(await adapter.submit(p)).toEqual({ kind: 'notSent', cause: expect.any(String), throttled: true, retryAfterMs: 2000 });
      expect(sandbox.server.ledger.get(p.merchantReference)).toBeUndefined();
      sandbox.server.faults.add([{ kind: 'rate-limit', path: PATHS.inquiry }]);
      expect(await adapter.query(p)).toMatchObject({ kind: 'unknown', throttled: true, retryAfterMs: 1000 });
    });

    it('delay: slower, then a normal answer', async () => {
      const p = await preparedPayout(adapter, '1234560037');
      sandbox.server.faults.add([{ kind: 'delay', onCreate: true, delayMs: 250 }]);
      const started = Date.now();
      expect((await adapter.submit(p)).kind).toBe('accepted');
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    });

    it('a 5xx or an unreadable answer on inquiry is unknown, never not found', async () => {
      const p = await preparedPayout(adapter, '1234560038');
      sandbox.server.faults.add([{ kind: 'error-before', path: PATHS.inquiry }]);
      expect(await adapter.query(p)).toMatchObject({ kind: 'unknown' });
    });
  });

  it('an unreachable host is notSent for a transfer and retry for prepare', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const offline = adapterFor(`http://127.0.0.1:${port}`);
    const p = payout({}, { prepared: { customerNo: 'c', accountToken: 't' } });
    expect(await offline.submit(p)).toMatchObject({ kind: 'notSent' });
    expect(await offline.prepare!(payout(payeeFields('1234560039')))).toMatchObject({ kind: 'retry' });
  });
});

describe('yuansfer sandbox credentials and signatures', () => {
  let sandbox: YuansferSandboxHandle;
  beforeAll(async () => {
    sandbox = await startYuansferSandbox({ credentials: CREDS, settings: FAST });
  });
  afterAll(async () => sandbox.close());

  it('rejects a request whose body was changed after signing (000022)', async () => {
    const res = await rawCall(sandbox.url, PATHS.inquiry, { invoiceId: 'X-1' }, { tamper: (b) => b.replace('X-1', 'X-2') });
    expect(res.json).toMatchObject({ ret_code: '000022' });
    const good = await rawCall(sandbox.url, PATHS.inquiry, { invoiceId: 'X-1' });
    expect(good.json).toMatchObject({ ret_code: '000021' });
  });

  it('rejects a missing verifySign (000020), a wrong merchant or store (000030) and a bad timestamp (000023)', async () => {
    const noSign = await fetch(sandbox.url + PATHS.inquiry, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ merchantNo: CREDS.merchantNo, storeNo: CREDS.storeNo, invoiceId: 'x' }),
    });
    expect(await noSign.json()).toMatchObject({ ret_code: '000020' });
    expect((await rawCall(sandbox.url, PATHS.inquiry, { invoiceId: 'x', storeNo: '999999' })).json).toMatchObject({ ret_code: '000030' });
    expect((await rawCall(sandbox.url, PATHS.inquiry, { invoiceId: 'x', timestamp: '2023-02-13 10:50:58' })).json).toMatchObject({ ret_code: '000023' });
  });

  it('a wrong token stops the batch: on transfer, inquiry and prepare', async () => {
    const wrong = adapterFor(sandbox.url, { token: 'not-the-token' });
    const p = payout({ customer_no: SEEDED_PAYEE.customerNo, account_token: SEEDED_PAYEE.accountToken });
    expect(await wrong.submit(p)).toMatchObject({ kind: 'stop', code: '000022' });
    expect(await wrong.query(p)).toMatchObject({ kind: 'stop', code: '000022' });
    expect(await wrong.prepare!(payout(payeeFields('1234560041')))).toMatchObject({ kind: 'stop', code: '000022' });
    expect(sandbox.server.ledger.get(p.merchantReference)).toBeUndefined();
    const out = await wrong.submit(p);
    expect(JSON.stringify(out)).not.toContain('not-the-token');
  });

  it('a wrong merchantNo or storeNo stops the batch (000030)', async () => {
    const wrong = adapterFor(sandbox.url, { storeNo: '300000' });
    const p = payout({ customer_no: SEEDED_PAYEE.customerNo, account_token: SEEDED_PAYEE.accountToken });
    expect(await wrong.submit(p)).toMatchObject({ kind: 'stop', code: '000030' });
    expect(await wrong.prepare!(payout(payeeFields('1234560042')))).toMatchObject({ kind: 'stop', code: '000030' });
  });

  it('a wrong path (404 without ret_code) stops the batch instead of guessing', async () => {
    const wrongHost = adapterFor(sandbox.url + '/not-pockyt');
    const p = payout({ customer_no: SEEDED_PAYEE.customerNo, account_token: SEEDED_PAYEE.accountToken });
    expect(await wrongHost.submit(p)).toMatchObject({ kind: 'stop', code: 'HTTP_404' });
  });

  it('uses the built-in credentials when started without any', async () => {
    const builtIn = await yuansferProvider.startSandbox({ credentials: {}, settings: FAST });
    try {
      const creds = Object.fromEntries(yuansferProvider.credentials.map((c) => [c.key, c.sandboxValue]));
      const a = createAdapter(yuansferConfigSchema.parse({ baseUrl: builtIn.url, ...creds }), { log: silentLogger() });
      expect(await a.query(payout({}, { reference: 'NONE' }))).toMatchObject({ kind: 'notFound' });
    } finally {
      await builtIn.close();
    }
  });

  it('answers the sandbox rate limit with HTTP 429 and Retry-After: notSent, throttled', async () => {
    const limited = await startYuansferSandbox({ credentials: CREDS, settings: { ...FAST, ratePerSecond: 1, burst: 1 } });
    try {
      const a = adapterFor(limited.url);
      const p = payout({ customer_no: SEEDED_PAYEE.customerNo, account_token: SEEDED_PAYEE.accountToken });
      const outcomes = [await a.submit(p), await a.submit(payout(p.fields))];
      expect(outcomes[0]!.kind).toBe('accepted');
      expect(outcomes[1]).toMatchObject({ kind: 'notSent', throttled: true, retryAfterMs: 1000 });
    } finally {
      await limited.close();
    }
  });
});

describe('yuansfer IPN', () => {
  let sandbox: YuansferSandboxHandle;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: { headers: http.IncomingHttpHeaders; body: Buffer; path: string }[] = [];
  let reply = { status: 200, body: 'success' };

  beforeAll(async () => {
    sandbox = await startYuansferSandbox({ credentials: CREDS, settings: FAST });
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks), path: req.url ?? '/' });
        res.writeHead(reply.status, { 'content-type': 'text/plain' });
        res.end(reply.body);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ipn/yuansfer`;
  });
  afterAll(async () => {
    await sandbox.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  async function ipnFor(reference: string, status: string, timeoutMs = 4000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = received.find((r) => {
        const params = new URLSearchParams(r.body.toString('utf8'));
        return params.get('invoiceId') === reference && params.get('status') === status;
      });
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no IPN ${status} for ${reference}`);
  }

  it('sends a form-encoded IPN signed with verifySign that verifyCallback accepts; a tampered one is refused', async () => {
    const adapter = adapterFor(sandbox.url, {}, receiverUrl);
    const p = await preparedPayout(adapter, '1234560051');
    expect((await adapter.submit(p)).kind).toBe('accepted');
    const ipn = await ipnFor(p.merchantReference, 'success');
    expect(ipn.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(ipn.path).toBe('/ipn/yuansfer');
    const request = { method: 'POST', path: ipn.path, headers: ipn.headers, rawBody: ipn.body };
    const verdict = adapter.verifyCallback!(request);
    expect(verdict).toMatchObject({ ok: true, merchantReference: p.merchantReference, rawStatus: 'success' });
    if (verdict.ok) expect(verdict.providerReference).toBe(sandbox.server.ledger.get(p.merchantReference)!.providerRef);

    const tampered = ipn.body.toString('utf8').replace('status=success', 'status=returned');
    expect(adapter.verifyCallback!({ ...request, rawBody: Buffer.from(tampered) })).toMatchObject({ ok: false });
    const otherInvoice = ipn.body.toString('utf8').replace(`invoiceId=${p.merchantReference}`, 'invoiceId=SOMEONE-ELSE');
    expect(adapter.verifyCallback!({ ...request, rawBody: Buffer.from(otherInvoice) })).toMatchObject({ ok: false });
    expect(adapter.callbackAck).toEqual({ status: 200, contentType: 'text/plain', body: 'success' });
  });

  it('refuses a forged IPN signed with another token, and one without verifySign', async () => {
    const adapter = adapterFor(sandbox.url, {}, receiverUrl);
    const params: Record<string, string> = { invoiceId: 'FORGED-1', status: 'success', amount: '9999.00', currency: 'USD', transactionNo: '1' };
    const forged = new URLSearchParams({ ...params, verifySign: verifySign(params, 'guessed-token') }).toString();
    const base = { method: 'POST', path: '/ipn', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    expect(adapter.verifyCallback!({ ...base, rawBody: Buffer.from(forged) })).toEqual({ ok: false, reason: 'IPN verifySign does not match' });
    expect(adapter.verifyCallback!({ ...base, rawBody: Buffer.from(new URLSearchParams(params).toString()) })).toMatchObject({ ok: false });
    const genuine = new URLSearchParams({ ...params, verifySign: verifySign(params, CREDS.token) }).toString();
    expect(adapter.verifyCallback!({ ...base, rawBody: Buffer.from(genuine) })).toMatchObject({ ok: true, merchantReference: 'FORGED-1' });
  });

  it('falls back to `reference` when an IPN has no invoiceId', () => {
    const adapter = adapterFor(sandbox.url);
    const params: Record<string, string> = { reference: 'REF-9', status: 'success', transactionNo: '77' };
    const body = new URLSearchParams({ ...params, verifySign: verifySign(params, CREDS.token) }).toString();
    expect(adapter.verifyCallback!({ method: 'POST', path: '/', headers: {}, rawBody: Buffer.from(body) })).toEqual({
      ok: true, merchantReference: 'REF-9', providerReference: '77', rawStatus: 'success',
    });
  });

  it('sends an IPN for the return after success too', async () => {
    const adapter = adapterFor(sandbox.url, {}, receiverUrl);
    const p = await preparedPayout(adapter, '1234560004');
    expect((await adapter.submit(p)).kind).toBe('accepted');
    const ipn = await ipnFor(p.merchantReference, 'returned');
    expect(adapter.verifyCallback!({ method: 'POST', path: ipn.path, headers: ipn.headers, rawBody: ipn.body })).toMatchObject({ ok: true, rawStatus: 'returned' });
  });
});
