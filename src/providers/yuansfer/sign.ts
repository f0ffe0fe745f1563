// Pockyt / Yuansfer verifySign [C] (docs.pockyt.io/docs/signing-api-calls; C# SDK convertToRequestParam):
// every parameter except verifySign, null/undefined dropped, sorted by name, joined as k=v&k=v (values not
// URL-encoded), then `&` + md5hex(token), and verifySign = md5hex of that, lowercase.
import { hexDigest, hexSignatureMatches } from '../digest.ts';

export type SignableValue = string | number | boolean | null | undefined;
export type SignableParams = Readonly<Record<string, SignableValue>>;

export function md5hex(text: string): string {
  return hexDigest('md5', text);
}

/** The string that is hashed (exported for tests and for the README's worked example). */
export function signingString(params: SignableParams, token: string): string {
  const names = Object.keys(params)
    .filter((k) => k !== 'verifySign' && params[k] !== null && params[k] !== undefined)
    // Plain `<` comparison (ordinal by UTF-16 code unit), not localeCompare: the SDK's culture-aware
    // comparer agrees with it for the ASCII camelCase names the API uses (PROVIDERS.md §2).
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const joined = names.map((k) => `${k}=${String(params[k])}`).join('&');
  return `${joined}&${md5hex(token)}`;
}

export function verifySign(params: SignableParams, token: string): string {
  return md5hex(signingString(params, token));
}

/** Constant-time comparison of a received verifySign (hex compared case-insensitively). */
export function verifySignMatches(params: SignableParams, token: string): boolean {
  return hexSignatureMatches(params.verifySign, verifySign(params, token));
}

/**
 * The signed JSON body of a request: the parameters plus verifySign, serialised once. The bytes sent are
 * the bytes whose values were signed (every value is text, so nothing is re-rendered on the way).
 */
export function signedBody(params: Readonly<Record<string, string | undefined>>, token: string): { body: string; sign: string } {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) clean[k] = v;
  const sign = verifySign(clean, token);
  return { body: JSON.stringify({ ...clean, verifySign: sign }), sign };
}

/** ISO-8601 UTC to the second, as the API's examples write it: 2023-02-13T10:50:58Z. */
export function apiTimestamp(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
