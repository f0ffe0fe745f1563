// Vexora sign (PROVIDERS.md §5, Decisions): non-empty body fields except `sign`, sorted by name (ASCII),
// concatenated as key=value with no separator, app secret appended, lowercase hex MD5.
import { hexDigest, hexSignatureMatches } from '../digest.ts';

export function vexoraSign(fields: Readonly<Record<string, unknown>>, secret: string): string {
  const text =
    Object.keys(fields)
      .filter((k) => k !== 'sign')
      .filter((k) => fields[k] !== undefined && fields[k] !== null && String(fields[k]) !== '')
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((k) => `${k}=${String(fields[k])}`)
      .join('') + secret;
  return hexDigest('md5', text);
}

/** Constant-time comparison of a received sign with the expected one. */
export function vexoraSignMatches(fields: Readonly<Record<string, unknown>>, secret: string): boolean {
  return hexSignatureMatches(fields.sign, vexoraSign(fields, secret));
}

/** The exact body sent: fields in the order built, then `sign`; values are all strings (signed as sent). */
export function signedBody(fields: Record<string, string>, secret: string): string {
  return JSON.stringify({ ...fields, sign: vexoraSign(fields, secret) });
}
