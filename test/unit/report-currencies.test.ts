import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CURRENCY_EXPONENTS,
  NON_ISO_CURRENCIES,
  currencyExponent,
  formatMinor,
  formatMinorWithExponent,
  isIsoCurrency,
  isKnownCurrency,
} from '../../src/validate/currencies.ts';

/** A string-only parse of canonical decimal text back to minor units (no Number anywhere). */
function parseMinor(text: string, exponent: number): bigint {
  const m = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not canonical decimal text: ${text}`);
  const [, sign, int, frac = ''] = m;
  if (frac.length !== exponent) throw new Error(`${text}: ${frac.length} decimals, expected ${exponent}`);
  const digits = `${int}${frac}`;
  if (sign === '-' && /^0+$/.test(digits)) throw new Error(`negative zero: ${text}`);
  return BigInt(`${sign}${digits}`);
}

describe('currency exponents (ISO 4217)', () => {
  it('knows the usual exponents', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('ARS')).toBe(2);
    expect(currencyExponent('IDR')).toBe(2);
    for (const c of ['JPY', 'KRW', 'CLP', 'VND', 'ISK', 'UGX', 'PYG', 'XOF', 'XAF']) expect(currencyExponent(c), c).toBe(0);
    for (const c of ['KWD', 'BHD', 'JOD', 'OMR', 'TND', 'IQD', 'LYD']) expect(currencyExponent(c), c).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
  });

  it('treats USDT as a non-ISO code with exponent 2 unless overridden', () => {
    expect(currencyExponent('USDT')).toBe(2);
    expect(NON_ISO_CURRENCIES.has('USDT')).toBe(true);
    expect(isIsoCurrency('USDT')).toBe(false);
    expect(isKnownCurrency('USDT')).toBe(true);
    expect(currencyExponent('USDT', { USDT: 6 })).toBe(6);
    expect(formatMinor(1_500_000n, 'USDT', { USDT: 6 })).toBe('1.500000');
  });

  it('rejects unknown, lower-case, withdrawn and N.A. codes', () => {
    for (const c of ['usd', 'XYZ', '', 'HRK', 'XAU', 'XXX', 'toString', '__proto__']) {
      expect(isKnownCurrency(c), c).toBe(false);
      expect(currencyExponent(c), c).toBeUndefined();
    }
    expect(() => formatMinor(1n, 'XYZ')).toThrow(/unknown currency/);
  });

  it('has only 3-letter upper-case ISO codes with exponents 0..4', () => {
    for (const [code, e] of Object.entries(CURRENCY_EXPONENTS)) {
      if (!NON_ISO_CURRENCIES.has(code)) expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(e);
    }
  });
});

describe('formatMinor', () => {
  it('formats by string manipulation', () => {
    expect(formatMinor(123456n, 'USD')).toBe('1234.56');
    expect(formatMinor(-5n, 'USD')).toBe('-0.05');
    expect(formatMinor(0n, 'USD')).toBe('0.00');
    expect(formatMinor(100n, 'JPY')).toBe('100');
    expect(formatMinor(-100n, 'JPY')).toBe('-100');
    expect(formatMinor(1n, 'KWD')).toBe('0.001');
    expect(formatMinor(-1234567n, 'BHD')).toBe('-1234.567');
    expect(formatMinor(12_345_678_901_234_567_890_123n, 'USD')).toBe('123456789012345678901.23');
  });

  it('rejects an invalid exponent', () => {
    expect(() => formatMinorWithExponent(1n, -1)).toThrow(RangeError);
    expect(() => formatMinorWithExponent(1n, 1.5)).toThrow(RangeError);
  });

  it('round-trips through a string-based parse (property)', () => {
    const currencies = ['USD', 'JPY', 'KWD', 'CLF', 'ARS', 'VND', 'TND'];
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.constantFrom(...currencies), (minor, currency) => {
        const text = formatMinor(minor, currency);
        expect(parseMinor(text, currencyExponent(currency)!)).toBe(minor);
      }),
      { numRuns: 2000 },
    );
  });

  it('is canonical: decimals = exponent, no leading zeros, no negative zero (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }), (minor, e) => {
        const text = formatMinorWithExponent(minor, e);
        expect(text).toMatch(e === 0 ? /^-?(0|[1-9]\d*)$/ : new RegExp(`^-?(0|[1-9]\\d*)\\.\\d{${e}}$`));
        expect(text.startsWith('-')).toBe(minor < 0n);
      }),
    );
  });
});
