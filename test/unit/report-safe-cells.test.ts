import { describe, expect, it } from 'vitest';
import { maskAccount, neutraliseFormula, safeAmountText } from '../../src/report/safe-cells.ts';

describe('neutraliseFormula', () => {
  it('prefixes cells starting with = + - @ tab CR', () => {
    expect(neutraliseFormula('=HYPERLINK("http://evil","click")')).toBe(`'=HYPERLINK("http://evil","click")`);
    expect(neutraliseFormula('+1')).toBe("'+1");
    expect(neutraliseFormula('-2+3')).toBe("'-2+3");
    expect(neutraliseFormula('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(neutraliseFormula('\tcmd')).toBe("'\tcmd");
    expect(neutraliseFormula('\rcmd')).toBe("'\rcmd");
  });

  it('leaves everything else unchanged', () => {
    for (const s of ['', 'José Núñez', '1500.00', ' =1+1', 'a=b', "'already", '\n=x', 'ＳＵＭ']) {
      expect(neutraliseFormula(s)).toBe(s);
    }
  });
});

describe('maskAccount', () => {
  it('keeps the last 4 behind a fixed ****', () => {
    expect(maskAccount('1234567890', 'last4')).toBe('****7890');
    expect(maskAccount('4111 1111 1111 1111', 'last4')).toBe('****1111');
    expect(maskAccount('GB29 NWBK 6016 1331 9268 19', 'last4')).toBe('****6819');
    expect(maskAccount('000-123-45678', 'last4')).toBe('****5678');
  });

  it('masks short values whole and keeps empty cells empty', () => {
    expect(maskAccount('1234', 'last4')).toBe('****');
    expect(maskAccount('12', 'last4')).toBe('****');
    expect(maskAccount('', 'last4')).toBe('');
    expect(maskAccount('   ', 'last4')).toBe('');
  });

  it("returns the value as given with 'none'", () => {
    expect(maskAccount('1234567890', 'none')).toBe('1234567890');
  });
});

describe('amount text', () => {
  it('keeps number-like amount text and neutralises the rest', () => {
    expect(safeAmountText('-1,500.00')).toBe('-1,500.00');
    expect(safeAmountText('1 500,00')).toBe('1 500,00');
    expect(safeAmountText('=1+2')).toBe("'=1+2");
    expect(safeAmountText('-2+3')).toBe("'-2+3");
    expect(safeAmountText('abc')).toBe('abc');
  });
});
