// Vexora row rules per country profile (PROVIDERS.md §5 "Disbursement fields per country"), the request
// fields a row maps to, and the derived merchant reference (tradeNo).
import { describe, it, expect } from 'vitest';
import { vexoraProvider } from '../../src/providers/vexora/index.ts';
import {
  beneficiaryFields,
  countryProfiles,
  deriveVexoraReference,
  vexoraConfigSchema,
  vexoraCountries,
  vexoraRowRules,
  type VexoraConfig,
  type VexoraCountry,
} from '../../src/providers/vexora/schema.ts';
import { parseMoney } from '../../src/validate/money.ts';
import { RowValidator, providerAliases } from '../../src/validate/rows.ts';
import { matchHeaders } from '../../src/sheet/headers.ts';
import type { RowIssue } from '../../src/providers/types.ts';

const config = (country: VexoraCountry, over: Record<string, unknown> = {}): VexoraConfig =>
  vexoraConfigSchema.parse({ country, ...over });

/** Runs the provider's own check on a row, with the amount parsed as the common rules would. */
function check(country: VexoraCountry, row: Record<string, string>, over: Record<string, unknown> = {}): RowIssue[] {
  const rules = vexoraRowRules(config(country, over));
  const currency = row.currency ?? rules.defaultCurrency!;
  const money = parseMoney(row.amount, currency);
  if (!money.ok) throw new Error(`test row amount ${row.amount}: ${money.rule}`);
  return rules.check(row, { currency, amountMinor: money.minor });
}
const rulesOf = (issues: RowIssue[]) => issues.map((i) => `${i.column}:${i.rule}`).sort();

const AR_ROW = {
  amount: '1500',
  account_number: '0000003100010000000001',
  mobile: '0911234567',
  email: 'ana.perez@example.com',
  first_name: 'Ana',
  last_name: 'Perez',
};

/** The whole validation path (common rules + provider rules) on one CSV-like row. */
function validateRow(country: VexoraCountry, row: Record<string, string>, over: Record<string, unknown> = {}) {
  const rules = vexoraRowRules(config(country, over));
  const header = Object.keys(row);
  const match = matchHeaders(header, providerAliases(rules));
  const validator = new RowValidator({
    header,
    match,
    rules,
    provider: vexoraProvider,
    batchKey: '20261121-0a1b2c3d',
  });
  return { validator, result: validator.validate({ rowNumber: 2, values: header.map((h) => row[h]) }) };
}

describe('Argentina (the seed field set)', () => {
  it('a whole amount of at least 100 in ARS passes', () => {
    expect(check('AR', AR_ROW)).toEqual([]);
    expect(check('AR', { ...AR_ROW, amount: '100' })).toEqual([]);
    expect(check('AR', { ...AR_ROW, amount: '100.00' })).toEqual([]);
  });

  it("'99' fails min-amount", () => {
    expect(rulesOf(check('AR', { ...AR_ROW, amount: '99' }))).toEqual(['amount:min-amount']);
    expect(rulesOf(check('AR', { ...AR_ROW, amount: '99.99' }))).toContain('amount:min-amount');
  });

  it("'100.50' fails integer-amount", () => {
    expect(rulesOf(check('AR', { ...AR_ROW, amount: '100.50' }))).toEqual(['amount:integer-amount']);
    expect(rulesOf(check('AR', { ...AR_ROW, amount: '1500.01' }))).toEqual(['amount:integer-amount']);
  });

  it('both problems of a row are collected', () => {
    expect(rulesOf(check('AR', { ...AR_ROW, amount: '99.5' }))).toEqual(['amount:integer-amount', 'amount:min-amount']);
  });

  it('the currency defaults to ARS and only ARS is accepted', () => {
    const rules = vexoraRowRules(config('AR'));
    expect(rules.defaultCurrency).toBe('ARS');
    expect(rules.currencies).toEqual(['ARS']);
  });

  it('columns: the seed fields are required, mobile is 10 digits starting with 0', () => {
    const cols = vexoraRowRules(config('AR')).columns;
    const required = cols.filter((c) => c.required).map((c) => c.name);
    expect(required.sort()).toEqual(['account_number', 'amount', 'email', 'first_name', 'last_name', 'mobile']);
    const mobile = cols.find((c) => c.name === 'mobile')!;
    expect(mobile.identifier).toBe(true);
    expect(mobile.pattern!.test('0911234567')).toBe(true);
    expect(mobile.pattern!.test('911234567')).toBe(false);
    expect(mobile.pattern!.test('+54911234567')).toBe(false);
    expect(mobile.pattern!.test('09112345678')).toBe(false);
    const account = cols.find((c) => c.name === 'account_number')!;
    expect(account.identifier).toBe(true);
    expect(account.aliases).toContain('accountNo');
    expect(cols.find((c) => c.name === 'reference')!.aliases).toContain('tradeNo');
  });

  it('through the common validator: a good row is valid with ARS implied', () => {
    const { result } = validateRow('AR', AR_ROW);
    expect(result.issues).toEqual([]);
    expect(result.payout).toMatchObject({ status: 'validated', currency: 'ARS', amountMinor: 150000n });
  });

  it('through the common validator: every problem of a bad row is named', () => {
    const { result } = validateRow('AR', { ...AR_ROW, amount: '99', mobile: '911234567', email: '' });
    expect(result.issues.map((i) => `${i.column}:${i.rule}`).sort()).toEqual(['amount:min-amount', 'email:required', 'mobile:format']);
    expect(result.payout.status).toBe('invalid');
  });

  it('through the common validator: a repeated reference is a duplicate-reference', () => {
    const row = { reference: 'VX-1', ...AR_ROW };
    const { validator, result } = validateRow('AR', row);
    expect(result.issues).toEqual([]);
    const second = validator.validate({ rowNumber: 3, values: Object.values(row) });
    expect(second.issues.map((i) => `${i.column}:${i.rule}`)).toEqual(['reference:duplicate-reference']);
    expect(second.issues[0].message).toContain('row 2');
  });
});

