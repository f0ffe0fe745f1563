// trxAmount in and out, as text only (never a float): pesos as a string ("1000", "1000.50", 2.4 sample) or
// integer centavos written as a raw JSON number (config amountUnit; the disbursement unit is [U]). The
// digits are moved by the shared wire-money helper (../money.ts).
import { wireToMinor } from '../money.ts';
import { RawJsonNumber, type RequestValue } from './sign.ts';

export type AmountUnit = 'major' | 'centavos';

/** The request's trxAmount. Major units drop an all-zero fraction ("1000.00" → "1000", "1000.50" stays). */
export function requestAmount(amount: string, amountMinor: bigint, unit: AmountUnit): RequestValue {
  if (unit === 'centavos') return new RawJsonNumber(amountMinor.toString());
  return amount.replace(/\.0+$/, '');
}

/** Decimal text (major units, sign allowed) → minor units of `currency`; undefined when it is not a plain amount. */
export function majorToMinor(text: string, currency: string): bigint | undefined {
  return wireToMinor(text, currency, 'decimal');
}

/** An amount from an answer (string or JSON number) in the configured unit → minor units. */
export function answerAmount(value: unknown, unit: AmountUnit, currency: string): bigint | undefined {
  if (unit === 'major') return wireToMinor(value, currency, 'decimal');
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
}
