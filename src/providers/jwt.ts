// HS256 JSON Web Tokens, shared: PayStar's bearer token is one (signed by the client, checked by its sandbox)
// and StarPago's sandbox issues and checks them.
import crypto from 'node:crypto';

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** A compact JWS with header {"alg":"HS256","typ":"JWT"} over the payload's JSON. */
export function signJwtHs256(payload: Record<string, unknown>, key: string | Buffer): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.createHmac('sha256', key).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export type JwtCheck = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: string };

/** Checks alg, signature (constant time) and `exp` (seconds) — required when `requireExp`, else only if present. */
export function verifyJwtHs256(
  token: string,
  key: string | Buffer,
  options: { nowSeconds?: number; requireExp?: boolean } = {},
): JwtCheck {
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
  const expected = crypto.createHmac('sha256', key).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'JWT signature mismatch' };
  const exp = (payload as { exp?: unknown }).exp;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (typeof exp === 'number' ? exp <= now : options.requireExp) return { ok: false, reason: 'JWT expired' };
  return { ok: true, payload: payload as Record<string, unknown> };
}
