// verifyCallback over hand-written raw bodies: the amount literal is signed as written.
import { describe, it, expect } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { createAdapter } from '../../src/providers/paystar/client.ts';
import { paystarConfigSchema } from '../../src/providers/paystar/schema.ts';
import { callbackSignature } from '../../src/providers/paystar/sign.ts';
import type { CallbackRequest } from '../../src/providers/types.ts';

const KEY = 'sk_callback_test';
const adapter = createAdapter(paystarConfigSchema.parse({ baseUrl: 'http://127.0.0.1:9', publicKey: 'pk', privateKey: KEY }), { log: silentLogger() });
const ID = 'a30288b2-220a-4495-9bcb-6821dcc39331';

function body(amountLiteral: string, overrides = ''): string {
  return `{"externalId":"${ID}","amount":${amountLiteral},"currency":"USD","status":"Success","orderType":"Withdrawal",` +
    `"externalParams":{"cardToken":"t","cardStorageToken":null,"cardNumber":"411111******1111","cardHolder":"JOHN WICK"}${overrides}}`;
}
function request(raw: string, signature?: string | string[]): CallbackRequest {
  return { method: 'POST', path: '/callbacks/paystar', headers: signature === undefined ? {} : { signature }, rawBody: Buffer.from(raw) };
}
const sign = (amount: string, status = 'Success', orderType = 'Withdrawal', externalId = ID) => callbackSignature({ externalId, status, amount, orderType }, KEY);

describe('paystar verifyCallback', () => {
  it('accepts a genuine callback and names the order by PayStar’s externalId', () => {
    expect(adapter.verifyCallback!(request(body('100.50'), sign('100.50')))).toEqual({
      ok: true,
      merchantReference: '',
      providerReference: ID,
      rawStatus: 'Success',
    });
  });

  it('takes amount as written in the raw body: 100.50 signed as "100.5" is refused', () => {
    expect(adapter.verifyCallback!(request(body('100.50'), sign('100.5'))).ok).toBe(false);
    expect(adapter.verifyCallback!(request(body('100.5'), sign('100.5'))).ok).toBe(true);
    expect(adapter.verifyCallback!(request(body('100'), sign('100'))).ok).toBe(true);
    expect(adapter.verifyCallback!(request(body('100'), sign('100.00'))).ok).toBe(false);
  });

  it('accepts amount written as a string, signed by its content', () => {
    expect(adapter.verifyCallback!(request(body('"100.50"'), sign('100.50'))).ok).toBe(true);
  });

  it('accepts upper-case hex and a Signature header given twice (first wins)', () => {
    expect(adapter.verifyCallback!(request(body('7.25'), sign('7.25').toUpperCase())).ok).toBe(true);
    expect(adapter.verifyCallback!(request(body('7.25'), [sign('7.25'), 'junk'])).ok).toBe(true);
    const capitalised: CallbackRequest = { ...request(body('7.25')), headers: { Signature: sign('7.25') } };
    expect(adapter.verifyCallback!(capitalised).ok).toBe(true);
  });

  it('accepts the older docs’ misspelt `externald`', () => {
    const raw = body('5.00').replace('"externalId"', '"externald"');
    expect(adapter.verifyCallback!(request(raw, sign('5.00')))).toMatchObject({ ok: true, providerReference: ID });
  });

  it('uses externalTransactionId as the merchant reference if PayStar ever sends it', () => {
    const raw = body('5.00', ',"externalTransactionId":"PB-20261121-3fa2b1c9-2"');
    expect(adapter.verifyCallback!(request(raw, sign('5.00')))).toMatchObject({ ok: true, merchantReference: 'PB-20261121-3fa2b1c9-2' });
  });

  it('refuses forged and tampered callbacks', () => {
    const good = sign('100.50');
    // status flipped after signing
    expect(adapter.verifyCallback!(request(body('100.50').replace('"Success"', '"Failed"'), good)).ok).toBe(false);
    // amount changed after signing
    expect(adapter.verifyCallback!(request(body('999.50'), good)).ok).toBe(false);
    // signed with another key
    expect(adapter.verifyCallback!(request(body('100.50'), callbackSignature({ externalId: ID, status: 'Success', amount: '100.50', orderType: 'Withdrawal' }, 'guess')))).toEqual({
      ok: false,
      reason: 'Signature does not match the body',
    });
    // no signature, empty signature
    expect(adapter.verifyCallback!(request(body('100.50')))).toEqual({ ok: false, reason: 'no Signature header' });
    expect(adapter.verifyCallback!(request(body('100.50'), '')).ok).toBe(false);
    // another order's id
    expect(adapter.verifyCallback!(request(body('100.50').replace(ID, 'other-id'), good)).ok).toBe(false);
  });

  it('refuses a body naming amount twice (one value signed, another read)', () => {
    const raw = body('100.50', ',"amount":1000000');
    expect(adapter.verifyCallback!(request(raw, sign('100.50')))).toMatchObject({ ok: false, reason: expect.stringContaining('2 times') });
  });

  it('refuses non-JSON bodies, missing fields and deposit callbacks', () => {
    expect(adapter.verifyCallback!(request('externalId=1&status=Success', sign('1'))).ok).toBe(false);
    expect(adapter.verifyCallback!(request(`{"externalId":"${ID}","amount":1,"orderType":"Withdrawal"}`, sign('1'))).ok).toBe(false);
    const deposit = body('1.00').replace('"Withdrawal"', '"Deposit"');
    expect(adapter.verifyCallback!(request(deposit, sign('1.00', 'Success', 'Deposit')))).toMatchObject({ ok: false, reason: expect.stringContaining('Deposit') });
  });

  it('a token-only configuration cannot verify callbacks and says so', () => {
    const tokenOnly = createAdapter(paystarConfigSchema.parse({ baseUrl: 'http://127.0.0.1:9', token: 'ready.jwt.token' }), { log: silentLogger() });
    expect(tokenOnly.verifyCallback!(request(body('1.00'), sign('1.00')))).toMatchObject({ ok: false, reason: expect.stringContaining('privateKey') });
  });

  it('acknowledges with HTTP 200 OK by default, configurable', () => {
    expect(adapter.callbackAck).toEqual({ status: 200, contentType: 'text/plain', body: 'OK' });
    const custom = createAdapter(paystarConfigSchema.parse({ baseUrl: 'x', publicKey: 'p', privateKey: 'k', callbackAckBody: '{"ok":true}', callbackAckContentType: 'application/json' }), { log: silentLogger() });
    expect(custom.callbackAck).toEqual({ status: 200, contentType: 'application/json', body: '{"ok":true}' });
  });

  it('a configuration without keys or token is refused up front', () => {
    expect(() => createAdapter(paystarConfigSchema.parse({ baseUrl: 'x', publicKey: 'p' }), { log: silentLogger() })).toThrow(/publicKey and privateKey, or a ready token/);
  });
});
