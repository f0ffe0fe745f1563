// Starpay signing (seed 2.2–2.5): SHA256withRSA over the exact request JSON text, Base64, carried in the
// envelope's `signature` member next to `request`. The merchant signs with its PKCS#8 private key; answers
// and notifications are signed by the platform and checked with its X.509/SPKI public key.
//
// Signatures are over bytes, not over objects: the client builds the request text once, signs it and sends
// those bytes; the verifier takes the member's text exactly as it appears in the body (never re-serialised).
import crypto from 'node:crypto';
import { JsonNumber, topLevelMembers, writeJsonObject } from '../raw-json.ts';

/** A JSON number written as-is into the request text (an amount in centavos): no float round-trip. */
export { JsonNumber as RawJsonNumber };

export type RequestValue = string | JsonNumber;

/**
 * The request object as JSON text, fields in the given order, compact (2.2: "not pretty-printed";
 * "the order of fields used for signing must be exactly the same as the order in the final payload").
 */
export function requestJson(fields: readonly (readonly [string, RequestValue])[]): string {
  return writeJsonObject(fields);
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
  // The body is valid JSON, so its top-level members are read as written; two members of the same name
  // make it ambiguous which one was signed.
  const named = (topLevelMembers(text) ?? []).filter((m) => m.name === member);
  if (named.length !== 1) return undefined;
  const memberText = named[0]!.raw;
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
