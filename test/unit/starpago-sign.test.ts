// StarPago v3 auth (Bearer JWT from client credentials) and callback reading.
import crypto from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { jwtExpiryMs, readCallback, signJwt, tokenRequestBody, verifyJwt } from '../../src/providers/starpago/sign.ts';
import type { CallbackRequest } from '../../src/providers/types.ts';

// The sample token of the StarPago docs (token.html / payment examples).
const DOCS_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJtaWQiOjEwMCwidHlwZSI6Im1lcmNoYW50IiwiaXNzIjoic3RhcnBhZ28iLCJleHAiOjE3MjU0NTY0NzN9.TTWj2Ctem2qfPhLtvpx4XG5lrXUH4veQD7dsQb0B9SI';

const callback = (body: string, method = 'POST'): CallbackRequest => ({
  method,
  path: '/callbacks/starpago',
  headers: { 'content-type': 'application/json' },
  rawBody: Buffer.from(body),
});

describe('StarPago token request and JWTs', () => {
  it('sends the token request body exactly as token.html shows it', () => {
    expect(tokenRequestBody('app-1', 's3cr3t')).toBe('{"grant_type":"client_credentials","app_id":"app-1","app_secret":"s3cr3t"}');
  });

  it('reads the docs sample token: HS256, {mid, type merchant, iss starpago, exp}', () => {
    const [head, body] = DOCS_TOKEN.split('.');
    expect(JSON.parse(Buffer.from(head!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(body!, 'base64url').toString())).toEqual({ mid: 100, type: 'merchant', iss: 'starpago', exp: 1725456473 });
    expect(jwtExpiryMs(DOCS_TOKEN)).toBe(1725456473000);
    expect(jwtExpiryMs('not-a-jwt')).toBeUndefined();
  });

  it('verifies a sandbox token, and refuses an expired, forged or tampered one', () => {
    const key = crypto.randomBytes(32);
    const now = Date.now();
    const token = signJwt({ mid: 100, type: 'merchant', iss: 'starpago', exp: Math.floor(now / 1000) + 60 }, key);
    expect(verifyJwt(token, key, now)).toMatchObject({ ok: true, payload: { mid: 100, iss: 'starpago' } });

    expect(verifyJwt(token, key, now + 61_000)).toEqual({ ok: false, reason: 'JWT expired' });
    expect(verifyJwt(token, crypto.randomBytes(32), now)).toEqual({ ok: false, reason: 'JWT signature mismatch' });

    const [h, , s] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ mid: 999, type: 'merchant', iss: 'starpago', exp: Math.floor(now / 1000) + 60 })).toString('base64url');
    expect(verifyJwt(`${h}.${forgedBody}.${s}`, key, now)).toEqual({ ok: false, reason: 'JWT signature mismatch' });
    expect(verifyJwt('abc', key, now)).toEqual({ ok: false, reason: 'not a JWT' });
    // The docs' token is not ours: its signature does not verify with the sandbox key.
    expect(verifyJwt(DOCS_TOKEN, key, 1725456000000).ok).toBe(false);
  });
});

describe('StarPago callbacks (no documented signature: a trigger to query)', () => {
  const body = '{"status":"PAID","orderNo":"94230311013500999186060015","merOrderNo":"PB202611213fa2b1c9000002","amount":1500.00,"tradeCharge":1.50,"currency":"MXN","payMethod":"SPEI","attach":"","createTime":1678498652499,"updateTime":1678498652719}';

  it('accepts a JSON callback naming a merOrderNo', () => {
    expect(readCallback(callback(body))).toEqual({
      ok: true,
      merchantReference: 'PB202611213fa2b1c9000002',
      providerReference: '94230311013500999186060015',
      rawStatus: 'PAID',
    });
  });

  it('refuses a tampered or malformed callback', () => {
    expect(readCallback(callback(body.slice(0, -1)))).toMatchObject({ ok: false, reason: 'callback body is not a JSON object' });
    expect(readCallback(callback(body.replace('"merOrderNo":"PB202611213fa2b1c9000002",', '')))).toMatchObject({ ok: false, reason: 'callback has no merOrderNo' });
    expect(readCallback(callback(body.replace('PB202611213fa2b1c9000002', "x' OR 1=1; --")))).toMatchObject({ ok: false });
    expect(readCallback(callback('[1,2]'))).toMatchObject({ ok: false });
    expect(readCallback(callback(body, 'GET'))).toMatchObject({ ok: false });
  });
});
