import { describe, expect, it } from 'vitest';
import { starpayProvider } from '../../src/providers/starpay/index.ts';
import { answerAmount, majorToMinor, requestAmount } from '../../src/providers/starpay/amount.ts';
import { RawJsonNumber } from '../../src/providers/starpay/sign.ts';
import { nearestBanks } from '../../src/providers/starpay/client.ts';
import { SANDBOX_BANKS } from '../../src/providers/starpay/sandbox.ts';

const config = starpayProvider.configSchema.parse({});
const rules = starpayProvider.rowRules(config);
const money = { currency: 'PHP', amountMinor: 150000n };
const check = (row: Record<string, string>) => rules.check(row, money);

describe('starpay config defaults', () => {
  it('has the decided defaults for every assumed detail', () => {
    expect(config).toMatchObject({
      baseUrl: 'sandbox',
      platformPublicKey: null,
      disburseService: 'pay.starpay.instapay.disburse',
      bankListService: 'pay.starpay.instapay.bank.list',
      amountUnit: 'major',
      attach: 'Disbursement',
      notFoundCode: '404',
      duplicateCodes: ['403'],
      throttledCodes: ['406'],
      rejectedCodes: ['400', '412'],
      slowDownSeconds: 2,
      defaultMethod: 'instapay',
      qrColumn: 'extra.qr',
    });
    expect(config.stopCodes).toEqual(expect.arrayContaining(['401', '402', '410', '411']));
    expect(starpayProvider.defaults.resubmitOnNotFound).toBe(true);
    expect(starpayProvider.defaults.canReverse).toBe(true);
  });

  it('has built-in sandbox credentials for every credential key, the private key marked secret', () => {
    expect(starpayProvider.credentials.map((c) => c.key)).toEqual(['mchId', 'privateKey', 'platformPublicKey']);
    expect(starpayProvider.credentials.find((c) => c.key === 'privateKey')).toMatchObject({ secret: true });
    expect(starpayProvider.credentials.every((c) => c.sandboxValue.length > 0)).toBe(true);
  });
});

describe('starpay msgId (merchant reference)', () => {
  it('derives digits only, at most 32, the same on every call and different per row and batch', () => {
    const a = starpayProvider.deriveReference('20261121-3fa2b1c9', 2);
    expect(a).toMatch(/^\d{1,32}$/);
    expect(a).toBe('20261121' + String(0x3fa2b1c9).padStart(10, '0') + '000002');
    expect(starpayProvider.deriveReference('20261121-3fa2b1c9', 2)).toBe(a);
    expect(starpayProvider.deriveReference('20261121-3fa2b1c9', 3)).not.toBe(a);
    expect(starpayProvider.deriveReference('20261121-3fa2b1ca', 2)).not.toBe(a);
    expect(starpayProvider.deriveReference('some other key', 7)).toMatch(/^\d{1,32}$/);
    expect(starpayProvider.deriveReference('some other key', 7)).toBe(starpayProvider.deriveReference('some other key', 7));
  });

  it('accepts a sheet reference only as digits, at most 32', () => {
    const { pattern } = starpayProvider.referencePattern;
    expect(pattern.test('161415460871')).toBe(true);
    expect(pattern.test('1'.repeat(32))).toBe(true);
    expect(pattern.test('1'.repeat(33))).toBe(false);
    expect(pattern.test('INV-001')).toBe(false);
  });
});

describe('starpay row rules', () => {
  it('accepts a complete InstaPay row, names from account_name or first + last name', () => {
    expect(check({ amount: '1500.00', account_number: '109450001234', account_name: 'Maria Reyes', bank_name: 'BDO Unibank, Inc.' })).toEqual([]);
    expect(check({ amount: '1500.00', account_number: '109450001234', first_name: 'Maria', last_name: 'Reyes', bank_name: 'GCash', method: 'InstaPay' })).toEqual([]);
  });

  it('names the column and rule of every missing InstaPay field', () => {
    const issues = check({ amount: '1500.00' });
    expect(issues.map((i) => [i.column, i.rule])).toEqual([
      ['account_number', 'required-for-method'],
      ['bank_name', 'required-for-method'],
      ['account_name', 'required-for-method'],
    ]);
  });

  it('rejects an unknown method', () => {
    expect(check({ method: 'pesonet', account_number: '1', bank_name: 'x', account_name: 'y' })).toEqual([
      expect.objectContaining({ column: 'method', rule: 'method', value: 'pesonet' }),
    ]);
  });

  it('needs account_number or mobile for a starpay transfer', () => {
    expect(check({ method: 'starpay', mobile: '09171234567' })).toEqual([]);
    expect(check({ method: 'starpay' })).toEqual([expect.objectContaining({ column: 'account_number', rule: 'required-for-method' })]);
  });

  it('needs a QR Ph payload in extra.qr for QR payments', () => {
    expect(check({ method: 'p2m-qr', 'extra.qr': '00020101021128300012ph.ppmi.p2m0108STARPAY05405204599953036085802PH5909JUAN CAFE6006MANILA6304ABCD' })).toEqual([]);
    expect(check({ method: 'p2p-qr' })).toEqual([expect.objectContaining({ column: 'extra.qr', rule: 'required-for-method' })]);
    expect(check({ method: 'p2p-qr', 'extra.qr': 'https://example.com/qr' })).toEqual([expect.objectContaining({ column: 'extra.qr', rule: 'qr-payload' })]);
  });

  it('declares PHP as the only and default currency, and digits-only identifier columns', () => {
    expect(rules.currencies).toEqual(['PHP']);
    expect(rules.defaultCurrency).toBe('PHP');
    const account = rules.columns.find((c) => c.name === 'account_number')!;
    expect(account.identifier).toBe(true);
    expect(account.pattern!.test('109450001234')).toBe(true);
    expect(account.pattern!.test('1094-5000-1234')).toBe(false);
    expect(rules.columns.find((c) => c.name === 'bank_name')!.aliases).toContain('receivingBank');
  });
});

describe('starpay amounts', () => {
  it('sends pesos as text like the 2.4 sample, or centavos as a raw JSON number', () => {
    expect(requestAmount('1000.00', 100000n, 'major')).toBe('1000');
    expect(requestAmount('1000.50', 100050n, 'major')).toBe('1000.50');
    const centavos = requestAmount('1000.50', 100050n, 'centavos');
    expect(centavos).toBeInstanceOf(RawJsonNumber);
    expect((centavos as RawJsonNumber).text).toBe('100050');
  });

  it('reads answer amounts into minor units without floats', () => {
    expect(answerAmount('1000', 'major', 'PHP')).toBe(100000n);
    expect(answerAmount('999.99', 'major', 'PHP')).toBe(99999n);
    expect(answerAmount(1000.5, 'major', 'PHP')).toBe(100050n);
    expect(answerAmount(100050, 'centavos', 'PHP')).toBe(100050n);
    expect(answerAmount('1.005', 'major', 'PHP')).toBeUndefined();
    expect(answerAmount(null, 'major', 'PHP')).toBeUndefined();
    expect(majorToMinor('1000000.00', 'PHP')).toBe(100000000n);
  });
});

describe('starpay nearest bank names', () => {
  const names = SANDBOX_BANKS.map((b) => b.bankName);
  it('suggests three, the closest first', () => {
    const near = nearestBanks('BDO', names);
    expect(near).toHaveLength(3);
    expect(near[0]).toBe('BDO Unibank, Inc.');
    expect(nearestBanks('Bank of the Phillipine Islands', names)[0]).toBe('Bank of the Philippine Islands');
    expect(nearestBanks('G-Cash', names)[0]).toBe('GCash');
  });
});
