import { describe, it, expect } from 'vitest';
import { CANONICAL_ALIASES, CANONICAL_COLUMNS, matchHeaders, normalizeHeader } from '../../src/sheet/headers.ts';

describe('normalizeHeader', () => {
  it('treats case, spaces, dashes and underscores as the same header', () => {
    const forms = ['Account Number', 'account_number', 'account-number', 'ACCOUNTNUMBER', 'accountNumber', ' Account  Number ', '\uFEFFaccount number', 'Account\u00A0Number'];
    const normalized = new Set(forms.map(normalizeHeader));
    expect([...normalized]).toEqual(['accountnumber']);
  });

  it('keeps the dot of pass-through prefixes', () => {
    expect(normalizeHeader('Extra.CLABE')).toBe('extra.clabe');
    expect(normalizeHeader('extra clabe')).not.toBe(normalizeHeader('extra.clabe'));
  });
});

describe('canonical columns and aliases', () => {
  it('lists every column of DESIGN §5 plus profile_type', () => {
    for (const c of ['reference', 'amount', 'currency', 'first_name', 'middle_name', 'last_name', 'account_name', 'account_number', 'bank_code', 'bank_name', 'routing_number', 'account_type', 'email', 'mobile', 'date_of_birth', 'street', 'city', 'state', 'zip', 'country', 'payee_id', 'customer_no', 'account_token', 'method', 'note', 'profile_type']) {
      expect(CANONICAL_COLUMNS).toContain(c);
    }
  });

  it('never gives one alias to two columns', () => {
    const owner = new Map<string, string>();
    for (const column of CANONICAL_COLUMNS) {
      for (const alias of [column, ...(CANONICAL_ALIASES[column] ?? [])]) {
        const key = normalizeHeader(alias);
        const previous = owner.get(key);
        if (previous !== undefined) expect(`${alias} → ${previous}`).toBe(`${alias} → ${column}`);
        owner.set(key, column);
      }
    }
  });
});

describe('matchHeaders', () => {
  it('matches a finance team header, a developer header and a provider header to the same columns', () => {
    const a = matchHeaders(['Reference', 'Amount', 'Account Number', 'Phone Number', 'DOB', 'Zip Code', 'Remark']);
    const b = matchHeaders(['reference', 'amount', 'account_number', 'mobile', 'date_of_birth', 'zip', 'note']);
    const c = matchHeaders(['tradeNo', 'amount', 'accountNo', 'mobile', 'date-of-birth', 'postal code', 'memo'], {
      account_number: ['accountNo'],
      reference: ['tradeNo'],
    });
    for (const m of [a, b, c]) {
      expect(Object.fromEntries(m.columns)).toEqual({
        reference: 0,
        amount: 1,
        account_number: 2,
        mobile: 3,
        date_of_birth: 4,
        zip: 5,
        note: 6,
      });
      expect(m.unknown).toEqual([]);
      expect(m.problems).toEqual([]);
    }
  });

  it('needs the provider alias for a provider-only name', () => {
    // (accountNo is also the generic "account no"; Yuansfer's bankAccountId is not)
    expect(matchHeaders(['bankAccountId']).unknown).toEqual([0]);
    expect(matchHeaders(['bankAccountId'], { account_number: ['bankAccountId'] }).columns.get('account_number')).toBe(0);
  });

  it('lets a provider alias win over a generic one', () => {
    // Generic: "bank" is the bank's name. A provider whose "bank" column holds a code says so.
    expect(matchHeaders(['Bank']).columns.get('bank_name')).toBe(0);
    const m = matchHeaders(['Bank'], { bank_code: ['bank'] });
    expect(m.columns.get('bank_code')).toBe(0);
    expect(m.columns.has('bank_name')).toBe(false);
  });

  it('maps extra.<key> and field.<key> with the key as written, prefix in any case', () => {
    const m = matchHeaders(['reference', 'extra.clabe', 'FIELD.cardNumber', 'Extra.pixKey ', 'field. holder Name']);
    expect(Object.fromEntries(m.columns)).toEqual({
      reference: 0,
      'extra.clabe': 1,
      'field.cardNumber': 2,
      'extra.pixKey': 3,
      'field.holder Name': 4,
    });
    expect(m.problems).toEqual([]);
  });

  it('lets a provider alias point at a pass-through key', () => {
    const m = matchHeaders(['CLABE'], { 'extra.clabe': ['clabe'] });
    expect(m.columns.get('extra.clabe')).toBe(0);
  });

  it('reports a column given twice by equally good headers and keeps the first', () => {
    const m = matchHeaders(['Account Number', 'amount', 'acct no', 'extra.clabe', 'extra.clabe', 'Bank Account', 'acct #']);
    // "Account Number" names the column; the aliases after it lose and are kept as extra columns.
    expect(m.columns.get('account_number')).toBe(0);
    expect(m.unknown).toEqual([2, 5, 6]);
    expect(m.columns.get('extra.clabe')).toBe(3);
    expect(m.problems).toHaveLength(1);
    expect(m.problems[0]!.column).toBe('extra.clabe');
    expect(m.problems[0]!.message).toContain('"extra.clabe" (column D) and "extra.clabe" (column E)');
  });

  it('keeps unknown and unnamed columns as unknown', () => {
    const m = matchHeaders(['reference', 'Internal cost centre', '', 'amount', 'Approved by']);
    expect(m.unknown).toEqual([1, 2, 4]);
    expect(m.columns.get('amount')).toBe(3);
    expect(m.problems).toEqual([]);
  });

  it('reports a pass-through prefix without a key', () => {
    const m = matchHeaders(['extra.', 'field.  ']);
    expect(m.columns.size).toBe(0);
    expect(m.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('no key after "extra."'),
      expect.stringContaining('no key after "field."'),
    ]);
  });
});
