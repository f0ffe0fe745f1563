import { describe, it, expect } from 'vitest';
import { apiTimestamp, md5hex, signedBody, signingString, verifySign, verifySignMatches } from '../../src/providers/yuansfer/sign.ts';
import { parseCallbackParams } from '../../src/providers/yuansfer/client.ts';

// The documented worked example (Pockyt tutorial, copied in nikitaramlinge17/Pockyt-Documentation).
const EXAMPLE_TOKEN = '5cbfb079f15b150122261c8537086d77a';
const EXAMPLE_PARAMS = {
  amount: '1.00',
  callbackUrl: 'https://wx.yuansfer.yunkeguan.com/wx',
  currency: 'USD',
  goodsInfo: '[{"goods_name":"Yuansfer","quantity":"1"}]',
  ipnUrl: 'https://wx.yuansfer.yunkeguan.com/wx',
  merchantNo: '200043',
  reference: 'seq_1525922323',
  storeNo: '300014',
  terminal: 'ONLINE',
  timeout: '120',
  vendor: 'alipay',
};

describe('yuansfer verifySign', () => {
  it('reproduces the documented worked example', () => {
    expect(md5hex(EXAMPLE_TOKEN)).toBe('186abea4b8610d7ff03768255588597a');
    expect(signingString(EXAMPLE_PARAMS, EXAMPLE_TOKEN)).toBe(
      'amount=1.00&callbackUrl=https://wx.yuansfer.yunkeguan.com/wx&currency=USD&goodsInfo=[{"goods_name":"Yuansfer","quantity":"1"}]' +
        '&ipnUrl=https://wx.yuansfer.yunkeguan.com/wx&merchantNo=200043&reference=seq_1525922323&storeNo=300014&terminal=ONLINE' +
        '&timeout=120&vendor=alipay&186abea4b8610d7ff03768255588597a',
    );
    expect(verifySign(EXAMPLE_PARAMS, EXAMPLE_TOKEN)).toBe('b6bfd66531ae7c9499115c7480a2c8aa');
  });

  it('does not depend on the order the parameters were given in', () => {
    const reversed = Object.fromEntries(Object.entries(EXAMPLE_PARAMS).reverse());
    expect(verifySign(reversed, EXAMPLE_TOKEN)).toBe('b6bfd66531ae7c9499115c7480a2c8aa');
  });

  it('leaves verifySign, null and undefined out, but signs empty strings', () => {
    const withExtras = { ...EXAMPLE_PARAMS, verifySign: 'anything', street2: null, note: undefined };
    expect(verifySign(withExtras, EXAMPLE_TOKEN)).toBe('b6bfd66531ae7c9499115c7480a2c8aa');
    expect(signingString({ b: '', a: '1' }, 't')).toBe(`a=1&b=&${md5hex('t')}`);
  });

  it('sorts by plain code-unit comparison (upper case before lower case), not by locale', () => {
    expect(signingString({ b: '2', B: '1', a: '3' }, 't')).toBe(`B=1&a=3&b=2&${md5hex('t')}`);
  });

  it('is 32 lowercase hex characters', () => {
    expect(verifySign({ x: 'y' }, 'token')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('fails when any signed value is tampered with, or the token differs', () => {
    const signed = { ...EXAMPLE_PARAMS, verifySign: 'b6bfd66531ae7c9499115c7480a2c8aa' };
    expect(verifySignMatches(signed, EXAMPLE_TOKEN)).toBe(true);
    expect(verifySignMatches({ ...signed, verifySign: signed.verifySign.toUpperCase() }, EXAMPLE_TOKEN)).toBe(true);
    expect(verifySignMatches({ ...signed, amount: '1.01' }, EXAMPLE_TOKEN)).toBe(false);
    expect(verifySignMatches({ ...signed, extra: 'x' }, EXAMPLE_TOKEN)).toBe(false);
    expect(verifySignMatches(signed, EXAMPLE_TOKEN + 'x')).toBe(false);
    expect(verifySignMatches({ ...signed, verifySign: 'short' }, EXAMPLE_TOKEN)).toBe(false);
    const { verifySign: _drop, ...unsigned } = signed;
    expect(verifySignMatches(unsigned, EXAMPLE_TOKEN)).toBe(false);
  });

  it('signs the JSON body it sends, text values only, with nothing undefined in it', () => {
    const { body, sign } = signedBody({ merchantNo: '202333', amount: '500.00', note: undefined }, 'tok');
    const parsed = JSON.parse(body) as Record<string, string>;
    expect(parsed).toEqual({ merchantNo: '202333', amount: '500.00', verifySign: sign });
    expect(verifySignMatches(parsed, 'tok')).toBe(true);
    expect(body).toContain('"amount":"500.00"');
  });

  it('writes timestamps as ISO-8601 UTC to the second', () => {
    expect(apiTimestamp(new Date('2023-02-13T10:50:58.123Z'))).toBe('2023-02-13T10:50:58Z');
    expect(apiTimestamp()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

describe('yuansfer IPN parameters', () => {
  it('reads form-encoded bodies, decoding + and %XX', () => {
    const params = parseCallbackParams(Buffer.from('status=success&invoiceId=INV-1&note=March+pay%2C+thanks&verifySign=abc'));
    expect(params).toEqual({ status: 'success', invoiceId: 'INV-1', note: 'March pay, thanks', verifySign: 'abc' });
  });

  it('reads a JSON object of text values too', () => {
    expect(parseCallbackParams(Buffer.from('{"status":"success","amount":"5.00","x":null}'))).toEqual({ status: 'success', amount: '5.00' });
  });

  it('refuses a parameter given twice, nested JSON and empty bodies', () => {
    expect(parseCallbackParams(Buffer.from('status=success&status=failed'))).toBeUndefined();
    expect(parseCallbackParams(Buffer.from('{"status":{"a":1}}'))).toBeUndefined();
    expect(parseCallbackParams(Buffer.from(''))).toBeUndefined();
    expect(parseCallbackParams(Buffer.from('{not json'))).toBeUndefined();
  });
});
