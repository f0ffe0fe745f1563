// The create body as sent, the raw-literal scanner, and amount parsing: never a float.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { additionalFields, createBody } from '../../src/providers/paystar/client.ts';
import { literalToMinor } from '../../src/validate/money.ts';
import { jsonWithNumberLiteral, scalarLiteral, topLevelMembers } from '../../src/providers/paystar/raw-json.ts';
import type { PayoutRequest } from '../../src/providers/types.ts';

function payout(over: Partial<PayoutRequest> = {}): PayoutRequest {
  return {
    payoutId: 'p1',
    batchId: 'b1',
    rowNumber: 2,
    merchantReference: 'PB-20261121-3fa2b1c9-2',
    amountMinor: 10050n,
    amount: '100.50',
    currency: 'USD',
    fields: {},
    extra: {},
    additional: { cardNumber: '4111 1111 1111 1111', bankName: 'SuperBank', payeerIdentifier: 'Merch-12345' },
    ...over,
  };
}

describe('paystar create body', () => {
  it('writes amount as the decimal text, fields in column order with keys verbatim, callbackUrl when configured', () => {
    expect(createBody(payout(), ['cardNumber'], 'https://merchant.example/cb')).toBe(
      '{"amount":100.50,"currency":"USD","externalTransactionId":"PB-20261121-3fa2b1c9-2","callbackUrl":"https://merchant.example/cb",' +
        '"additionalFields":[{"key":"cardNumber","value":"4111111111111111"},{"key":"bankName","value":"SuperBank"},{"key":"payeerIdentifier","value":"Merch-12345"}]}',
    );
    expect(createBody(payout({ amount: '100', currency: 'JPY', amountMinor: 100n, additional: { bankName: 'X' } }), ['cardNumber'], null)).toBe(
      '{"amount":100,"currency":"JPY","externalTransactionId":"PB-20261121-3fa2b1c9-2","additionalFields":[{"key":"bankName","value":"X"}]}',
    );
  });

  it('large amounts survive exactly (no float round-trip)', () => {
    const text = createBody(payout({ amount: '90071992547409.93', amountMinor: 9007199254740993n }), ['cardNumber']);
    expect(text.startsWith('{"amount":90071992547409.93,')).toBe(true);
    expect(scalarLiteral(text, 'amount')).toEqual({ ok: true, text: '90071992547409.93', kind: 'number' });
  });

  it('a card account_number travels as cardNumber when method says card', () => {
    expect(additionalFields(payout({ additional: { bankName: 'B' }, fields: { account_number: '4111111111111111', method: 'card' } }), ['cardNumber'])).toEqual([
      { key: 'cardNumber', value: '4111111111111111' },
      { key: 'bankName', value: 'B' },
    ]);
    expect(additionalFields(payout({ additional: { bankName: 'B' }, fields: { account_number: '123', method: 'bank' } }), ['cardNumber'])).toEqual([{ key: 'bankName', value: 'B' }]);
  });

  it('refuses to embed anything that is not a decimal literal', () => {
    expect(() => jsonWithNumberLiteral('amount', '1e3', {})).toThrow();
    expect(() => jsonWithNumberLiteral('amount', '1,"x":2', {})).toThrow();
    expect(jsonWithNumberLiteral('amount', '0.05', {})).toBe('{"amount":0.05}');
  });
});

describe('raw JSON member scanner', () => {
  it('reads top-level members as written, skipping nested ones', () => {
    const text = ' {"a" : 1.50 , "nested":{"amount":9,"s":"}\\"{"}, "list":[1,{"amount":2}], "amount": 100.50 ,"s":"x\\u0041"} ';
    expect(topLevelMembers(text)?.map((m) => [m.name, m.raw])).toEqual([
      ['a', '1.50'],
      ['nested', '{"amount":9,"s":"}\\"{"}'],
      ['list', '[1,{"amount":2}]'],
      ['amount', '100.50'],
      ['s', '"x\\u0041"'],
    ]);
    expect(scalarLiteral(text, 'amount')).toEqual({ ok: true, text: '100.50', kind: 'number' });
    expect(scalarLiteral(text, 's')).toEqual({ ok: true, text: 'xA', kind: 'string' });
  });

  it('decodes escaped member names', () => {
    expect(scalarLiteral('{"am\\u006funt":3.10}', 'amount')).toEqual({ ok: true, text: '3.10', kind: 'number' });
  });

  it('refuses malformed text, repeated members, and non-scalar values', () => {
    expect(topLevelMembers('[1,2]')).toBeUndefined();
    expect(topLevelMembers('{"a":1')).toBeUndefined();
    expect(topLevelMembers('{"a":1}x')).toBeUndefined();
    expect(scalarLiteral('{"amount":1,"amount":2}', 'amount').ok).toBe(false);
    expect(scalarLiteral('{"amount":{"v":1}}', 'amount').ok).toBe(false);
    expect(scalarLiteral('{"amount":null}', 'amount').ok).toBe(false);
    expect(scalarLiteral('{}', 'amount').ok).toBe(false);
  });

  it('agrees with JSON.parse on member names and scalar values (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()))), (obj) => {
        const text = JSON.stringify(obj, null, 1);
        const members = topLevelMembers(text);
        expect(members?.map((m) => m.name)).toEqual(Object.keys(obj));
        for (const m of members ?? []) expect(JSON.parse(m.raw)).toEqual(obj[m.name]);
      }),
    );
  });
});

describe('literalToMinor', () => {
  it('parses decimal text into minor units of the currency, exactly', () => {
    expect(literalToMinor('100.50', 'USD')).toBe(10050n);
    expect(literalToMinor('100.5', 'USD')).toBe(10050n);
    expect(literalToMinor('100', 'JPY')).toBe(100n);
    expect(literalToMinor('1.234', 'KWD')).toBe(1234n);
    expect(literalToMinor('1.5E2', 'USD')).toBe(15000n);
    expect(literalToMinor('90071992547409.93', 'USD')).toBe(9007199254740993n);
  });
  it('refuses more precision than the currency has, unknown currencies and non-numbers', () => {
    expect(literalToMinor('1.005', 'USD')).toBeUndefined();
    expect(literalToMinor('1', 'XYZ')).toBeUndefined();
    expect(literalToMinor('abc', 'USD')).toBeUndefined();
  });
});
