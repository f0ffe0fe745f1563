// Hex digests as providers sign with them (Vexora and Pockyt MD5, PayStar SHA-256), and the one
// constant-time comparison of a received hex signature with the expected one.
import crypto from 'node:crypto';

/** Lower-case hex digest of the UTF-8 bytes of `text`. */
export function hexDigest(algorithm: 'md5' | 'sha256', text: string): string {
  return crypto.createHash(algorithm).update(text, 'utf8').digest('hex');
}

/** True only for hex text of the expected length (any case) equal to `expectedHex`, compared in constant time. */
export function hexSignatureMatches(received: unknown, expectedHex: string): boolean {
  if (typeof received !== 'string' || received.length !== expectedHex.length || !/^[0-9a-fA-F]+$/.test(received)) return false;
  return crypto.timingSafeEqual(Buffer.from(received.toLowerCase(), 'hex'), Buffer.from(expectedHex.toLowerCase(), 'hex'));
}
