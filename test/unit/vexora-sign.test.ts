// Vexora sign (PROVIDERS.md §5 "Signature"): non-empty fields except `sign`, sorted by name (ASCII),
// `key=value` with no separator, app secret appended with no separator, lowercase hex MD5 of UTF-8.
// No verified worked example exists; the expected values here come from strings built by hand and
// hashed with coreutils `md5sum` (and, independently, node:crypto).
import crypto from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { signedBody, vexoraSign, vexoraSignMatches } from '../../src/providers/vexora/sign.ts';

const SECRET = 's3cret';
const md5 = (s: string) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

// The seed document's request example (Argentina field set), amount as an integer.
const SEED_FIELDS: Record<string, string> = {
  amount: '100',
  mobile: '0911234567',
  email: 'rizky.pratama@example.com',
  accountNo: '880123456789012345',
  firstname: 'Rizky',
  lastname: 'Pratama',
  tradeNo: 'VX20260331008901',
  notifyUrl: 'https://api.merchant.com/vexora/collection/notify',
  timestamp: '1719876543210',
};
// Written by hand in ASCII name order: accountNo amount email firstname lastname mobile notifyUrl timestamp tradeNo.
const SEED_STRING =
  'accountNo=880123456789012345' +
  'amount=100' +
  'email=rizky.pratama@example.com' +
  'firstname=Rizky' +
  'lastname=Pratama' +
  'mobile=0911234567' +
  'notifyUrl=https://api.merchant.com/vexora/collection/notify' +
  'timestamp=1719876543210' +
  'tradeNo=VX20260331008901' +
  SECRET;
// printf '%s' "$SEED_STRING" | md5sum
const SEED_MD5 = '6933fa454fefceb255dfa658aecfaa4e';

describe('vexoraSign', () => {
  it('matches the md5 of the hand-built string (sorted, no separator, secret appended)', () => {
    expect(md5(SEED_STRING)).toBe(SEED_MD5); // the hand-built string is what md5sum hashed
    expect(vexoraSign(SEED_FIELDS, SECRET)).toBe(SEED_MD5);
  });

  it('is lowercase hex, 32 characters', () => {
    const s = vexoraSign(SEED_FIELDS, SECRET);
    expect(s).toMatch(/^[0-9a-f]{32}$/);
  });

  it('does not depend on the order the fields were built in', () => {
    const reversed = Object.fromEntries(Object.entries(SEED_FIELDS).reverse());
    expect(vexoraSign(reversed, SECRET)).toBe(SEED_MD5);
  });

  it('sorts by ASCII code (upper case before lower case), not by locale', () => {
    // ASCII: 'Zeta' < 'accountNo' < 'amount' < 'timestamp'; localeCompare would put Zeta last.
    const fields = { timestamp: '1729947433293', amount: '100', accountNo: '1', Zeta: 'z' };
    // printf '%s' 'Zeta=zaccountNo=1amount=100timestamp=1729947433293s3cret' | md5sum
    expect(vexoraSign(fields, SECRET)).toBe('4d6db085a586803f4dbfe32634120dec');
    expect(md5('Zeta=zaccountNo=1amount=100timestamp=1729947433293' + SECRET)).toBe('4d6db085a586803f4dbfe32634120dec');
  });

  it('skips `sign`, empty, undefined and null values', () => {
    const noisy: Record<string, unknown> = {
      ...SEED_FIELDS,
      sign: 'ffffffffffffffffffffffffffffffff',
      remark: '',
      bankCode: undefined,
      ipAddress: null,
    };
    expect(vexoraSign(noisy, SECRET)).toBe(SEED_MD5);
  });

  it('signs non-ASCII values as UTF-8', () => {
    // printf '%s' 'firstname=Joséremark=Año nuevos3cret' | md5sum
    expect(vexoraSign({ remark: 'Año nuevo', firstname: 'José' }, SECRET)).toBe('f01db13498cacb1adc9c8267fef2fe9a');
  });

  it('every field and the secret count', () => {
    expect(vexoraSign(SEED_FIELDS, 'other')).not.toBe(SEED_MD5);
    for (const key of Object.keys(SEED_FIELDS)) {
      expect(vexoraSign({ ...SEED_FIELDS, [key]: SEED_FIELDS[key] + 'x' }, SECRET), key).not.toBe(SEED_MD5);
    }
    expect(vexoraSign({ ...SEED_FIELDS, extra: 'y' }, SECRET)).not.toBe(SEED_MD5);
  });

  it('a number-typed timestamp signs with its textual form', () => {
    const asNumber = { ...SEED_FIELDS, timestamp: 1719876543210 };
    expect(vexoraSign(asNumber, SECRET)).toBe(SEED_MD5);
    // As a receiver sees it: the raw body has a JSON number, parsed back to a number.
    const raw = `{"tradeNo":"VX20260331008901","timestamp":1729947433293,"sign":"${md5('timestamp=1729947433293tradeNo=VX20260331008901' + SECRET)}"}`;
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    expect(typeof parsed.timestamp).toBe('number');
    expect(vexoraSignMatches(parsed, SECRET)).toBe(true);
  });
});

