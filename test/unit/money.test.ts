// Money from text into integer minor units (DESIGN §5): never a float, exponent per ISO 4217,
// thousands separators only where unambiguous, every rejection named by its rule.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { formatMinorUnits, literalToMinor, parseMoney } from '../../src/validate/money.ts';

const CURRENCIES = [
  { currency: 'JPY', exponent: 0 },
  { currency: 'USD', exponent: 2 },
  { currency: 'ARS', exponent: 2 },
  { currency: 'KWD', exponent: 3 },
] as const;

const currencyArb = fc.constantFrom(...CURRENCIES);
const minorArb = fc.bigInt({ min: 1n, max: 10n ** 24n });

function ok(input: string, currency: string): bigint {
  const r = parseMoney(input, currency);
  if (!r.ok) throw new Error(`${JSON.stringify(input)} ${currency}: ${r.rule} ${r.message}`);
  return r.minor;
}

function rule(input: string, currency: string): string | undefined {
  const r = parseMoney(input, currency);
  return r.ok ? undefined : r.rule;
}

describe('parseMoney / formatMinorUnits round trip (property)', () => {
  it('parseMoney(formatMinorUnits(m, exp), cur) gives m back, with the canonical text', () => {
    fc.assert(
      fc.property(minorArb, currencyArb, (m, { currency, exponent }) => {
        const text = formatMinorUnits(m, exponent);
        const r = parseMoney(text, currency);
        expect(r).toEqual({ ok: true, minor: m, text });
      }),
      { numRuns: 500 },
    );
  });

  it('formatMinorUnits writes exactly `exponent` decimals', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), currencyArb, (m, { exponent }) => {
        const text = formatMinorUnits(m, exponent);
        const frac = text.split('.')[1] ?? '';
        expect(frac.length).toBe(exponent);
        expect(/^-?\d+(\.\d+)?$/.test(text)).toBe(true);
        // the digits are the minor units, moved, never computed through a float
        expect(BigInt(text.replace('.', ''))).toBe(m);
      }),
      { numRuns: 300 },
    );
  });

  it('surrounding spaces do not matter', () => {
    fc.assert(
      fc.property(minorArb, currencyArb, fc.constantFrom(' ', '  ', '\t'), (m, { currency, exponent }, pad) => {
        expect(ok(pad + formatMinorUnits(m, exponent) + pad, currency)).toBe(m);
      }),
      { numRuns: 100 },
    );
  });

  it('more decimals than the currency has is rule amount-decimals', () => {
    fc.assert(
      fc.property(
        minorArb,
        currencyArb,
        fc.stringMatching(/^\d{1,4}$/),
        (m, { currency, exponent }, extra) => {
          const base = formatMinorUnits(m, exponent);
          const text = exponent === 0 ? `${base}.${extra}` : `${base}${extra}`;
          expect(rule(text, currency)).toBe('amount-decimals');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('literalToMinor agrees with parseMoney on plain decimal text', () => {
    fc.assert(
      fc.property(minorArb, currencyArb, (m, { currency, exponent }) => {
        expect(literalToMinor(formatMinorUnits(m, exponent), currency)).toBe(m);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseMoney examples', () => {
  it('reads plain amounts per exponent', () => {
    expect(ok('1500', 'JPY')).toBe(1500n);
    expect(ok('1500', 'USD')).toBe(150000n);
    expect(ok('1500.5', 'USD')).toBe(150050n);
    expect(ok('0.01', 'USD')).toBe(1n);
    expect(ok('1.234', 'KWD')).toBe(1234n);
    expect(ok('0.001', 'KWD')).toBe(1n);
    expect(parseMoney('1500.5', 'USD')).toMatchObject({ ok: true, text: '1500.50' });
  });

  it('too many decimals for the currency', () => {
    expect(rule('1.5', 'JPY')).toBe('amount-decimals');
    expect(rule('1.001', 'USD')).toBe('amount-decimals');
    expect(rule('1.0001', 'KWD')).toBe('amount-decimals');
    expect(rule('1.234', 'USD')).toBe('amount-decimals');
  });

  it('thousands separators where unambiguous', () => {
    expect(ok('1,234.56', 'USD')).toBe(123456n);
    expect(ok('1,234,567.89', 'USD')).toBe(123456789n);
    expect(ok('1.234,56', 'USD')).toBe(123456n);
    expect(ok('1.234.567,89', 'EUR')).toBe(123456789n);
    expect(ok('1 234,56', 'USD')).toBe(123456n);
    expect(ok('1\u00a0234,56', 'EUR')).toBe(123456n);
    expect(ok("1'234.50", 'CHF')).toBe(123450n);
    expect(ok('1,234.567', 'KWD')).toBe(1234567n);
    expect(ok('1500,50', 'USD')).toBe(150050n);
  });

  // Regression: "1,500" was read as 1500, though it is 1.5 with a decimal comma (Argentina).
  it('"1,500" is ambiguous (1500 or 1.5): rule amount-ambiguous', () => {
    expect(rule('1,500', 'USD')).toBe('amount-ambiguous');
    expect(rule('1,500', 'ARS')).toBe('amount-ambiguous');
  });

  it('"1500,500" can only be a decimal comma: too many decimals for USD, exact for KWD', () => {
    expect(rule('1500,500', 'USD')).toBe('amount-decimals');
    expect(ok('1500,500', 'KWD')).toBe(1500500n);
  });

  it('"1,234" is ambiguous for a 3-decimal currency (KWD)', () => {
    expect(rule('1,234', 'KWD')).toBe('amount-ambiguous');
    expect(rule('12,345', 'KWD')).toBe('amount-ambiguous');
  });

  it('rejects what is not a positive amount, with the right rule', () => {
    expect(rule('', 'USD')).toBe('required');
    expect(rule('   ', 'USD')).toBe('required');
    expect(rule('-5', 'USD')).toBe('positive');
    expect(rule('-0.01', 'USD')).toBe('positive');
    expect(rule('(5.00)', 'USD')).toBe('positive');
    expect(rule('\u22125', 'USD')).toBe('positive'); // U+2212 minus sign
    expect(rule('0', 'USD')).toBe('positive');
    expect(rule('0.00', 'USD')).toBe('positive');
    expect(rule('0', 'JPY')).toBe('positive');
    expect(rule('1e3', 'USD')).toBe('amount-format');
    expect(rule('1E3', 'JPY')).toBe('amount-format');
    expect(rule('$100', 'USD')).toBe('amount-format');
    expect(rule('100 USD', 'USD')).toBe('amount-format');
    expect(rule('abc', 'USD')).toBe('amount-format');
    expect(rule('.5', 'USD')).toBe('amount-format');
    expect(rule('5.', 'USD')).toBe('amount-format');
    expect(rule('1,234,5', 'USD')).toBe('amount-format');
    expect(rule('1.234.567', 'USD')).toBe('amount-format');
    expect(rule('１２３', 'USD')).toBe('amount-format'); // full-width digits
  });

  it('rejects an unknown currency', () => {
    expect(rule('100', 'XYZ')).toBe('currency');
  });

  it('never goes through a float: 17+ significant digits survive', () => {
    expect(ok('90071992547409.93', 'USD')).toBe(9007199254740993n);
    expect(ok('123456789012345678901234.567', 'KWD')).toBe(123456789012345678901234567n);
  });
});

describe('literalToMinor', () => {
  it('moves digits of a provider literal', () => {
    expect(literalToMinor('1500.5', 'USD')).toBe(150050n);
    expect(literalToMinor('1500', 'USD')).toBe(150000n);
    expect(literalToMinor(1500, 'ARS')).toBe(150000n);
    expect(literalToMinor('1500.50', 'USD')).toBe(150050n);
    expect(literalToMinor('1500.500', 'USD')).toBe(150050n); // trailing zeros are not precision
    expect(literalToMinor('100', 'JPY')).toBe(100n);
    expect(literalToMinor('0.001', 'KWD')).toBe(1n);
    expect(literalToMinor('-1.25', 'USD')).toBe(-125n);
  });

  it('reads exact exponent literals by moving digits (JSON numbers may be written so)', () => {
    expect(literalToMinor('1e3', 'USD')).toBe(100000n);
    expect(literalToMinor('1.25E+3', 'MXN')).toBe(125000n);
    expect(literalToMinor(1e21, 'USD')).toBe(10n ** 23n); // String(1e21) is '1e+21', exact
  });

  it('answers undefined instead of rounding or guessing', () => {
    expect(literalToMinor(0.1 + 0.2, 'USD')).toBeUndefined();
    expect(literalToMinor('1.001', 'USD')).toBeUndefined();
    expect(literalToMinor('1.5', 'JPY')).toBeUndefined();
    expect(literalToMinor('1.00001e2', 'USD')).toBeUndefined(); // 100.001: a tenth of a cent
    expect(literalToMinor('1,500', 'USD')).toBeUndefined();
    expect(literalToMinor('', 'USD')).toBeUndefined();
    expect(literalToMinor(undefined, 'USD')).toBeUndefined();
    expect(literalToMinor(null, 'USD')).toBeUndefined();
    expect(literalToMinor('100', 'XYZ')).toBeUndefined();
  });
});
