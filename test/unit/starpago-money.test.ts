// StarPago amounts are JSON numbers: requests carry the decimal text as a raw literal, answers are read
// from their literal text. No float ever holds money.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { buildCreateBody } from '../../src/providers/starpago/client.ts';
import { JsonNumber, parseLossless, stringifyLossless, field, textOf } from '../../src/providers/starpago/json.ts';
import { literalToMinor } from '../../src/providers/starpago/money.ts';
import type { PayoutRequest } from '../../src/providers/types.ts';

const payout = (over: Partial<PayoutRequest> = {}): PayoutRequest => ({
  payoutId: 'p1',
  batchId: 'b1',
  rowNumber: 2,
  merchantReference: 'PB202611213fa2b1c9000002',
  amountMinor: 150000n,
  amount: '1500.00',
  currency: 'MXN',
  fields: { method: 'SPEI' },
  extra: { clabe: '072180037338760001', beneficiaryName: 'Ana López' },
  additional: {},
  ...over,
});

describe('StarPago create body', () => {
  it('is the payout.html field order with amount as a raw number literal', () => {
    const body = buildCreateBody(payout(), { accountNumberExtraKey: 'accountNumber' }, 'https://merchant.example/cb');
    expect(body).toBe(
      '{"merOrderNo":"PB202611213fa2b1c9000002","currency":"MXN","payMethod":"SPEI","amount":1500.00,"notifyUrl":"https://merchant.example/cb","extra":{"clabe":"072180037338760001","beneficiaryName":"Ana López"}}',
    );
  });

  it('keeps amounts beyond float precision exact and leaves notifyUrl out when none is configured', () => {
    const body = buildCreateBody(payout({ amount: '90071992547409.93', amountMinor: 9007199254740993n }), { accountNumberExtraKey: null }, undefined);
    expect(body).toContain('"amount":90071992547409.93,');
    expect(body).not.toContain('notifyUrl');
    expect(textOf(field(parseLossless(body), 'amount'))).toBe('90071992547409.93');
  });

  it('sends the account_number column as extra.accountNumber unless an extra column gives it', () => {
    const p = payout({ fields: { method: 'BANK', account_number: '000123450001' }, extra: {} });
    expect(buildCreateBody(p, { accountNumberExtraKey: 'accountNumber' }, undefined)).toContain('"extra":{"accountNumber":"000123450001"}');
    const q = payout({ fields: { method: 'BANK', account_number: '000123450001' }, extra: { accountNumber: '999' } });
    expect(buildCreateBody(q, { accountNumberExtraKey: 'accountNumber' }, undefined)).toContain('"extra":{"accountNumber":"999"}');
    expect(buildCreateBody(p, { accountNumberExtraKey: null }, undefined)).toContain('"extra":{}');
  });

  it('refuses an amount that is not decimal text', () => {
    expect(() => buildCreateBody(payout({ amount: '1e3' }), { accountNumberExtraKey: null }, undefined)).toThrow();
  });
});

describe('StarPago answers read without floats', () => {
  it('keeps paidAmount and tradeCharge as their literal text', () => {
    const v = parseLossless('{"code":0,"data":{"paidAmount":12345678901234567.89,"tradeCharge":1.50,"amount":0.1}}');
    const data = field(v, 'data');
    expect(field(data, 'paidAmount')).toEqual(new JsonNumber('12345678901234567.89'));
    expect(literalToMinor(textOf(field(data, 'paidAmount'))!, 2)).toBe(1234567890123456789n);
    expect(literalToMinor(textOf(field(data, 'tradeCharge'))!, 2)).toBe(150n);
    expect(textOf(field(v, 'code'))).toBe('0');
  });

  it('literalToMinor: exponents, zero-decimal currencies, and no rounding by guess', () => {
    expect(literalToMinor('12.5', 2)).toBe(1250n);
    expect(literalToMinor('0.1', 2)).toBe(10n);
    expect(literalToMinor('1.25E+3', 2)).toBe(125000n);
    expect(literalToMinor('125e-2', 2)).toBe(125n);
    expect(literalToMinor('1500', 0)).toBe(1500n);
    expect(literalToMinor('1500.00', 0)).toBe(1500n);
    expect(literalToMinor('1500.50', 0)).toBeUndefined();
    expect(literalToMinor('0.005', 2)).toBeUndefined();
    expect(literalToMinor('-3.20', 2)).toBe(-320n);
    expect(literalToMinor('abc', 2)).toBeUndefined();
  });

  it('parseLossless rejects what is not JSON and treats __proto__ as data', () => {
    expect(parseLossless('{"a":1,}')).toBeUndefined();
    expect(parseLossless('{"a":01}')).toBeUndefined();
    expect(parseLossless('<html>502</html>')).toBeUndefined();
    const v = parseLossless('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(field(v, '__proto__')).toBeDefined();
  });

  it('round-trips any amount literal exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 4 }), (minor, exponent) => {
        const s = minor.toString().padStart(exponent + 1, '0');
        const text = exponent === 0 ? s : `${s.slice(0, -exponent)}.${s.slice(-exponent)}`;
        const json = stringifyLossless({ amount: new JsonNumber(text) });
        const back = textOf(field(parseLossless(json), 'amount'))!;
        return back === text && literalToMinor(back, exponent) === minor;
      }),
    );
  });
});
