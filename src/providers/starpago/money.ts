// Amount text ⇄ integer minor units by string and bigint arithmetic only (StarPago sends JSON numbers:
// their literal text is read, never a float).
import { currencyExponent, formatMinorWithExponent } from '../../validate/currencies.ts';
import { literalToMinorUnits } from '../../validate/money.ts';

export { literalToMinorUnits as literalToMinor } from '../../validate/money.ts';

/** Decimals written in a plain decimal literal ("1500.00" → 2, "7" → 0); undefined for exponent forms. */
export function decimalsOf(text: string): number | undefined {
  const m = /^-?\d+(?:\.(\d+))?$/.exec(text);
  return m ? (m[1]?.length ?? 0) : undefined;
}

/** Minor units of `currency` from a literal, using the ISO 4217 exponent; undefined when unknown. */
export function amountToMinor(text: string, currency: string): bigint | undefined {
  const exponent = currencyExponent(currency);
  return exponent === undefined ? undefined : literalToMinorUnits(text, exponent);
}

/** Canonical decimal text of minor units ("150" minor MXN → "1.50"). */
export function minorToText(minor: bigint, currency: string): string {
  return formatMinorWithExponent(minor, currencyExponent(currency) ?? 2);
}
