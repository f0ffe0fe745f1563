// What the providers' sandbox kits share (SandboxKit in types.ts): digits that differ per seed, so rows of
// different scenarios never share accounts.
import crypto from 'node:crypto';

/** `n` decimal digits derived from `seed` (stable: the same seed always gives the same digits). */
export function seededDigits(seed: string, n: number): string {
  const hex = crypto.createHash('sha256').update(seed).digest('hex').slice(0, 15);
  return (BigInt('0x' + hex) % 10n ** BigInt(n)).toString().padStart(n, '0');
}
