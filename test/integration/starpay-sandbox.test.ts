// The Starpay adapter against its sandbox over real loopback HTTP: signatures both ways, async settlement,
// every shared fault kind, duplicates, throttling, notifications, bank list and balance.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { Writable } from 'node:stream';
import { silentLogger } from '../../src/log.ts';
import { starpayProvider } from '../../src/providers/starpay/index.ts';
import { SANDBOX_MCH_ID, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PRIVATE_KEY, TEST_PLATFORM_PUBLIC_KEY } from '../../src/providers/starpay/sandbox.ts';
import { envelope, loadPrivateKey, loadPublicKey, readSignedBody, requestJson, sign, verify } from '../../src/providers/starpay/sign.ts';
import type { StarpayConfig } from '../../src/providers/starpay/schema.ts';
import type { CallbackRequest, PayoutRequest, ProviderAdapter, QueryOutcome, SandboxHandle } from '../../src/providers/types.ts';

const credentials = { mchId: SANDBOX_MCH_ID, privateKey: TEST_MERCHANT_PRIVATE_KEY, platformPublicKey: TEST_PLATFORM_PUBLIC_KEY };
const BATCH = '20261121-3fa2b1c9';

let sandbox: SandboxHandle;
let adapter: ProviderAdapter;
let rowNumber = 1;

function configFor(overrides: Record<string, unknown> = {}): StarpayConfig {
  return starpayProvider.configSchema.parse({ baseUrl: sandbox.url, ...credentials, timeoutSeconds: 3, ...overrides });
}

function adapterFor(overrides: Record<string, unknown> = {}, callbackUrl?: string): ProviderAdapter {
  return starpayProvider.createAdapter(configFor(overrides), { log: silentLogger(), callbackUrl });
}

function payout(fields: Record<string, string> = {}, extra: Record<string, string> = {}): PayoutRequest {
  rowNumber++;
  return {
    payoutId: `payout-${rowNumber}`,
    batchId: 'batch-1',
    rowNumber,
    merchantReference: starpayProvider.deriveReference(BATCH, rowNumber),
    amountMinor: 150000n,
    amount: '1500.00',
    currency: 'PHP',
    fields: { account_number: '109450001234', account_name: 'Maria Reyes', middle_name: 'Santos', last_name: 'Reyes', bank_name: 'BDO Unibank, Inc.', note: 'November payroll', ...fields },
    extra,
    additional: {},
  };
}

async function control(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<any> {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}
const fault = (rule: Record<string, unknown>) => control('faults', rule);
const ledgerRecord = async (reference: string) => ((await control('payouts')) as any[]).find((r) => r.reference === reference);

async function settled(a: ProviderAdapter, p: PayoutRequest, want: string, timeoutMs = 3000): Promise<QueryOutcome> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await a.query(p);
    if ((outcome.kind === 'status' && outcome.reading.canonical === want) || Date.now() > until) return outcome;
    await new Promise((r) => setTimeout(r, 60));
  }
}

/** EMV TLV builder for QR Ph test payloads. */
const tlv = (tag: string, value: string) => tag + String(value.length).padStart(2, '0') + value;
const QR_P2M = tlv('00', '01') + tlv('01', '12') + tlv('28', tlv('00', 'ph.ppmi.p2m') + tlv('01', 'STARPAY')) + tlv('53', '608') + tlv('58', 'PH') + tlv('59', 'JUAN CAFE') + tlv('60', 'MANILA') + tlv('63', 'ABCD');

beforeAll(async () => {
  sandbox = await starpayProvider.startSandbox({ credentials, settings: { settleAfterSeconds: 0.2, reverseAfterSeconds: 0.2 } });
  adapter = adapterFor();
});
afterAll(async () => {
  await sandbox?.close();
});

