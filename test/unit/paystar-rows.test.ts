import { describe, it, expect } from 'vitest';
import { paystarProvider } from '../../src/providers/paystar/index.ts';
import { paystarConfigSchema } from '../../src/providers/paystar/schema.ts';
import { luhnValid, maskCard6x4, scrubCardNumbers } from '../../src/providers/paystar/card.ts';

const config = paystarConfigSchema.parse({ publicKey: 'pk', privateKey: 'sk' });
const rules = paystarProvider.rowRules(config);
const money = { currency: 'USD', amountMinor: 15000n };
const check = (row: Record<string, string>) => rules.check(row, money);
const GOOD = '4111111111111111';
const BAD = '4111111111111112';

describe('paystar row rules', () => {
  it('a card row with field.cardNumber and field.bankName passes', () => {
    expect(check({ amount: '150.00', currency: 'USD', 'field.cardNumber': GOOD, 'field.bankName': 'SuperBank' })).toEqual([]);
    expect(check({ 'field.cardNumber': '4111 1111-1111 1111' })).toEqual([]);
    // The card ending 0002 (sandbox failure outcome) is a valid card.
    expect(check({ 'field.cardNumber': '4111111111150002' })).toEqual([]);
  });

  it('a mistyped card fails the Luhn rule, naming the column, never showing the number', () => {
    const issues = check({ 'field.cardNumber': BAD });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ column: 'field.cardNumber', rule: 'luhn', value: '****1112' });
    expect(JSON.stringify(issues)).not.toContain(BAD);
    expect(JSON.stringify(issues)).not.toContain('411111111111');
  });

  it('the card key is matched case-insensitively as the sheet writes it', () => {
    const issues = check({ 'field.CardNumber': BAD });
    expect(issues[0]).toMatchObject({ column: 'field.CardNumber', rule: 'luhn' });
  });

  it('a card of the wrong length or with letters fails card-format', () => {
    expect(check({ 'field.cardNumber': '41111111' })[0]).toMatchObject({ rule: 'card-format', column: 'field.cardNumber' });
    expect(check({ 'field.cardNumber': '4111x11111111111' })[0]).toMatchObject({ rule: 'card-format' });
    expect(JSON.stringify(check({ 'field.cardNumber': '4111x11111111111' }))).not.toContain('4111x11111111111');
  });

  it('account_number is a card number when method says card, and is Luhn-checked', () => {
    expect(check({ account_number: GOOD, method: 'card' })).toEqual([]);
    const issues = check({ account_number: BAD, method: 'Bank Card' });
    expect(issues[0]).toMatchObject({ column: 'account_number', rule: 'luhn' });
    expect(JSON.stringify(issues)).not.toContain(BAD);
  });

  it('account_number and field.cardNumber naming different cards conflict', () => {
    const issues = check({ account_number: GOOD, method: 'card', 'field.cardNumber': '5555555555554444' });
    expect(issues.map((i) => i.rule)).toEqual(['card-conflict']);
    expect(JSON.stringify(issues)).not.toMatch(/\d{9,}/);
  });

  it('a row without any beneficiary field is refused', () => {
    expect(check({ amount: '1.00' })[0]).toMatchObject({ rule: 'beneficiary-required', column: 'field.cardNumber' });
    expect(check({ account_number: '12345678', method: 'bank' })[0]).toMatchObject({ rule: 'beneficiary-required', column: 'account_number' });
    expect(check({ 'field.phoneNumber': '+79990000000', 'field.telecomOperator': 'MTS' })).toEqual([]);
  });

  it('lists its columns, amount and currency required, card columns as identifiers', () => {
    const byName = new Map(rules.columns.map((c) => [c.name, c]));
    expect(byName.get('amount')?.required).toBe(true);
    expect(byName.get('currency')?.required).toBe(true);
    expect(byName.get('field.cardNumber')?.identifier).toBe(true);
    expect(byName.get('account_number')?.identifier).toBe(true);
    expect(rules.currencies).toBe('any');
  });
});

