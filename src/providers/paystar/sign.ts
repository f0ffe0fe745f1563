// PayStar signing: the bearer JWT (HS256, payload {publicKey}, signed with privateKey) and the callback
// `Signature` header (hex SHA-256 of "externalId;status;amount;orderType;privateKey").
import { hexDigest, hexSignatureMatches as hexMatches } from '../digest.ts';
import { signJwtHs256 } from '../jwt.ts';

export { signJwtHs256, verifyJwtHs256, type JwtCheck } from '../jwt.ts';

/**
 * The PayStar bearer token [C]: HS256 JWT with payload {publicKey}. Other claims are [U]; `iat` (seconds)
 * is added only when `issuedAtSeconds` is given (config `jwtIssuedAt`, default off).
 */
export function paystarJwt(publicKey: string, privateKey: string, issuedAtSeconds?: number): string {
  const payload: Record<string, unknown> = { publicKey };
  if (issuedAtSeconds !== undefined) payload.iat = issuedAtSeconds;
  return signJwtHs256(payload, privateKey);
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
  return hexDigest('sha256', callbackSignatureBase(fields, privateKey));
}

/** Timing-safe, case-insensitive comparison of a received hex signature with the expected one. */
export function hexSignatureMatches(received: string, expectedHex: string): boolean {
  return hexMatches(received.trim(), expectedHex);
}
