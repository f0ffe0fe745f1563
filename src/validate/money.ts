// Money from text into integer minor units of the currency (ISO 4217 exponent). Never a float:
// the digits are moved into a bigint as text. Thousands separators only where unambiguous.
import { currencyExponent } from './currencies.ts';
import type { MinorUnits } from '../providers/types.ts';

export type MoneyParse =
  | { ok: true; minor: MinorUnits; /** canonical major-unit text, e.g. "1500.00" */ text: string }
  | { ok: false; rule: string; message: string };

const PLAIN = /^\d+(\.\d+)?$/;
const COMMA_GROUPS_DOT_DECIMAL = /^\d{1,3}(,\d{3})+(\.\d+)?$/; // 1,234,567.89
const DOT_GROUPS_COMMA_DECIMAL = /^\d{1,3}(\.\d{3})+,\d+$/; // 1.234.567,89
const SPACE_GROUPS = /^\d{1,3}([ '\u00a0\u202f]\d{3})+([.,]\d+)?$/; // 1 234 567,89 / 1'234.50
const COMMA_DECIMAL = /^\d+,\d+$/; // 1500,50

/** Major-unit decimal text → minor units, given the currency's exponent. */
export function parseMoney(input: string, currency: string): MoneyParse {
  const r = parseMoneyMinor(input, currency);
  return r.ok ? { ok: true, minor: r.minor, text: formatMinorUnits(r.minor, currencyExponent(currency)!) } : r;
}

export type MinorParse = { ok: true; minor: MinorUnits } | { ok: false; rule: string; message: string };

/** parseMoney without the canonical text: what validating a row needs (it runs a million times). */
export function parseMoneyMinor(input: string, currency: string): MinorParse {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return { ok: false, rule: 'currency', message: `unknown currency ${currency}` };
  const raw = input.trim();
  if (raw === '') return { ok: false, rule: 'required', message: 'amount is required' };
  // The common case first: plain digits with an optional decimal point.
  if (PLAIN.test(raw)) return toMinor(raw, currency, exponent);
  if (/^[-−(]/.test(raw)) return { ok: false, rule: 'positive', message: 'amount must be positive' };
  if (/[eE]/.test(raw)) return { ok: false, rule: 'amount-format', message: 'scientific notation is not an amount: format the column as a number with decimals or as text' };
  if (/[^\d.,' \u00a0\u202f]/.test(raw))
    return { ok: false, rule: 'amount-format', message: 'amount must contain digits and a decimal point only (no currency symbol)' };

  let normalised: string;
  if (PLAIN.test(raw)) normalised = raw;
  else if (/^\d{1,3}[.,]\d{3}$/.test(raw)) {
    // "1,500" or "1.500" is 1500 in one country and 1.5 in another: refuse to guess.
    return { ok: false, rule: 'amount-ambiguous', message: `"${raw}" is ambiguous (a thousand or a decimal?): write it without a separator, e.g. 1500 or 1.5` };
  } else if (COMMA_GROUPS_DOT_DECIMAL.test(raw)) {
    normalised = raw.replace(/,/g, '');
  } else if (DOT_GROUPS_COMMA_DECIMAL.test(raw)) normalised = raw.replace(/\./g, '').replace(',', '.');
  else if (SPACE_GROUPS.test(raw)) normalised = raw.replace(/[ '\u00a0\u202f]/g, '').replace(',', '.');
  else if (COMMA_DECIMAL.test(raw)) {
    normalised = raw.replace(',', '.');
  } else return { ok: false, rule: 'amount-format', message: `"${raw}" is not an amount` };

  return toMinor(normalised, currency, exponent);
}

function toMinor(normalised: string, currency: string, exponent: number): MinorParse {
  const dot = normalised.indexOf('.');
  const intPart = dot < 0 ? normalised : normalised.slice(0, dot);
  const fracPart = dot < 0 ? '' : normalised.slice(dot + 1);
  if (fracPart.length > exponent)
    return {
      ok: false,
      rule: 'amount-decimals',
      message: exponent === 0 ? `${currency} has no decimals` : `${currency} has ${exponent} decimals at most`,
    };
  const minor = BigInt(intPart + fracPart.padEnd(exponent, '0'));
  if (minor <= 0n) return { ok: false, rule: 'positive', message: 'amount must be greater than zero' };
  return { ok: true, minor };
}

/** Minor units → major-unit decimal text with exactly `exponent` decimals. */
export function formatMinorUnits(minor: MinorUnits, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}

const LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal or JSON number literal ("12.5", "1500.00", "1.25E+3") as minor units of a currency with
 * `exponent` decimals, by moving digits. Undefined when it is not a number or not a whole number of minor
 * units ("0.005" for a 2-decimal currency): a money value is never rounded by guess.
 */
export function literalToMinorUnits(text: string, exponent: number): MinorUnits | undefined {
  const m = LITERAL.exec(text.trim());
  if (!m) return undefined;
  const [, sign, int, frac = '', expText] = m;
  const e = expText === undefined ? 0 : Number(expText);
  if (!Number.isInteger(e) || Math.abs(e) > 40) return undefined;
  let digits = (int + frac).replace(/^0+(?=\d)/, '');
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

/** A provider's amount (literal text or a JSON number already parsed) in `currency` → minor units. */
export function literalToMinor(literal: string | number | undefined | null, currency: string): MinorUnits | undefined {
  if (literal === undefined || literal === null) return undefined;
  const exponent = currencyExponent(currency.toUpperCase());
  if (exponent === undefined) return undefined;
  return literalToMinorUnits(String(literal), exponent);
}
