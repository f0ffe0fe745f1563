// Starpay signing (seed 2.2–2.5): SHA256withRSA over the exact request JSON text, Base64, carried in the
// envelope's `signature` member next to `request`. The merchant signs with its PKCS#8 private key; answers
// and notifications are signed by the platform and checked with its X.509/SPKI public key.
//
// Signatures are over bytes, not over objects: the client builds the request text once, signs it and sends
// those bytes; the verifier takes the member's text exactly as it appears in the body (never re-serialised).
import crypto from 'node:crypto';

/** A JSON number written as-is into the request text (an amount in centavos): no float round-trip. */
export class RawJsonNumber {
  constructor(readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError('not a JSON number literal');
  }
}

export type RequestValue = string | RawJsonNumber;

/**
 * The request object as JSON text, fields in the given order, compact (2.2: "not pretty-printed";
 * "the order of fields used for signing must be exactly the same as the order in the final payload").
 */
export function requestJson(fields: readonly (readonly [string, RequestValue])[]): string {
  const parts = fields.map(([key, value]) => `${JSON.stringify(key)}:${value instanceof RawJsonNumber ? value.text : JSON.stringify(value)}`);
  return `{${parts.join(',')}}`;
}

/** The literal body: the signed text goes in byte for byte. */
export function envelope(member: 'request' | 'response', memberJson: string, signature: string): string {
  return `{${JSON.stringify(member)}:${memberJson},"signature":${JSON.stringify(signature)}}`;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/**
 * The merchant private key: PKCS#8 PEM (the documented form), also PKCS#1 PEM, or the bare Base64 of a
 * PKCS#8 DER (how Java demos often hand keys out). Throws a message that never contains key material.
 */
export function loadPrivateKey(text: string): crypto.KeyObject {
  try {
    if (PEM.test(text)) return crypto.createPrivateKey({ key: text, format: 'pem' });
    return crypto.createPrivateKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('privateKey is not a readable RSA private key (expected a PKCS#8 PEM "-----BEGIN PRIVATE KEY-----")');
  }
}

/** The platform public key: SPKI PEM ("-----BEGIN PUBLIC KEY-----") or its bare Base64 DER. */
export function loadPublicKey(text: string): crypto.KeyObject {
  try {
    if (PEM.test(text)) return crypto.createPublicKey({ key: text, format: 'pem' });
    return crypto.createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('platformPublicKey is not a readable RSA public key (expected an SPKI PEM "-----BEGIN PUBLIC KEY-----")');
  }
}

/** Base64(SHA256withRSA(key, UTF-8 bytes of text)). PKCS#1 v1.5 padding, as Java's Signature does. */
export function sign(text: string, privateKey: crypto.KeyObject): string {
  return crypto.sign('sha256', Buffer.from(text, 'utf8'), privateKey).toString('base64');
}

/** True only for a well-formed Base64 signature that verifies over exactly these bytes. */
export function verify(text: string, signature: unknown, publicKey: crypto.KeyObject): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false;
  const compact = signature.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return false;
  try {
    return crypto.verify('sha256', Buffer.from(text, 'utf8'), publicKey, Buffer.from(compact, 'base64'));
  } catch {
    return false;
  }
}

// ---- exact member text of a JSON body ---------------------------------------------------------------

const WS = new Set([' ', '\t', '\n', '\r']);

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s[i]!)) i++;
  return i;
}

function endOfString(s: string, i: number): number {
  // s[i] is the opening quote
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  throw new Error('unterminated string');
}

function endOfValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return endOfString(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') j = endOfString(s, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new Error('unterminated value');
  }
  let j = i;
  while (j < s.length && !WS.has(s[j]!) && s[j] !== ',' && s[j] !== '}' && s[j] !== ']') j++;
  return j;
}

export interface SignedBody {
  /** The parsed body. */
  body: Record<string, unknown>;
  /** The signed member's text exactly as it appears in the body. */
  memberText: string;
  /** The member's text as signed: the raw text, or the content of a JSON string member. */
  signedText: string;
  /** The member's value: the object, or the string member parsed as JSON (undefined when not JSON). */
  value: unknown;
  signature: unknown;
}

/**
 * Reads `{"<member>": {...} | "<json text>", "signature": "..."}` and returns the member's exact text.
 * Answers undefined for anything that is not such an object (not JSON, the member missing or given twice).
 */
export function readSignedBody(raw: string, member: 'request' | 'response'): SignedBody | undefined {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  // The body is valid JSON, so a plain scan of its top-level members is safe.
  let span: [number, number] | undefined;
  let i = skipWs(text, 0) + 1; // past '{'
  for (;;) {
    i = skipWs(text, i);
    if (text[i] === '}') break;
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd) + 1; // past ':'
    i = skipWs(text, i);
    const valueEnd = endOfValue(text, i);
    if (key === member) {
      if (span) return undefined; // two members of the same name: which one was signed is ambiguous
      span = [i, valueEnd];
    }
    i = skipWs(text, valueEnd);
    if (text[i] === ',') i++;
  }
  if (!span) return undefined;
  const memberText = text.slice(span[0], span[1]);
  const body = parsed as Record<string, unknown>;
  const inner = body[member];
  if (typeof inner === 'string') {
    let value: unknown;
    try {
      value = JSON.parse(inner);
    } catch {
      value = undefined;
    }
    return { body, memberText, signedText: inner, value, signature: body.signature };
  }
  if (!inner || typeof inner !== 'object') return undefined;
  return { body, memberText, signedText: memberText, value: inner, signature: body.signature };
}
