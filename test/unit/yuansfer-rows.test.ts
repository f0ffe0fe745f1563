import { describe, it, expect } from 'vitest';
import { yuansferProvider } from '../../src/providers/yuansfer/index.ts';
import { checkRow, deriveReference, isValidRoutingNumber, referencePattern, yuansferConfigSchema } from '../../src/providers/yuansfer/schema.ts';
import { accountTag, bankAccountParams, customerCode, payeeKey, registerParams } from '../../src/providers/yuansfer/payee.ts';
import { amountText, parseAmountMinor } from '../../src/providers/yuansfer/amount.ts';

const TODAY = new Date('2026-11-21T12:00:00Z');
const USD = { currency: 'USD', amountMinor: 50000n };

const payeeRow: Record<string, string> = {
  amount: '500.00',
  first_name: 'Maria',
  last_name: 'Garcia',
  email: 'maria.garcia@example.com',
  date_of_birth: '1988-03-14',
  mobile: '(212) 555-0142',
  street: '350 Fifth Ave',
  city: 'New York',
  state: 'NY',
  zip: '10118',
  country: 'US',
  routing_number: '021000021',
  account_number: '123456781',
  account_type: 'checking',
};

const check = (row: Record<string, string>, money = USD, minimumAge = 18) => checkRow(row, money, { minimumAge, today: TODAY });
const rules = (row: Record<string, string>) => check(row).map((i) => `${i.column}:${i.rule}`);

describe('yuansfer row rules', () => {
  it('accepts a row with the payee\'s full details', () => {
    expect(check(payeeRow)).toEqual([]);
    expect(check({ ...payeeRow, profile_type: 'business', account_type: 'SAVINGS', country: 'usa', zip: '10118-0110' })).toEqual([]);
  });

  it('accepts a row naming a registered payee, without payee details', () => {
    expect(check({ amount: '10.00', customer_no: '2000305228292319592008', account_token: '2010305228303182765718' })).toEqual([]);
  });

  it('wants customer_no and account_token together, and no bank details beside them', () => {
    expect(rules({ customer_no: '2000305228292319592008' })).toEqual(['account_token:required-with']);
    expect(rules({ account_token: '2010305228303182765718' })).toEqual(['customer_no:required-with']);
    expect(rules({ customer_no: '2000305228292319592008', account_token: '2010305228303182765718', account_number: '123456781' })).toEqual(['account_number:exclusive']);
    expect(rules({ customer_no: '20-00', account_token: '2010305228303182765718' })).toEqual(['customer_no:format']);
  });

  it('names every missing payee column at once', () => {
    expect(rules({ amount: '1.00' })).toEqual([
      'first_name:required', 'last_name:required', 'email:required', 'date_of_birth:required', 'street:required', 'city:required',
      'state:required', 'zip:required', 'country:required', 'routing_number:required', 'account_number:required', 'account_type:required',
    ]);
  });

  it('checks routing numbers: 9 digits and the ABA checksum', () => {
    for (const good of ['021000021', '011000015', '121000358', '101089292', '026009593']) expect(isValidRoutingNumber(good)).toBe(true);
    for (const bad of ['021000022', '02100002', '0210000210', '000000000', '12345678a', '']) expect(isValidRoutingNumber(bad)).toBe(false);
    const checksum = check({ ...payeeRow, routing_number: '021000022' });
    expect(checksum).toEqual([{ column: 'routing_number', value: '021000022', rule: 'aba-routing', message: 'routing number fails the ABA checksum' }]);
    expect(rules({ ...payeeRow, routing_number: '21000021' })).toEqual(['routing_number:aba-routing']);
  });

  it('checks dates of birth: a real past date, and a payee at least 18', () => {
    expect(rules({ ...payeeRow, date_of_birth: '1988-02-30' })).toEqual(['date_of_birth:date']);
    expect(rules({ ...payeeRow, date_of_birth: '14/03/1988' })).toEqual(['date_of_birth:date']);
    expect(rules({ ...payeeRow, date_of_birth: '2027-01-01' })).toEqual(['date_of_birth:past']);
    expect(rules({ ...payeeRow, date_of_birth: '2026-11-21' })).toEqual(['date_of_birth:past']);
    expect(rules({ ...payeeRow, date_of_birth: '2008-11-22' })).toEqual(['date_of_birth:minimum-age']);
    expect(rules({ ...payeeRow, date_of_birth: '2008-11-21' })).toEqual([]); // 18th birthday today
    expect(rules({ ...payeeRow, date_of_birth: '1900-01-01' })).toEqual(['date_of_birth:plausible']);
    expect(check({ ...payeeRow, date_of_birth: '2015-05-05' }, USD, 0)).toEqual([]); // minimumAge 0 disables
  });

  it('checks emails', () => {
    for (const bad of ['maria', 'maria@', '@example.com', 'maria@example', 'maria garcia@example.com', 'maria@@example.com', 'maria..g@example.com']) {
      expect(rules({ ...payeeRow, email: bad })).toEqual(['email:email']);
    }
    expect(rules({ ...payeeRow, email: "o'brien+pay@mail.example.co.uk" })).toEqual([]);
  });

  it('checks account type, profile type, account number, state, ZIP, phone and country', () => {
    expect(rules({ ...payeeRow, account_type: 'BROKERAGE' })).toEqual(['account_type:enum']);
    expect(rules({ ...payeeRow, profile_type: 'TRUST' })).toEqual(['profile_type:enum']);
    expect(rules({ ...payeeRow, account_number: '12-34' })).toEqual(['account_number:format']);
    expect(rules({ ...payeeRow, account_number: '123' })).toEqual(['account_number:format']);
    expect(rules({ ...payeeRow, state: 'New York' })).toEqual(['state:us-state']);
    expect(rules({ ...payeeRow, zip: '2134' })).toEqual(['zip:us-zip']);
    expect(rules({ ...payeeRow, mobile: '555-0142' })).toEqual(['mobile:phone']);
    expect(rules({ ...payeeRow, mobile: '+1 212 555 0142' })).toEqual([]);
    expect(rules({ ...payeeRow, country: 'United Kingdom' })).toEqual(['country:country']);
    expect(rules({ ...payeeRow, country: 'CA', state: 'Ontario', zip: 'M5V 2T6', mobile: '+1 416 555 0100' })).toEqual([]);
  });

  it('pays USD only, and positive amounts', () => {
    expect(rules({ ...payeeRow }).length).toBe(0);
    expect(check(payeeRow, { currency: 'EUR', amountMinor: 100n }).map((i) => i.rule)).toEqual(['currency']);
    expect(check(payeeRow, { currency: 'USD', amountMinor: 0n }).map((i) => i.rule)).toEqual(['positive']);
  });

  it('exposes the rules through the provider module with USD as the only currency', () => {
    const config = yuansferConfigSchema.parse({ merchantNo: '1', storeNo: '2', token: 't' });
    const r = yuansferProvider.rowRules(config);
    expect(r.currencies).toEqual(['USD']);
    expect(r.defaultCurrency).toBe('USD');
    const identifiers = r.columns.filter((c) => c.identifier).map((c) => c.name).sort();
    expect(identifiers).toEqual(['account_number', 'account_token', 'customer_no', 'mobile', 'routing_number', 'zip']);
  });
});

