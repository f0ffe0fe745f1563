// Money as text both ways, in Pockyt's form: request amounts from bigint minor units ("500.00" [C]), answer
// amounts back to minor units, unsigned decimal text only. The digits are moved by ../money.ts.
import { minorToWire, wireToMinor } from '../money.ts';
import { CURRENCY } from './schema.ts';

export function amountText(amountMinor: bigint): string {
  return minorToWire(amountMinor, CURRENCY);
}

/** "500", "500.0", "500.00" → 50000n; undefined for anything else (more decimals, signs, exponents). */
export function parseAmountMinor(text: unknown): bigint | undefined {
  return wireToMinor(text, CURRENCY, 'unsigned');
}
