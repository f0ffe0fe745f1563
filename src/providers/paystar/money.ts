// Amounts PayStar writes (callback, balance, status) as decimal text → integer minor units. No floats:
// decimal.js reads the literal, and an amount with more precision than the currency has is refused.
import { Decimal } from 'decimal.js';
import { currencyExponent } from '../../validate/currencies.ts';

/** Minor units of a decimal literal in `currency`, or undefined (unknown currency, not exact, not a number). */
export function literalToMinor(literal: string, currency: string): bigint | undefined {
  const exponent = currencyExponent(currency.toUpperCase());
  if (exponent === undefined) return undefined;
  if (!/^-?(0|[1-9]\d*|\d+)(\.\d+)?([eE][+-]?\d+)?$/.test(literal.trim())) return undefined;
  let value: Decimal;
  try {
    value = new Decimal(literal.trim()).times(new Decimal(10).pow(exponent));
  } catch {
    return undefined;
  }
  if (!value.isInteger()) return undefined;
  return BigInt(value.toFixed(0));
}