describe('yuansfer configuration', () => {
  it('has the DESIGN §9 credentials and every assumed detail as a key with its default', () => {
    const config = yuansferConfigSchema.parse({ merchantNo: '202333', storeNo: '301854', token: 'tok' });
    expect(config).toMatchObject({
      baseUrl: 'sandbox',
      payoutAccountsPath: '/v3/payee/payout-accounts',
      rejectCodes: ['000020', '000021', '000022', '000023', '000030'],
      holdCodes: ['000040'],
      unknownCodes: ['000000', '000080'],
      notFoundCode: '000021',
      stopCodes: ['000030'],
      signErrorCode: '000022',
      duplicateCode: '000023',
      processingChannel: null,
      description: 'Payout',
      subject: 'Payout',
      clientIp: null,
      minimumAge: 18,
    });
    expect(() => yuansferConfigSchema.parse({ merchantNo: '1', storeNo: '2' })).toThrow();
    expect(() => yuansferConfigSchema.parse({ merchantNo: '1', storeNo: '2', token: 't', processingChannel: 'WIRE' })).toThrow();
    expect(yuansferProvider.credentials.map((c) => [c.key, c.secret])).toEqual([['merchantNo', false], ['storeNo', false], ['token', true]]);
    expect(yuansferProvider.defaults.resubmitOnNotFound).toBe(true);
    expect(yuansferProvider.defaults.canReverse).toBe(true);
  });
});

