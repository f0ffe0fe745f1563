// Wire money, shared by every provider: amounts as a provider writes them (decimal text, a JSON number's
// literal) ⇄ integer minor units, by moving digits, never through a float. The currency's exponent comes
// from the ISO 4217 table (validate/currencies.ts); a currency that table does not know is an error, never
// "2 decimals" by guess (Medusa's get-smallest-unit, without its default).
import { currencyExponent, formatMinorWithExponent } from '../validate/currencies.ts';
import { literalToMinorUnits } from '../validate/money.ts';
import type { MinorUnits } from './types.ts';

export { literalToMinorUnits };

export class UnknownCurrencyError extends Error {
  constructor(readonly currency: string) {
    super(`unknown currency ${JSON.stringify(currency)}: its number of decimals is not known, so no amount in it can be read or written`);
  }
}

/** Decimals of a currency (ISO 4217, plus the non-ISO codes paybatch knows); throws for any other code. */
export function exponentOf(currency: string): number {
  const exponent = currencyExponent(currency.toUpperCase());
  if (exponent === undefined) throw new UnknownCurrencyError(currency);
  return exponent;
}

/**
 * How strictly an answer's amount is read:
 * - `literal`: any JSON number literal, as a JSON number field may be written ("-1.25", "1.5E2");
 * - `decimal`: plain decimal text with an optional minus sign ("-12.50");
 * - `unsigned`: plain decimal text only ("500.00"), as Pockyt writes amounts.
 */
export type WireForm = 'literal' | 'decimal' | 'unsigned';

const FORMS: Record<Exclude<WireForm, 'literal'>, RegExp> = {
  decimal: /^-?\d+(\.\d+)?$/,
  unsigned: /^\d+(\.\d+)?$/,
};

/**
 * A provider's amount (decimal text, or a JSON number already parsed, in major units of `currency`) as minor
 * units. Undefined when it is absent, not in `form`, or not a whole number of minor units ("1.005" USD): an
 * amount is never rounded by guess. Throws UnknownCurrencyError for a currency of unknown exponent.
 */
export function wireToMinor(value: unknown, currency: string, form: WireForm = 'literal'): MinorUnits | undefined {
  const exponent = exponentOf(currency);
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return undefined;
  if (form !== 'literal' && !FORMS[form].test(text)) return undefined;
  return literalToMinorUnits(text, exponent);
}

/** Minor units as the decimal text of `currency` ("150" minor MXN → "1.50", "1500" JPY → "1500"). */
export function minorToWire(minor: MinorUnits, currency: string): string {
  return formatMinorWithExponent(minor, exponentOf(currency));
}