describe('signedBody and vexoraSignMatches', () => {
  it('sends the fields in the order built, then a sign that verifies', () => {
    const body = signedBody(SEED_FIELDS, SECRET);
    const parsed = JSON.parse(body) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual([...Object.keys(SEED_FIELDS), 'sign']);
    expect(parsed.sign).toBe(SEED_MD5);
    expect(vexoraSignMatches(parsed, SECRET)).toBe(true);
  });

  it('a tampered field fails', () => {
    const parsed = JSON.parse(signedBody(SEED_FIELDS, SECRET)) as Record<string, string>;
    expect(vexoraSignMatches({ ...parsed, amount: '1000' }, SECRET)).toBe(false);
    expect(vexoraSignMatches({ ...parsed, accountNo: '880123456789012346' }, SECRET)).toBe(false);
    expect(vexoraSignMatches({ ...parsed, remark: 'added' }, SECRET)).toBe(false);
    const { email: _dropped, ...withoutEmail } = parsed;
    expect(vexoraSignMatches(withoutEmail, SECRET)).toBe(false);
  });

  it('a wrong secret fails', () => {
    const parsed = JSON.parse(signedBody(SEED_FIELDS, SECRET)) as Record<string, string>;
    expect(vexoraSignMatches(parsed, 'S3CRET')).toBe(false);
  });

  it('an added empty field does not change the sign (empty values are not signed)', () => {
    const parsed = JSON.parse(signedBody(SEED_FIELDS, SECRET)) as Record<string, string>;
    expect(vexoraSignMatches({ ...parsed, remark: '' }, SECRET)).toBe(true);
  });

  it('accepts an upper-case hex sign', () => {
    expect(vexoraSignMatches({ ...SEED_FIELDS, sign: SEED_MD5.toUpperCase() }, SECRET)).toBe(true);
  });

  it('refuses a missing, non-string or wrong-length sign', () => {
    expect(vexoraSignMatches(SEED_FIELDS, SECRET)).toBe(false);
    expect(vexoraSignMatches({ ...SEED_FIELDS, sign: 12345 }, SECRET)).toBe(false);
    expect(vexoraSignMatches({ ...SEED_FIELDS, sign: SEED_MD5.slice(0, 31) }, SECRET)).toBe(false);
    expect(vexoraSignMatches({ ...SEED_FIELDS, sign: SEED_MD5 + '0' }, SECRET)).toBe(false);
    expect(vexoraSignMatches({ ...SEED_FIELDS, sign: 'z'.repeat(32) }, SECRET)).toBe(false);
  });

  // Regression: a non-ASCII 32-character sign made timingSafeEqual throw instead of answering false.
  it('answers false (never throws) for a 32-character non-ASCII sign', () => {
    expect(vexoraSignMatches({ ...SEED_FIELDS, sign: 'é'.repeat(32) }, SECRET)).toBe(false);
  });
});