describe('Australia', () => {
  const AU_ROW = {
    amount: '500',
    account_name: 'Jack Smith',
    account_number: '123456789',
    routing_number: '062000',
    mobile: '0412345678',
    email: 'jack@example.com',
  };

  it('100–10,000 whole AUD', () => {
    expect(check('AU', AU_ROW)).toEqual([]);
    expect(check('AU', { ...AU_ROW, amount: '10000' })).toEqual([]);
    expect(rulesOf(check('AU', { ...AU_ROW, amount: '10001' }))).toEqual(['amount:max-amount']);
    expect(rulesOf(check('AU', { ...AU_ROW, amount: '10000.01' }))).toEqual(['amount:integer-amount', 'amount:max-amount']);
    expect(rulesOf(check('AU', { ...AU_ROW, amount: '99' }))).toEqual(['amount:min-amount']);
    expect(rulesOf(check('AU', { ...AU_ROW, amount: '150.5' }))).toEqual(['amount:integer-amount']);
  });

  it('BSB (routing_number) is required when the method is BSB, the default', () => {
    const { routing_number: _bsb, ...noBsb } = AU_ROW;
    expect(rulesOf(check('AU', noBsb))).toEqual(['routing_number:required']);
    expect(rulesOf(check('AU', { ...noBsb, method: 'BSB' }))).toEqual(['routing_number:required']);
    expect(rulesOf(check('AU', { ...noBsb, method: 'bsb' }))).toEqual(['routing_number:required']);
    expect(check('AU', { ...noBsb, method: 'PAYID', account_number: 'jack@example.com' })).toEqual([]);
  });

  it('needs a name: account_name, or first_name and last_name', () => {
    const { account_name: _n, ...noName } = AU_ROW;
    expect(rulesOf(check('AU', noName))).toEqual(['account_name:required']);
    expect(check('AU', { ...noName, first_name: 'Jack', last_name: 'Smith' })).toEqual([]);
  });

  it('maps to wayCode/accountNo/bsb/customerName/mobile/email', () => {
    expect(beneficiaryFields(config('AU'), AU_ROW)).toEqual({
      wayCode: 'BSB',
      accountNo: '123456789',
      bsb: '062000',
      customerName: 'Jack Smith',
      mobile: '0412345678',
      email: 'jack@example.com',
    });
    expect(beneficiaryFields(config('AU'), { ...AU_ROW, method: 'payid', routing_number: '' }).wayCode).toBe('PAYID');
    expect(beneficiaryFields(config('AU'), { ...AU_ROW, method: 'payid', routing_number: '' })).not.toHaveProperty('bsb');
  });
});

