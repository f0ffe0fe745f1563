// PayStar signing: the bearer JWT (HS256, payload {publicKey}, signed with privateKey) and the callback
// `Signature` header (hex SHA-256 of "externalId;status;amount;orderType;privateKey").
import crypto from 'node:crypto';

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** A compact JWS with header {"alg":"HS256","typ":"JWT"} over the payload's JSON, keyed with `secret` (UTF-8). */
export function signJwtHs256(payload: Record<string, unknown>, secret: string): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/**
 * The PayStar bearer token [C]: HS256 JWT with payload {publicKey}. Other claims are [U]; `iat` (seconds)
 * is added only when `issuedAtSeconds` is given (config `jwtIssuedAt`, default off).
 */
export function paystarJwt(publicKey: string, privateKey: string, issuedAtSeconds?: number): string {
  const payload: Record<string, unknown> = { publicKey };
  if (issuedAtSeconds !== undefined) payload.iat = issuedAtSeconds;
  return signJwtHs256(payload, privateKey);
}

export type JwtCheck = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: string };

/** Verifies an HS256 JWT (the sandbox does this as PayStar would): header alg, signature, exp if present. */
export function verifyJwtHs256(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a JWT' };
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'JWT header or payload is not JSON' };
  }
  if (!header || typeof header !== 'object' || (header as { alg?: unknown }).alg !== 'HS256') return { ok: false, reason: 'JWT alg is not HS256' };
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return { ok: false, reason: 'JWT payload is not an object' };
  const expected = crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'JWT signature mismatch' };
  const exp = (payload as { exp?: unknown }).exp;
  if (typeof exp === 'number' && exp < nowSeconds) return { ok: false, reason: 'JWT expired' };
  return { ok: true, payload: payload as Record<string, unknown> };
}

export interface CallbackSignedFields {
  externalId: string;
  status: string;
  /** The `amount` literal exactly as the raw body writes it. */
  amount: string;
  orderType: string;
}

/** The string PayStar hashes [C]: externalId;status;amount;orderType;privateKey. */
export function callbackSignatureBase(fields: CallbackSignedFields, privateKey: string): string {
  return `${fields.externalId};${fields.status};${fields.amount};${fields.orderType};${privateKey}`;
}

/** Lower-case hex SHA-256 of the base string (PayStar's hex case is [U]; verification ignores case). */
export function callbackSignature(fields: CallbackSignedFields, privateKey: string): string {
  return crypto.createHash('sha256').update(callbackSignatureBase(fields, privateKey), 'utf8').digest('hex');
}

/** Timing-safe, case-insensitive comparison of a received hex signature with the expected one. */
export function hexSignatureMatches(received: string, expectedHex: string): boolean {
  const r = received.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(r)) return false;
  return crypto.timingSafeEqual(Buffer.from(r, 'hex'), Buffer.from(expectedHex.toLowerCase(), 'hex'));
}