describe('paystar references and config', () => {
  it('derives a stable reference valid for its own pattern', () => {
    const ref = paystarProvider.deriveReference('20261121-3fa2b1c9', 7);
    expect(ref).toBe('PB-20261121-3fa2b1c9-7');
    expect(paystarProvider.deriveReference('20261121-3fa2b1c9', 7)).toBe(ref);
    expect(paystarProvider.referencePattern.pattern.test(ref)).toBe(true);
    expect(paystarProvider.referencePattern.pattern.test('Merch12345')).toBe(true);
    expect(paystarProvider.referencePattern.pattern.test('has space')).toBe(false);
    expect(paystarProvider.referencePattern.pattern.test('x'.repeat(65))).toBe(false);
  });

  it('every assumed detail is a config key with its default', () => {
    expect(config).toMatchObject({
      baseUrl: 'sandbox',
      balanceBaseUrl: null,
      jwtIssuedAt: false,
      createPath: '/api/v1/integration/withdrawal-order/',
      statusPath: '/api/v1/integration/withdrawal-order/{externalTransactionId}/status-by-external-transaction-id',
      balancePath: '/api/v1/balance/merchant',
      balanceField: 'balance',
      retryLockedAfterSeconds: 30,
      duplicateCodes: ['1-4007'],
      cardFieldKeys: ['cardNumber'],
      callbackAckStatus: 200,
      callbackAckBody: 'OK',
      callbackAckContentType: 'text/plain',
    });
    expect(() => paystarConfigSchema.parse({ statusPath: '/no/placeholder' })).toThrow();
  });

  it('declares the decided defaults and sensitive fields', () => {
    expect(paystarProvider.defaults.resubmitOnNotFound).toBe(true);
    expect(paystarProvider.defaults.canReverse).toBe(false);
    expect(paystarProvider.sensitiveFields).toEqual(expect.arrayContaining(['privateKey', 'token', 'cardNumber', 'field.cardNumber', 'Signature']));
    expect(paystarProvider.credentials.map((c) => c.key)).toEqual(['publicKey', 'privateKey', 'token']);
  });
});

describe('card helpers', () => {
  it('Luhn', () => {
    for (const c of ['4111111111111111', '5555555555554444', '4012888888881881', '6011111111111117', '4111111111150002']) expect(luhnValid(c)).toBe(true);
    for (const c of ['4111111111111112', '4111111111110002', '']) expect(luhnValid(c)).toBe(false);
  });

  it('masks card numbers in free text, grouped or not, and uses the 6x4 mask for callbacks', () => {
    const text = scrubCardNumbers('card 4111111111111111 and 5555 5555 5555 4444 refused; order 12345');
    expect(text).toBe('card ****1111 and ****4444 refused; order 12345');
    expect(maskCard6x4('4111111111111111')).toBe('411111******1111');
  });
});

describe('paystar sample sheet', () => {
  it('every row of samples/paystar-payouts.csv passes the row rules; one card ends in 0002', async () => {
    const fs = await import('node:fs');
    const { parse } = await import('csv-parse/sync');
    const { matchHeaders } = await import('../../src/sheet/headers.ts');
    const [header, ...rows] = parse(fs.readFileSync(new URL('../../samples/paystar-payouts.csv', import.meta.url)), { relax_column_count: false }) as string[][];
    const match = matchHeaders(header!);
    expect(match.problems).toEqual([]);
    expect([...match.columns.keys()]).toEqual(expect.arrayContaining(['reference', 'amount', 'currency', 'field.cardNumber', 'field.bankName']));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const values of rows) {
      const row = Object.fromEntries([...match.columns].map(([name, i]) => [name, values[i]!]));
      expect(check(row)).toEqual([]);
      expect(paystarProvider.referencePattern.pattern.test(row.reference!)).toBe(true);
    }
    expect(rows.some((r) => r[match.columns.get('field.cardNumber')!]!.endsWith('0002'))).toBe(true);
  });
});