describe('starpay: a payout from create to its final status', () => {
  it('create → pending → settles → succeeded, with Starpay reference and paid amount', async () => {
    const p = payout();
    const created = await adapter.submit(p);
    expect(created).toMatchObject({ kind: 'accepted', reading: { canonical: 'pending', raw: 'PROCESSING' } });
    const providerRef = created.kind === 'accepted' ? created.reading.providerRef : undefined;
    expect(providerRef).toMatch(/^SBX/);
    expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending' } });
    expect(await settled(adapter, p, 'succeeded')).toMatchObject({
      kind: 'status',
      reading: { canonical: 'succeeded', raw: 'SUCCESS', providerRef, paidAmountMinor: 150000n },
    });
  });

  it('sends the 2.4 sample fields in order, the amount as "1500", and notifyUrl last', async () => {
    const p = payout();
    const a = adapterFor({}, 'http://127.0.0.1:9/starpay');
    expect((await a.submit(p)).kind).toBe('accepted');
    const record = await ledgerRecord(p.merchantReference);
    const { amountForm, ...sent } = record.fields;
    expect(Object.keys(sent)).toEqual(['msgId', 'mchId', 'acctNo', 'acctName', 'acctMiddleName', 'acctLastName', 'receivingBank', 'trxAmount', 'currency', 'service', 'attach', 'notifyUrl']);
    expect(sent).toMatchObject({ msgId: p.merchantReference, mchId: SANDBOX_MCH_ID, trxAmount: '1500', currency: 'PHP', service: 'pay.starpay.instapay.disburse', attach: 'November payroll', acctMiddleName: 'Santos' });
    expect(amountForm).toBe('string');
  });

  it('an account ending 0002 fails with the InstaPay reason', async () => {
    const p = payout({ account_number: '109450000002' });
    expect((await adapter.submit(p)).kind).toBe('accepted');
    expect(await settled(adapter, p, 'failed')).toMatchObject({
      kind: 'status',
      reading: { canonical: 'failed', raw: 'FAIL', errorCode: 'AC01', message: 'Incorrect Account Number' },
    });
  });

  it('an account ending 0004 succeeds, then is reversed', async () => {
    const p = payout({ account_number: '109450000004' });
    expect((await adapter.submit(p)).kind).toBe('accepted');
    expect(await settled(adapter, p, 'succeeded')).toMatchObject({ kind: 'status', reading: { canonical: 'succeeded' } });
    expect(await settled(adapter, p, 'reversed')).toMatchObject({ kind: 'status', reading: { canonical: 'reversed', raw: 'REVERSED' } });
  });

  it('amounts in centavos travel as an integer JSON number', async () => {
    const a = adapterFor({ amountUnit: 'centavos' });
    const p = { ...payout(), amountMinor: 100050n, amount: '1000.50' };
    expect((await a.submit(p)).kind).toBe('accepted');
    const record = await ledgerRecord(p.merchantReference);
    expect(record.fields.trxAmount).toBe(100050);
    expect(record.amount).toBe('1000.50');
    expect(await settled(a, p, 'succeeded')).toMatchObject({ reading: { paidAmountMinor: 100050n } });
  });

  it('a Starpay-to-Starpay transfer and P2M / P2P QR payments use their own services', async () => {
    const transfer = payout({ method: 'starpay', account_number: '', mobile: '09171234567', bank_name: '' });
    expect((await adapter.submit(transfer)).kind).toBe('accepted');
    expect((await ledgerRecord(transfer.merchantReference)).fields).toMatchObject({ acctNo: '09171234567', service: 'pay.starpay.transfer.disburse' });
    const p2m = payout({ method: 'p2m-qr', account_number: '', bank_name: '' }, { qr: QR_P2M });
    expect((await adapter.submit(p2m)).kind).toBe('accepted');
    expect((await ledgerRecord(p2m.merchantReference)).fields).toMatchObject({ qrCode: QR_P2M, service: 'pay.starpay.p2m.qr.disburse' });
    const p2p = payout({ method: 'p2p-qr' }, { qr: QR_P2M });
    expect((await adapter.submit(p2p)).kind).toBe('accepted');
    expect(await settled(adapter, p2p, 'succeeded')).toMatchObject({ kind: 'status' });
  });

  it('a field Starpay refuses (412) is rejected: nothing created', async () => {
    const p = payout({ bank_name: 'Bank of Nowhere' });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'rejected', code: '412' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
  });
});

describe('starpay: references and duplicates', () => {
  it('a repeated msgId answers 403: already created, never a second payout', async () => {
    const p = payout();
    expect((await adapter.submit(p)).kind).toBe('accepted');
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
    const stats = await control('stats');
    expect(stats.created[p.merchantReference]).toBe(1);
    expect(stats.createRequests[p.merchantReference]).toBe(2);
  });

  it('the duplicate fault is answered the same way', async () => {
    const p = payout();
    await fault({ kind: 'duplicate', reference: p.merchantReference });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
  });

  it('a query for an unknown originalMsgId is notFound', async () => {
    expect(await adapter.query(payout())).toMatchObject({ kind: 'notFound' });
  });

  it('queries, bank list and balance each use a fresh msgId (no 403 however many)', async () => {
    const p = payout();
    await adapter.submit(p);
    for (let i = 0; i < 20; i++) expect((await adapter.query(p)).kind).toBe('status');
    expect(await adapter.balance!('PHP')).toBeDefined();
    expect(await adapter.balance!('PHP')).toBeDefined();
  });
});

