// Amount text ⇄ integer minor units by string and bigint arithmetic only (StarPago sends JSON numbers:
// their literal text is read, never a float).
import { currencyExponent, formatMinorWithExponent } from '../../validate/currencies.ts';

const LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal/JSON number literal ("12.5", "1500.00", "1.25E+3") as minor units of a currency with
 * `exponent` decimals. Undefined when the text is not a number or is not a whole number of minor units
 * (e.g. "0.005" for a 2-decimal currency): a money value is never rounded by guess.
 */
export function literalToMinor(text: string, exponent: number): bigint | undefined {
  const m = LITERAL.exec(text.trim());
  if (!m) return undefined;
  const [, sign, int, frac = '', expText] = m;
  const e = expText === undefined ? 0 : Number(expText);
  if (!Number.isInteger(e) || Math.abs(e) > 40) return undefined;
  let digits = (int! + frac).replace(/^0+(?=\d)/, '');
  // value = digits × 10^(e − frac.length); in minor units × 10^exponent.
  let shift = e - frac.length + exponent;
  if (shift < 0) {
    const cut = -shift;
    const tail = digits.length > cut ? digits.slice(-cut) : digits.padStart(cut, '0');
    if (/[^0]/.test(tail)) return undefined;
    digits = digits.length > cut ? digits.slice(0, -cut) : '0';
    shift = 0;
  }
  const minor = BigInt(digits) * 10n ** BigInt(shift);
  return sign === '-' ? -minor : minor;
}

/** Decimals written in a plain decimal literal ("1500.00" → 2, "7" → 0); undefined for exponent forms. */
export function decimalsOf(text: string): number | undefined {
  const m = /^-?\d+(?:\.(\d+))?$/.exec(text);
  return m ? (m[1]?.length ?? 0) : undefined;
}

/** Minor units of `currency` from a literal, using the ISO 4217 exponent; undefined when unknown. */
export function amountToMinor(text: string, currency: string): bigint | undefined {
  const exponent = currencyExponent(currency);
  return exponent === undefined ? undefined : literalToMinor(text, exponent);
}

/** Canonical decimal text of minor units ("150" minor MXN → "1.50"). */
export function minorToText(minor: bigint, currency: string): string {
  return formatMinorWithExponent(minor, currencyExponent(currency) ?? 2);
}