describe('India', () => {
  const IN_ROW = {
    amount: '2500.50',
    account_name: 'Priya Sharma',
    mobile: '9876543210',
    email: 'priya@example.com',
    account_number: '50100012345678',
    bank_code: 'HDFC0001234',
    'extra.ipAddress': '203.0.113.7',
  };

  it('decimals are allowed in INR', () => {
    expect(check('IN', IN_ROW)).toEqual([]);
    expect(vexoraRowRules(config('IN')).defaultCurrency).toBe('INR');
  });

  it('the IFSC rule is a column pattern on bank_code (applied by the common rules)', () => {
    const spec = vexoraRowRules(config('IN')).columns.find((c) => c.name === 'bank_code')!;
    expect(spec.required).toBe(true);
    expect(spec.aliases).toEqual(expect.arrayContaining(['bankCode', 'ifsc']));
    for (const good of ['HDFC0001234', 'SBIN0000001', 'ICIC0ABC123']) expect(spec.pattern!.test(good), good).toBe(true);
    for (const bad of ['HDFC1001234', 'hdfc0001234', 'HDFC000123', 'HDFC00012345', 'HD1C0001234', ''])
      expect(spec.pattern!.test(bad), bad).toBe(false);
    // The provider's own check leaves the format to the column rule.
    expect(check('IN', { ...IN_ROW, bank_code: 'not-an-ifsc' })).toEqual([]);
    const { result } = validateRow('IN', { ...IN_ROW, bank_code: 'HDFC1001234' });
    expect(result.issues.map((i) => `${i.column}:${i.rule}`)).toEqual(['bank_code:format']);
  });

  it('the beneficiary IP address is required: extra.ipAddress column or config ipAddress', () => {
    const { 'extra.ipAddress': _ip, ...noIp } = IN_ROW;
    expect(rulesOf(check('IN', noIp))).toEqual(['extra.ipAddress:required']);
    expect(check('IN', noIp, { ipAddress: '198.51.100.1' })).toEqual([]);
  });

  it('maps to name/mobile/email/bankNumber/bankCode/ipAddress, the column winning over the config', () => {
    expect(beneficiaryFields(config('IN', { ipAddress: '198.51.100.1' }), IN_ROW)).toEqual({
      name: 'Priya Sharma',
      mobile: '9876543210',
      email: 'priya@example.com',
      bankNumber: '50100012345678',
      bankCode: 'HDFC0001234',
      ipAddress: '203.0.113.7',
    });
    const { 'extra.ipAddress': _ip, ...noIp } = IN_ROW;
    expect(beneficiaryFields(config('IN', { ipAddress: '198.51.100.1' }), noIp).ipAddress).toBe('198.51.100.1');
  });
});

describe('Philippines', () => {
  const PH_ROW = { amount: '1000.25', account_name: 'Juan dela Cruz', bank_code: 'Maya', account_number: '09171234567' };

  it('needs a name: account_name, or first_name + last_name', () => {
    expect(check('PH', PH_ROW)).toEqual([]);
    const { account_name: _n, ...noName } = PH_ROW;
    const issues = check('PH', noName);
    expect(rulesOf(issues)).toEqual(['account_name:required']);
    expect(check('PH', { ...noName, first_name: 'Juan', last_name: 'dela Cruz' })).toEqual([]);
    expect(check('PH', { ...noName, first_name: 'Juan' })).toEqual([]); // one part of the name is a name
  });

  it('maps accountName/bankName (the bank code)/bankNumber, the name built from first and last', () => {
    expect(beneficiaryFields(config('PH'), PH_ROW)).toEqual({ accountName: 'Juan dela Cruz', bankName: 'Maya', bankNumber: '09171234567' });
    const { account_name: _n, ...noName } = PH_ROW;
    expect(beneficiaryFields(config('PH'), { ...noName, first_name: 'Juan', last_name: 'dela Cruz' }).accountName).toBe('Juan dela Cruz');
  });

  it('has no minimum and accepts decimals', () => {
    expect(check('PH', { ...PH_ROW, amount: '0.01' })).toEqual([]);
  });
});