describe('starpay: credentials and signatures', () => {
  it('a request signed with another merchant key is refused (402) → stop', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const a = adapterFor({ privateKey });
    const p = payout();
    const outcome = await a.submit(p);
    expect(outcome).toMatchObject({ kind: 'stop', code: '402' });
    expect(JSON.stringify(outcome)).not.toContain('PRIVATE KEY');
    expect(await a.query(p)).toMatchObject({ kind: 'stop', code: '402' });
    expect(await ledgerRecord(p.merchantReference)).toBeUndefined();
  });

  it('an unknown mchId is a configuration error → stop', async () => {
    expect(await adapterFor({ mchId: '105519999999' }).submit(payout())).toMatchObject({ kind: 'stop', code: '410' });
  });

  it('missing or unreadable credentials stop before anything is sent', async () => {
    expect(await adapterFor({ privateKey: undefined }).submit(payout())).toMatchObject({ kind: 'stop', code: 'config' });
    // A garbage key is refused by the config schema at load (and by the module, which parses its own block),
    // with a message that names the key's kind but never repeats what was given.
    expect(starpayProvider.configSchema.safeParse({ ...configFor(), privateKey: 'not a key' }).success).toBe(false);
    expect(() => starpayProvider.createAdapter({ ...configFor(), privateKey: 'not a key' }, { log: silentLogger() })).toThrow(/not a readable RSA private key/);
    expect(() => starpayProvider.createAdapter({ ...configFor(), privateKey: 'not a key' }, { log: silentLogger() })).not.toThrow(/not a key/);
  });

  it('the sandbox verifies over the raw request bytes: re-serialised, tampered or unsigned bodies fail', async () => {
    const key = loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY);
    const platform = loadPublicKey(TEST_PLATFORM_PUBLIC_KEY);
    const text = requestJson([['msgId', '7001' + Date.now()], ['mchId', SANDBOX_MCH_ID], ['service', 'pay.starpay.instapay.bank.list']]);
    const signature = sign(text, key);
    const post = async (body: string) => {
      const res = await fetch(`${sandbox.url}/v1/disburse/query/receivers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const read = readSignedBody(await res.text(), 'response')!;
      expect(verify(read.signedText, read.signature, platform)).toBe(true); // even refusals are signed
      return read.value as Record<string, unknown>;
    };
    const pretty = `{"request":${JSON.stringify(JSON.parse(text), null, 2)},"signature":${JSON.stringify(signature)}}`;
    expect(await post(pretty)).toMatchObject({ code: '402' });
    expect(await post(envelope('request', text.replace(SANDBOX_MCH_ID, '105510000009'), signature))).toMatchObject({ code: '402' });
    expect(await post(`{"request":${text}}`)).toMatchObject({ code: '401' });
    expect(await post(`{"request":${text},"signature":"!!"}`)).toMatchObject({ code: '401' });
    expect(await post('{"hello":"world"}')).toMatchObject({ code: '400' });
    // The same bytes, correctly signed, pass (whitespace around the member is outside the signed text).
    expect(await post(`{ "request" : ${text} , "signature" : ${JSON.stringify(signature)} }`)).toMatchObject({ code: '200' });
  });

  it('an answer that does not verify with platformPublicKey is never trusted: create and query → unknown', async () => {
    const { publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const a = adapterFor({ platformPublicKey: publicKey });
    const p = payout();
    expect(await a.submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await a.query(p)).toMatchObject({ kind: 'unknown' });
    // It was created; the correctly configured adapter finds it.
    expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
    await expect(a.balance!('PHP')).rejects.toThrow(/balance failed/);
  });
});

describe('starpay: faults', () => {
  it('error-before → unknown, and the query says notFound (nothing was created)', async () => {
    const p = payout();
    await fault({ kind: 'error-before', onCreate: true, status: 502 });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
    // Resubmitting the same msgId is safe (a duplicate would answer 403) and now creates it.
    expect((await adapter.submit(p)).kind).toBe('accepted');
  });

  it('error-after → unknown, and the query finds it', async () => {
    const p = payout();
    await fault({ kind: 'error-after', onCreate: true });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending' } });
  });

  it('drop-after → unknown, and the query finds it', async () => {
    const p = payout();
    await fault({ kind: 'drop-after', onCreate: true });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
  });

  it('hang-after with a short timeout → unknown, and the query finds it', async () => {
    const p = payout();
    await fault({ kind: 'hang-after', onCreate: true, delayMs: 1500 });
    expect(await adapterFor({ timeoutSeconds: 0.3 }).submit(p)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'status' });
  });

  it('rate-limit → 406 → notSent, throttled, slowing down by slowDownSeconds', async () => {
    const p = payout();
    await fault({ kind: 'rate-limit', onCreate: true });
    expect(await adapter.submit(p)).toMatchObject({ kind: 'notSent', throttled: true, retryAfterMs: 2000 });
    await fault({ kind: 'rate-limit', onCreate: true });
    expect(await adapterFor({ slowDownSeconds: 0.5 }).submit(p)).toMatchObject({ kind: 'notSent', throttled: true, retryAfterMs: 500 });
    expect(await adapter.query(p)).toMatchObject({ kind: 'notFound' });
    await fault({ kind: 'rate-limit', onCreate: false, path: '/v1/disburse/query' });
    expect(await adapter.query(p)).toMatchObject({ kind: 'unknown', throttled: true, retryAfterMs: 2000 });
  });

  it('the sandbox rate limit answers 406 too', async () => {
    await control('settings', { ratePerSecond: 1, burst: 1 });
    try {
      const outcomes = await Promise.all([payout(), payout(), payout()].map((p) => adapter.submit(p)));
      expect(outcomes.filter((o) => o.kind === 'notSent' && o.throttled).length).toBeGreaterThan(0);
    } finally {
      await control('settings', { ratePerSecond: 0 });
    }
  });

  it('delay → still accepted', async () => {
    await fault({ kind: 'delay', onCreate: true, delayMs: 300 });
    const started = Date.now();
    expect((await adapter.submit(payout())).kind).toBe('accepted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe('starpay: bank list and balance', () => {
  it('preflight checks bank names case-insensitively and suggests the 3 nearest for an unknown one', async () => {
    const a = adapterFor();
    const ok = payout({ bank_name: 'bdo unibank, inc.' });
    const bad = payout({ bank_name: 'BDO' });
    const typo = payout({ bank_name: 'Bank of the Phillipine Islands' });
    const transfer = payout({ method: 'starpay', bank_name: '' });
    const before = (await control('stats')).byKind.other;
    const issues = await a.preflight!([ok, bad, typo, transfer]);
    expect(issues.has(ok.payoutId)).toBe(false);
    expect(issues.has(transfer.payoutId)).toBe(false);
    const [issue] = issues.get(bad.payoutId)!;
    expect(issue).toMatchObject({ column: 'bank_name', rule: 'known-bank', value: 'BDO' });
    expect(issue!.message).toContain('"BDO Unibank, Inc."');
    expect(issue!.message.match(/"[^"]+"/g)!.length).toBe(4); // the value and three suggestions
    expect(issues.get(typo.payoutId)![0]!.message).toMatch(/nearest: "Bank of the Philippine Islands"/);
    // Fetched once per adapter.
    await a.preflight!([bad]);
    expect((await control('stats')).byKind.other - before).toBe(1);
    // The bank list's own spelling is what is sent.
    expect((await a.submit(ok)).kind).toBe('accepted');
    expect((await ledgerRecord(ok.merchantReference)).fields.receivingBank).toBe('BDO Unibank, Inc.');
  });

  it('preflight asks Scan QR about each QR payload', async () => {
    const good = payout({ method: 'p2m-qr' }, { qr: QR_P2M });
    const bad = payout({ method: 'p2p-qr' }, { qr: '000201' + '99' });
    const issues = await adapterFor().preflight!([good, bad]);
    expect(issues.has(good.payoutId)).toBe(false);
    expect(issues.get(bad.payoutId)).toEqual([expect.objectContaining({ column: 'extra.qr', rule: 'qr-scan' })]);
  });

  it('balance reads pesos into centavos, and a fresh sandbox starts at its configured balance', async () => {
    const own = await starpayProvider.startSandbox({ credentials, settings: { balances: { PHP: '250000.50' } } });
    try {
      const a = starpayProvider.createAdapter(starpayProvider.configSchema.parse({ baseUrl: own.url, ...credentials }), { log: silentLogger() });
      expect(await a.balance!('PHP')).toMatchObject({ currency: 'PHP', availableMinor: 25000050n, raw: '250000.50' });
      expect(await a.balance!('USD')).toBeUndefined();
      await a.submit(payout());
      expect(await a.balance!('PHP')).toMatchObject({ availableMinor: 25000050n - 150000n });
    } finally {
      await own.close();
    }
  });
});

describe('starpay: notifications', () => {
  async function receiver() {
    const received: CallbackRequest[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method ?? 'POST', path: req.url ?? '/', headers: req.headers, rawBody: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"200","message":"success"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/starpay`;
    return { received, url, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  async function waitFor<T>(fn: () => T | undefined, timeoutMs = 3000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  it('a signed notification is verified and names the payout; a tampered one is refused', async () => {
    const rx = await receiver();
    try {
      const a = adapterFor({}, rx.url);
      const p = payout({ account_number: '109450000002' });
      expect((await a.submit(p)).kind).toBe('accepted');
      const callback = await waitFor(() => rx.received[0]);
      const verdict = a.verifyCallback!(callback);
      expect(verdict).toMatchObject({ ok: true, merchantReference: p.merchantReference, rawStatus: 'FAIL' });
      expect(a.callbackAck).toEqual({ status: 200, contentType: 'application/json', body: '{"code":"200","message":"success"}' });
      const tampered = { ...callback, rawBody: Buffer.from(callback.rawBody.toString('utf8').replace('"FAIL"', '"SUCCESS"')) };
      expect(a.verifyCallback!(tampered)).toMatchObject({ ok: false });
      const reSerialised = { ...callback, rawBody: Buffer.from(JSON.stringify(JSON.parse(callback.rawBody.toString('utf8')), null, 1)) };
      expect(a.verifyCallback!(reSerialised)).toMatchObject({ ok: false });
      expect(a.verifyCallback!({ ...callback, rawBody: Buffer.from('{"request":{"originalMsgId":"1"}}') })).toMatchObject({ ok: false });
      // Without platformPublicKey the notification is accepted unverified (the engine queries anyway).
      expect(adapterFor({ platformPublicKey: null }).verifyCallback!(tampered)).toMatchObject({ ok: true, merchantReference: p.merchantReference });
    } finally {
      await rx.close();
    }
  });

  it('a notification whose request is a JSON string is verified over the string content', async () => {
    const rx = await receiver();
    const own = await starpayProvider.startSandbox({ credentials, settings: { settleAfterSeconds: 0.1, notifyRequestAsString: true } });
    try {
      const a = starpayProvider.createAdapter(starpayProvider.configSchema.parse({ baseUrl: own.url, ...credentials }), { log: silentLogger(), callbackUrl: rx.url });
      const p = payout();
      expect((await a.submit(p)).kind).toBe('accepted');
      const callback = await waitFor(() => rx.received[0]);
      expect(typeof JSON.parse(callback.rawBody.toString('utf8')).request).toBe('string');
      expect(a.verifyCallback!(callback)).toMatchObject({ ok: true, merchantReference: p.merchantReference, rawStatus: 'SUCCESS' });
    } finally {
      await own.close();
      await rx.close();
    }
  });
});

describe('starpay: an unmapped trxState', () => {
  it('is read as pending and logged once per value', async () => {
    // A minimal Starpay stand-in on loopback that answers every query with a state the table lacks.
    const platform = loadPrivateKey(TEST_PLATFORM_PRIVATE_KEY);
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = readSignedBody(Buffer.concat(chunks).toString('utf8'), 'request')!.value as Record<string, string>;
        const text = requestJson([['code', '200'], ['message', 'success'], ['msgId', request.msgId!], ['originalMsgId', request.originalMsgId!], ['trxState', 'ON_HOLD']]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(envelope('response', text, sign(text, platform)));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const warnings: unknown[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        warnings.push(JSON.parse(chunk.toString('utf8')));
        done();
      },
    });
    const log = winston.createLogger({ level: 'warn', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
    try {
      const config = starpayProvider.configSchema.parse({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ...credentials });
      const a = starpayProvider.createAdapter(config, { log });
      const p = payout();
      expect(await a.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending', raw: 'ON_HOLD' } });
      expect(await a.query(p)).toMatchObject({ kind: 'status', reading: { canonical: 'pending', raw: 'ON_HOLD' } });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ trxState: 'ON_HOLD' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
