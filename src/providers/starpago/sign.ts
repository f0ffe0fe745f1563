// StarPago v3 authentication and callback reading.
//
// v3 signs nothing per request: the merchant exchanges appId/appSecret for a Bearer JWT
// (POST /api/v3/oauth/token, client credentials [C]) and sends `Authorization: Bearer <token>`. The
// docs' sample token is HS256 with payload {mid, type:"merchant", iss:"starpago", exp}. The client never
// verifies that token (StarPago's key is its own); the sandbox issues and verifies tokens of that shape.
// v3 callbacks carry no documented signature ([U]): they are read as a trigger to query, never as truth.
import { signJwtHs256, verifyJwtHs256, type JwtCheck } from '../jwt.ts';
import type { CallbackRequest, CallbackVerdict } from '../types.ts';
import { field, isObject, parseLossless, textOf } from './json.ts';
import { referencePattern } from './schema.ts';


/** The token request body, exactly as token.html shows it. */
export function tokenRequestBody(appId: string, appSecret: string): string {
  return JSON.stringify({ grant_type: 'client_credentials', app_id: appId, app_secret: appSecret });
}

export function authorizationHeader(token: string): string {
  return `Bearer ${token}`;
}

/** HS256 JWT (sandbox side): the sandbox issues and checks tokens of the documented shape. */
export function signJwt(payload: Record<string, unknown>, key: Buffer): string {
  return signJwtHs256(payload, key);
}

export type JwtVerdict = JwtCheck;

/** Verifies an HS256 JWT's signature and its required `exp` (seconds) against `nowMs`. */
export function verifyJwt(token: string, key: Buffer, nowMs: number): JwtVerdict {
  return verifyJwtHs256(token, key, { nowSeconds: Math.floor(nowMs / 1000), requireExp: true });
}

/** The `exp` claim of a JWT in ms, read without verifying (a fallback when `expires_in` is missing). */
export function jwtExpiryMs(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A StarPago callback (callback.html: status, orderNo, merOrderNo, amount, tradeCharge, …). There is no
 * signature to check, so "ok" only means: a JSON object naming a well-formed merOrderNo. The engine then
 * queries that order; a forged callback can at most cause one extra query.
 */
export function readCallback(request: CallbackRequest): CallbackVerdict {
  if (request.method.toUpperCase() !== 'POST') return { ok: false, reason: `callback must be POST, got ${request.method}` };
  const body = parseLossless(request.rawBody.toString('utf8'));
  if (!isObject(body)) return { ok: false, reason: 'callback body is not a JSON object' };
  const merchantReference = textOf(field(body, 'merOrderNo'));
  if (!merchantReference) return { ok: false, reason: 'callback has no merOrderNo' };
  if (!referencePattern.pattern.test(merchantReference)) return { ok: false, reason: 'callback merOrderNo is not a paybatch reference' };
  const providerReference = textOf(field(body, 'orderNo'));
  const rawStatus = textOf(field(body, 'status'));
  return {
    ok: true,
    merchantReference,
    ...(providerReference ? { providerReference } : {}),
    ...(rawStatus ? { rawStatus } : {}),
  };
}
