// Money as text both ways: request amounts from bigint minor units, answer amounts back to minor units.
// Never through a JS number.
import { formatMinorWithExponent } from '../../validate/currencies.ts';

/** USD has 2 decimals; Pockyt writes amounts as "500.00" [C]. */
export const USD_EXPONENT = 2;

export function amountText(amountMinor: bigint): string {
  return formatMinorWithExponent(amountMinor, USD_EXPONENT);
}

/** "500", "500.0", "500.00" → 50000n; undefined for anything else (more decimals, signs, exponents). */
export function parseAmountMinor(text: unknown, exponent = USD_EXPONENT): bigint | undefined {
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const s = String(text).trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return undefined;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > exponent) return undefined;
  return BigInt(m[1]!) * 10n ** BigInt(exponent) + BigInt(frac.padEnd(exponent, '0') || '0');
}
