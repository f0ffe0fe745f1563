// trxAmount in and out, as text only (never a float): pesos as a string ("1000", "1000.50", 2.4 sample) or
// integer centavos written as a raw JSON number (config amountUnit; the disbursement unit is [U]).
import { currencyExponent } from '../../validate/currencies.ts';
import { RawJsonNumber, type RequestValue } from './sign.ts';

export type AmountUnit = 'major' | 'centavos';

/** The request's trxAmount. Major units drop an all-zero fraction ("1000.00" → "1000", "1000.50" stays). */
export function requestAmount(amount: string, amountMinor: bigint, unit: AmountUnit): RequestValue {
  if (unit === 'centavos') return new RawJsonNumber(amountMinor.toString());
  return amount.replace(/\.0+$/, '');
}

/** Decimal text (major units) → minor units of `currency`; undefined when it is not a plain amount. */
export function majorToMinor(text: string, currency: string): bigint | undefined {
  const exponent = currencyExponent(currency) ?? 2;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > exponent && /[^0]/.test(frac.slice(exponent))) return undefined;
  const digits = BigInt(m[2]! + frac.slice(0, exponent).padEnd(exponent, '0'));
  return m[1] ? -digits : digits;
}

/** An amount from an answer (string or JSON number) in the configured unit → minor units. */
export function answerAmount(value: unknown, unit: AmountUnit, currency: string): bigint | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  // A JSON number for an amount is an integer or has at most a few decimals, so String() is its literal.
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  if (unit === 'centavos') return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
  return majorToMinor(text, currency);
}
