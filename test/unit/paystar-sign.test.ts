import crypto from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  callbackSignature,
  callbackSignatureBase,
  hexSignatureMatches,
  paystarJwt,
  signJwtHs256,
  verifyJwtHs256,
} from '../../src/providers/paystar/sign.ts';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('paystar bearer JWT (HS256)', () => {
  it('matches the published RFC 7519 / jwt.io HS256 vector', () => {
    const token = signJwtHs256({ sub: '1234567890', name: 'John Doe', iat: 1516239022 }, 'your-256-bit-secret');
    expect(token).toBe(
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    );
  });

  it('carries only {publicKey} unless iat is asked for, signed with the privateKey', () => {
    const token = paystarJwt('pk_live_1', 'sk_live_1');
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(decode(h)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decode(p)).toEqual({ publicKey: 'pk_live_1' });
    expect(s).toBe(crypto.createHmac('sha256', 'sk_live_1').update(`${h}.${p}`).digest('base64url'));
    expect(token).not.toMatch(/[+/=]/); // base64url, unpadded
    expect(decode(paystarJwt('pk_live_1', 'sk_live_1', 1_700_000_000).split('.')[1]!)).toEqual({ publicKey: 'pk_live_1', iat: 1_700_000_000 });
  });

  it('verifies a good token and refuses a tampered payload, a wrong key, alg none and an expired one', () => {
    const token = paystarJwt('pk', 'sk');
    expect(verifyJwtHs256(token, 'sk')).toEqual({ ok: true, payload: { publicKey: 'pk' } });
    expect(verifyJwtHs256(token, 'other').ok).toBe(false);
    const [h, , s] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ publicKey: 'someone-else' })).toString('base64url');
    expect(verifyJwtHs256(`${h}.${forgedPayload}.${s}`, 'sk').ok).toBe(false);
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(verifyJwtHs256(`${none}.${token.split('.')[1]}.`, 'sk').ok).toBe(false);
    const expired = signJwtHs256({ publicKey: 'pk', exp: 1000 }, 'sk');
    expect(verifyJwtHs256(expired, 'sk', { nowSeconds: 2000 })).toEqual({ ok: false, reason: 'JWT expired' });
    expect(verifyJwtHs256('not-a-jwt', 'sk').ok).toBe(false);
  });
});

describe('paystar callback Signature', () => {
  const fields = { externalId: 'a30288b2-220a-4495-9bcb-6821dcc39331', status: 'Success', amount: '100.50', orderType: 'Withdrawal' };

  it('hashes externalId;status;amount;orderType;privateKey as hex SHA-256', () => {
    expect(callbackSignatureBase(fields, 'sk')).toBe('a30288b2-220a-4495-9bcb-6821dcc39331;Success;100.50;Withdrawal;sk');
    const expected = crypto.createHash('sha256').update('a30288b2-220a-4495-9bcb-6821dcc39331;Success;100.50;Withdrawal;sk').digest('hex');
    expect(callbackSignature(fields, 'sk')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('compares hex case-insensitively', () => {
    const sig = callbackSignature(fields, 'sk');
    expect(hexSignatureMatches(sig, sig)).toBe(true);
    expect(hexSignatureMatches(sig.toUpperCase(), sig)).toBe(true);
    expect(hexSignatureMatches(` ${sig} `, sig)).toBe(true);
  });

  it('the amount literal matters: "100.50" is not "100.5"', () => {
    expect(callbackSignature(fields, 'sk')).not.toBe(callbackSignature({ ...fields, amount: '100.5' }, 'sk'));
  });

  it('refuses a tampered field, a wrong key, and non-hex or short signatures', () => {
    const sig = callbackSignature(fields, 'sk');
    expect(hexSignatureMatches(sig, callbackSignature({ ...fields, status: 'Failed' }, 'sk'))).toBe(false);
    expect(hexSignatureMatches(sig, callbackSignature(fields, 'sk2'))).toBe(false);
    expect(hexSignatureMatches(sig.slice(0, 62), sig)).toBe(false);
    expect(hexSignatureMatches('z'.repeat(64), sig)).toBe(false);
    expect(hexSignatureMatches('', sig)).toBe(false);
  });
});
