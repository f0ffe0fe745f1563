import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  RawJsonNumber,
  envelope,
  loadPrivateKey,
  loadPublicKey,
  readSignedBody,
  requestJson,
  sign,
  verify,
} from '../../src/providers/starpay/sign.ts';
import { TEST_MERCHANT_PRIVATE_KEY, TEST_MERCHANT_PUBLIC_KEY, TEST_PLATFORM_PUBLIC_KEY } from '../../src/providers/starpay/sandbox.ts';

// The 2.4 sample's fields in its order (account number made up: the sample leaves it as text).
const SAMPLE: [string, string][] = [
  ['msgId', '161415460871'],
  ['mchId', '105510000001'],
  ['acctNo', '109450001234'],
  ['acctName', 'Recipient account name'],
  ['acctMiddleName', 'Recipient first name'],
  ['acctLastName', 'Recipient last name'],
  ['receivingBank', 'Sun Savings Bank, Inc.'],
  ['trxAmount', '1000'],
  ['currency', 'PHP'],
  ['service', 'pay.starpay.instapay.disburse'],
  ['attach', 'Disbursement'],
];

// Computed independently with `openssl dgst -sha256 -sign <TEST merchant key> sample.json | base64`.
const OPENSSL_SIGNATURE =
  'O502ZTLGCUNAA8cX7CCIvjSyzIc4gI1mfcclUJARzUpoTGdtyp5vAMzSocb/V3zRGA8gAdG+Ikg9NtJfmnkDnEGCiojmvgmEd9vaSeyhlYBLnfNVVqXbOHsW5SkpR1TnhzOR4xFTrxH3qN8VFTaNGrRuGvCtosxjK52GBcYCebrohZAyKyH4lbo2qp43cIB1vcmFhQFWKt72MUGJC/py6bOA3gnXtehh9YOY2XBWOGW1T2IlgCceT/K5Wn4gre+Z1E41N32DYKcyZgMZu3fod5LkOgTGs06ynMMGJzNtVlkvJDTYvj6XXKUEOXFie6iXCcsxL5IsYixE0azCvKwSyA==';

function generatedPair() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

describe('starpay request text', () => {
  it('is compact JSON in the given field order, exactly what JSON.stringify gives', () => {
    const text = requestJson(SAMPLE);
    expect(text).toBe(JSON.stringify(Object.fromEntries(SAMPLE)));
    expect(text.startsWith('{"msgId":"161415460871","mchId":"105510000001","acctNo"')).toBe(true);
    expect(text).not.toMatch(/\s"|":\s/);
  });

  it('writes a centavo amount as a raw JSON number, without a float round-trip', () => {
    const text = requestJson([['msgId', '1'], ['trxAmount', new RawJsonNumber('9007199254740993')]]);
    expect(text).toBe('{"msgId":"1","trxAmount":9007199254740993}');
  });

  it('puts the signed text into the body byte for byte', () => {
    const text = requestJson(SAMPLE);
    const body = envelope('request', text, 'c2ln');
    expect(body).toBe(`{"request":${text},"signature":"c2ln"}`);
    expect(readSignedBody(body, 'request')!.signedText).toBe(text);
  });
});

describe('starpay SHA256withRSA', () => {
  it('matches the signature openssl computes over the 2.4 sample with the TEST merchant key', () => {
    const text = requestJson(SAMPLE);
    expect(sign(text, loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY))).toBe(OPENSSL_SIGNATURE);
    expect(verify(text, OPENSSL_SIGNATURE, loadPublicKey(TEST_MERCHANT_PUBLIC_KEY))).toBe(true);
  });

  it('signs and verifies with a freshly generated key pair, and a tampered body fails', () => {
    const pair = generatedPair();
    const text = requestJson(SAMPLE);
    const signature = sign(text, loadPrivateKey(pair.privateKey));
    const publicKey = loadPublicKey(pair.publicKey);
    expect(verify(text, signature, publicKey)).toBe(true);
    expect(verify(text.replace('"1000"', '"9000"'), signature, publicKey)).toBe(false);
    // Re-serialised (pretty-printed, or keys reordered) is different bytes: it must fail too.
    expect(verify(JSON.stringify(JSON.parse(text), null, 2), signature, publicKey)).toBe(false);
    const sorted = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(text) as object).sort(([a], [b]) => a.localeCompare(b))));
    expect(verify(sorted, signature, publicKey)).toBe(false);
    // Another key's signature, and garbage, fail.
    expect(verify(text, signature, loadPublicKey(TEST_PLATFORM_PUBLIC_KEY))).toBe(false);
    expect(verify(text, 'not base64 !', publicKey)).toBe(false);
    expect(verify(text, undefined, publicKey)).toBe(false);
  });

  it('reads bare Base64 DER keys as Java demos hand them out', () => {
    const pair = generatedPair();
    const bare = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const text = '{"msgId":"1"}';
    expect(verify(text, sign(text, loadPrivateKey(bare(pair.privateKey))), loadPublicKey(bare(pair.publicKey)))).toBe(true);
  });

  it('explains an unreadable key without echoing it', () => {
    expect(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nTOPSECRETTOPSECRET\n-----END PRIVATE KEY-----')).toThrow(/privateKey is not a readable/);
    try {
      loadPrivateKey('TOPSECRETTOPSECRET');
    } catch (err) {
      expect((err as Error).message).not.toContain('TOPSECRET');
    }
  });
});

describe('starpay signed body reader', () => {
  it('returns the exact member text, whitespace and escapes included', () => {
    const raw = '{ "response" : {"code":"200", "message":"\\u0073uccess","n":{"a":[1,"}"]}} ,\n "signature":"abc=" }';
    const read = readSignedBody(raw, 'response')!;
    expect(read.memberText).toBe('{"code":"200", "message":"\\u0073uccess","n":{"a":[1,"}"]}}');
    expect(read.signedText).toBe(read.memberText);
    expect((read.value as { message: string }).message).toBe('success');
    expect(read.signature).toBe('abc=');
  });

  it('verifies a request given as a JSON string over the string content', () => {
    const raw = JSON.stringify({ signature: 'x', request: '{"originalMsgId":"123","trxState":"SUCCESS"}' });
    const read = readSignedBody(raw, 'request')!;
    expect(read.signedText).toBe('{"originalMsgId":"123","trxState":"SUCCESS"}');
    expect(read.value).toEqual({ originalMsgId: '123', trxState: 'SUCCESS' });
  });

  it('refuses bodies whose signed member is missing, duplicated or not an object', () => {
    expect(readSignedBody('not json', 'request')).toBeUndefined();
    expect(readSignedBody('[1,2]', 'request')).toBeUndefined();
    expect(readSignedBody('{"signature":"x"}', 'request')).toBeUndefined();
    expect(readSignedBody('{"request":5,"signature":"x"}', 'request')).toBeUndefined();
    expect(readSignedBody('{"request":{"a":1},"request":{"a":2},"signature":"x"}', 'request')).toBeUndefined();
  });

  it('keeps non-ASCII text as the same UTF-8 bytes', () => {
    const pair = generatedPair();
    const text = requestJson([['acctName', 'José Peña Ñiño']]);
    const body = envelope('request', text, sign(text, loadPrivateKey(pair.privateKey)));
    const read = readSignedBody(Buffer.from(body, 'utf8').toString('utf8'), 'request')!;
    expect(verify(read.signedText, read.signature, loadPublicKey(pair.publicKey))).toBe(true);
  });
});