describe('yuansfer merchant references', () => {
  it('derives a deterministic reference that fits the invoiceId pattern', () => {
    const ref = deriveReference('20261121-3fa2b1c9', 42);
    expect(ref).toBe('PB-20261121-3fa2b1c9-42');
    expect(deriveReference('20261121-3fa2b1c9', 42)).toBe(ref);
    expect(deriveReference('20261121-3fa2b1c9', 43)).not.toBe(ref);
    expect(referencePattern.pattern.test(deriveReference('20261121-3fa2b1c9', 1_000_000))).toBe(true);
  });

  it('falls back to a hash when the readable form would not fit', () => {
    const ref = deriveReference('a-very-long-batch-key-that-does-not-fit', 7);
    expect(ref).toMatch(/^PB[0-9a-f]{30}$/);
    expect(deriveReference('a-very-long-batch-key-that-does-not-fit', 7)).toBe(ref);
  });

  it('validates a sheet\'s own references', () => {
    expect(referencePattern.pattern.test('9aae4c685d824c5da746f97620c59eb5')).toBe(true);
    expect(referencePattern.pattern.test('INV 1')).toBe(false);
    expect(referencePattern.pattern.test('x'.repeat(33))).toBe(false);
  });
});

describe('yuansfer payee identity', () => {
  it('derives the same customerCode and payeeKey for the same person, however the sheet writes them', () => {
    const again = { ...payeeRow, first_name: ' MARIA ', email: 'Maria.Garcia@Example.com', amount: '12.00', note: 'other row' };
    expect(customerCode(again)).toBe(customerCode(payeeRow));
    expect(payeeKey(again)).toBe(payeeKey(payeeRow));
    expect(customerCode(payeeRow)).toMatch(/^pb[0-9a-f]{18}$/);
  });

  it('uses payee_id as customerCode when given', () => {
    expect(customerCode({ ...payeeRow, payee_id: 'EMP-1042' })).toBe('EMP-1042');
    expect(payeeKey({ ...payeeRow, payee_id: 'EMP-1042' })).toMatch(/^yuansfer:EMP-1042:[0-9a-f]{10}$/);
  });

  it('gives another bank account of the same person another payeeKey but the same customerCode', () => {
    const other = { ...payeeRow, account_number: '987654321' };
    expect(customerCode(other)).toBe(customerCode(payeeRow));
    expect(accountTag(other)).not.toBe(accountTag(payeeRow));
    expect(payeeKey(other)).not.toBe(payeeKey(payeeRow));
  });

  it('has no payeeKey for a row naming a registered payee (nothing to set up)', () => {
    expect(payeeKey({ customer_no: '2000305228292319592008', account_token: '2010305228303182765718' })).toBeUndefined();
  });

  it('keeps account numbers out of the payeeKey', () => {
    expect(payeeKey(payeeRow)).not.toContain('123456781');
    expect(payeeKey(payeeRow)).not.toContain('maria');
  });

  it('builds the register and add-bank-account parameters from the sheet columns', () => {
    expect(registerParams(payeeRow)).toEqual({
      customerCode: customerCode(payeeRow), firstName: 'Maria', lastName: 'Garcia', email: 'maria.garcia@example.com',
      dateOfBirth: '1988-03-14', phone: '2125550142', street: '350 Fifth Ave', city: 'New York', state: 'NY', zip: '10118',
      countryCode: 'US', profileType: 'INDIVIDUAL',
    });
    expect(bankAccountParams(payeeRow, 'C1', null)).toEqual({
      customerNo: 'C1', accountType: 'BANK_ACCOUNT', accountCountry: 'US', accountCurrency: 'USD', accountTag: accountTag(payeeRow),
      branchId: '021000021', bankAccountId: '123456781', bankAccountPurpose: 'CHECKING', clientIp: undefined,
    });
  });
});

describe('yuansfer amounts', () => {
  it('writes amounts as decimal text from minor units', () => {
    expect(amountText(50000n)).toBe('500.00');
    expect(amountText(1n)).toBe('0.01');
    expect(amountText(123456789012345678n)).toBe('1234567890123456.78');
  });

  it('reads answer amounts into minor units without floats', () => {
    expect(parseAmountMinor('500')).toBe(50000n);
    expect(parseAmountMinor('500.5')).toBe(50050n);
    expect(parseAmountMinor('500.50')).toBe(50050n);
    expect(parseAmountMinor('0.10')).toBe(10n);
    expect(parseAmountMinor('9007199254740993.01')).toBe(900719925474099301n);
    for (const bad of ['500.001', '-5.00', '1e3', '', 'abc', undefined, null]) expect(parseAmountMinor(bad)).toBeUndefined();
  });
});