describe('beneficiaryFields per country', () => {
  const row = {
    account_name: 'A B',
    first_name: 'A',
    last_name: 'B',
    account_number: '0000003100010000000001',
    mobile: '0911234567',
    email: 'a@example.com',
    bank_code: 'KBZPAY',
    routing_number: '062000',
    note: 'not a beneficiary field',
  };

  it('Argentina: accountNo, mobile, email, firstname, lastname, in that order', () => {
    const f = beneficiaryFields(config('AR'), row);
    expect(Object.keys(f)).toEqual(['accountNo', 'mobile', 'email', 'firstname', 'lastname']);
    expect(f).toEqual({ accountNo: row.account_number, mobile: row.mobile, email: row.email, firstname: 'A', lastname: 'B' });
  });

  it('each country sends its own field names', () => {
    const names = (c: VexoraCountry) => Object.keys(beneficiaryFields(config(c), row)).sort();
    expect(names('ID')).toEqual(['bankAccountNo', 'bankCode', 'customerName', 'email', 'mobile']);
    expect(names('NG')).toEqual(['bankAccountNo', 'bankCode', 'customerName', 'email', 'mobile']);
    expect(names('MM')).toEqual(['bankCode', 'bankNumber', 'name']);
    expect(names('PH')).toEqual(['accountName', 'bankName', 'bankNumber']);
    expect(names('AU')).toEqual(['accountNo', 'bsb', 'customerName', 'email', 'mobile', 'wayCode']);
  });

  it('leaves empty values out (never sent as "undefined" or "null")', () => {
    const f = beneficiaryFields(config('AR'), { account_number: '123', mobile: '', email: 'a@example.com' });
    expect(f).toEqual({ accountNo: '123', email: 'a@example.com' });
    expect(Object.values(f)).not.toContain('undefined');
  });

  it('every country profile has a currency, columns and fields', () => {
    for (const c of vexoraCountries) {
      const p = countryProfiles[c];
      expect(p.currency, c).toMatch(/^[A-Z]{3}$/);
      expect(p.fields.length, c).toBeGreaterThan(0);
      expect(p.columns.find((col) => col.name === 'amount')?.required, c).toBe(true);
    }
  });

  it('Myanmar: whole MMK of at least 100, KBZPAY or WAVEPAY', () => {
    const mm = { amount: '100', account_name: 'Aung', bank_code: 'KBZPAY', account_number: '09791234567' };
    expect(check('MM', mm)).toEqual([]);
    expect(rulesOf(check('MM', { ...mm, amount: '99' }))).toEqual(['amount:min-amount']);
    expect(rulesOf(check('MM', { ...mm, amount: '100.5' }))).toEqual(['amount:integer-amount']);
    const spec = countryProfiles.MM.columns.find((c) => c.name === 'bank_code')!;
    expect(spec.pattern!.test('WAVEPAY')).toBe(true);
    expect(spec.pattern!.test('AYAPAY')).toBe(false);
  });

  it('Indonesia: minimum Rp10.000', () => {
    const id = { amount: '10000', account_name: 'Budi', mobile: '081234567890', email: 'b@example.com', account_number: '1234567890', bank_code: '0002' };
    expect(check('ID', id)).toEqual([]);
    expect(rulesOf(check('ID', { ...id, amount: '9999.99' }))).toEqual(['amount:min-amount']);
  });
});

describe('deriveVexoraReference', () => {
  const { referencePattern, deriveReference } = vexoraProvider;

  it('is the provider module’s deriveReference', () => {
    expect(deriveReference).toBe(deriveVexoraReference);
  });

  it('is deterministic', () => {
    expect(deriveVexoraReference('20261121-0a1b2c3d', 7)).toBe(deriveVexoraReference('20261121-0a1b2c3d', 7));
    expect(deriveVexoraReference('20261121-0a1b2c3d', 7)).toBe('PB202611210a1b2c3d0000007');
  });

  it('differs per row and per batch', () => {
    const refs = new Set<string>();
    for (const batch of ['20261121-0a1b2c3d', '20261121-ffffffff', '20261122-0a1b2c3d'])
      for (let row = 2; row < 200; row++) refs.add(deriveVexoraReference(batch, row));
    expect(refs.size).toBe(3 * 198);
  });

  it('matches the provider’s referencePattern', () => {
    for (const [batch, row] of [
      ['20261121-0a1b2c3d', 2],
      ['20261121-0a1b2c3d', 50_001],
      ['20991231-deadbeef', 9_999_999],
      ['validate-00000000', 2],
    ] as const) {
      const ref = deriveVexoraReference(batch, row);
      expect(referencePattern.pattern.test(ref), ref).toBe(true);
      expect(ref.length).toBeLessThanOrEqual(64);
    }
  });

  it('the reference pattern takes sheet references of letters, digits, - and _', () => {
    expect(referencePattern.pattern.test('VX-2026-11-0001')).toBe(true);
    expect(referencePattern.pattern.test('VX 2026')).toBe(false);
    expect(referencePattern.pattern.test('x'.repeat(65))).toBe(false);
  });
});
