// Vexora config block and row rules. The field set depends on the merchant's country (PROVIDERS.md §5
// "Disbursement fields per country"); Argentina is the seed document's.
import { z } from 'zod';
import { providerBlockBase, credential } from '../../config/provider-block.ts';
import type { ColumnSpec, MinorUnits, RowIssue, RowRules } from '../types.ts';

export const vexoraCountries = ['AR', 'PH', 'ID', 'NG', 'IN', 'MM', 'AU'] as const;
export type VexoraCountry = (typeof vexoraCountries)[number];

const vexoraBlock = providerBlockBase.extend({
  merchantNo: credential.optional(),
  secret: credential.optional(),
  country: z.enum(vexoraCountries).default('AR'),
  /** Paths (the base URL is per country and comes from the BD officer). */
  createPath: z.string().default('/v1/vexora/disbursements'),
  queryPath: z.string().default('/v1/vexora/queryPayOutResult'),
  successCodes: z.array(z.string()).default(['0000']),
  pendingCodes: z.array(z.string()).default(['0015']),
  /** data.status codes documented as failures; any other unrecognised status stays pending (Decisions). */
  failedCodes: z.array(z.string()).default(['00029']),
  /** Request-level codes that definitely created nothing (decided: 1001 parameter error). Sign and merchant
   *  errors stop the batch instead; every code in no list is unknown and the row is queried first. */
  rejectCodes: z.array(z.string()).default(['1001']),
  /** Request-level codes that mean "the system failed": the payout may exist, so the outcome is unknown. */
  systemErrorCodes: z.array(z.string()).default(['8000', '00032']),
  duplicateCodes: z.array(z.string()).default(['0100024']),
  notFoundCodes: z.array(z.string()).default(['1004']),
  badSignCodes: z.array(z.string()).default(['1002']),
  /** Unknown or disabled merchant (assumed, as the sandbox answers): stop the batch, nothing was created. */
  merchantCodes: z.array(z.string()).default(['1003']),
  /** India requires the beneficiary's IP address; used when the sheet has no extra.ipAddress column. */
  ipAddress: z.string().optional(),
  /** Webhooks without a `sign` are accepted only as a trigger to query (the engine always queries). */
  requireCallbackSign: z.boolean().default(false),
});

// notifyUrl is mandatory in every disbursement page: a live block without a callback URL is refused when the
// configuration is loaded, not discovered at every row. The embedded sandbox accepts creates without one.
export const vexoraConfigSchema = vexoraBlock.superRefine((block, ctx) => {
  if (block.baseUrl !== 'sandbox' && !block.callbackUrl?.trim())
    ctx.addIssue({
      code: 'custom',
      path: ['callbackUrl'],
      message: 'providers.vexora.callbackUrl is required when baseUrl is not "sandbox": Vexora requires notifyUrl on every disbursement; set the public URL Vexora posts its webhooks to',
    });
});
export type VexoraConfig = z.infer<typeof vexoraConfigSchema>;

/** Where a request field's value comes from: a canonical column, or a function of the row. */
type Source = string | ((row: Readonly<Record<string, string>>) => string | undefined);

export interface FieldMapping {
  wire: string;
  from: Source;
}

export interface CountryProfile {
  currency: string;
  fields: FieldMapping[];
  columns: ColumnSpec[];
  integerOnly: boolean;
  /** Minimum and maximum amount in major units. */
  min?: bigint;
  max?: bigint;
  extraCheck?(row: Readonly<Record<string, string>>): RowIssue[];
}

const fullName = (row: Readonly<Record<string, string>>) =>
  row.account_name || [row.first_name, row.last_name].filter(Boolean).join(' ') || undefined;

const col = (name: string, required: boolean, description: string, example: string, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({
  name,
  required,
  description,
  example,
  ...extra,
});

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const common = {
  reference: col('reference', false, 'Your unique payout reference (tradeNo); derived from the file and row when empty', 'VX20261121000001', { aliases: ['tradeNo'], maxLength: 64 }),
  amount: col('amount', true, 'Amount in major units', '1500'),
  currency: col('currency', false, 'ISO 4217 code; defaults to the country currency', 'ARS'),
  email: col('email', true, 'Beneficiary email', 'ana.perez@example.com', { pattern: EMAIL, patternHint: 'an email address' }),
  note: col('note', false, 'Remark returned as is', 'November payout', { aliases: ['remark'], maxLength: 100 }),
  name: col('account_name', false, 'Beneficiary full name (else first_name + last_name)', 'Ana Perez', { aliases: ['customerName', 'accountName', 'name'] }),
  first: col('first_name', false, 'Beneficiary first name', 'Ana', { aliases: ['firstname'] }),
  last: col('last_name', false, 'Beneficiary last name', 'Perez', { aliases: ['lastname'] }),
};

const needName = (row: Readonly<Record<string, string>>): RowIssue[] =>
  fullName(row) ? [] : [{ column: 'account_name', value: '', rule: 'required', message: 'account_name (or first_name and last_name) is required' }];

export const countryProfiles: Record<VexoraCountry, CountryProfile> = {
  AR: {
    currency: 'ARS',
    integerOnly: true,
    min: 100n,
    fields: [
      { wire: 'accountNo', from: 'account_number' },
      { wire: 'mobile', from: 'mobile' },
      { wire: 'email', from: 'email' },
      { wire: 'firstname', from: 'first_name' },
      { wire: 'lastname', from: 'last_name' },
    ],
    columns: [
      common.reference, common.amount, common.currency,
      col('account_number', true, 'Beneficiary bank account number (CBU/CVU, 22 digits)', '0000003100010000000001', { aliases: ['accountNo'], identifier: true, pattern: /^\d{6,30}$/, patternHint: 'digits only' }),
      col('mobile', true, 'Mobile: 10 digits starting with 0, no country code', '0911234567', { identifier: true, pattern: /^0\d{9}$/, patternHint: '10 digits starting with 0 (e.g. 0911234567)' }),
      common.email,
      col('first_name', true, 'Beneficiary first name (must match the account holder)', 'Ana', { aliases: ['firstname'], maxLength: 64 }),
      col('last_name', true, 'Beneficiary last name (must match the account holder)', 'Perez', { aliases: ['lastname'], maxLength: 64 }),
      common.note,
    ],
  },
  PH: {
    currency: 'PHP',
    integerOnly: false,
    fields: [
      { wire: 'accountName', from: fullName },
      { wire: 'bankName', from: 'bank_code' },
      { wire: 'bankNumber', from: 'account_number' },
    ],
    columns: [
      common.reference, common.amount, common.currency, common.name, common.first, common.last,
      col('bank_code', true, 'Bank code from Vexora\'s "Disbursement Bank Codes" list', 'Maya', { aliases: ['bankName'] }),
      col('account_number', true, 'Account number or mobile number', '09171234567', { aliases: ['bankNumber'], identifier: true }),
      common.note,
    ],
    extraCheck: needName,
  },
  ID: {
    currency: 'IDR',
    integerOnly: false,
    min: 10000n,
    fields: [
      { wire: 'customerName', from: fullName },
      { wire: 'mobile', from: 'mobile' },
      { wire: 'email', from: 'email' },
      { wire: 'bankAccountNo', from: 'account_number' },
      { wire: 'bankCode', from: 'bank_code' },
    ],
    columns: [
      common.reference, common.amount, common.currency, common.name, common.first, common.last,
      col('mobile', true, 'Mobile 08… or 628…, 10–13 digits', '081234567890', { identifier: true, pattern: /^(08|628)\d{8,11}$/, patternHint: '08… or 628…, 10–13 digits' }),
      common.email,
      col('account_number', true, 'Bank account number (digits)', '1234567890', { aliases: ['bankAccountNo'], identifier: true, pattern: /^\d{5,30}$/, patternHint: 'digits only' }),
      col('bank_code', true, 'Bank code from the Disbursement Bank Codes list', '0002', { aliases: ['bankCode'], identifier: true }),
      common.note,
    ],
    extraCheck: needName,
  },
  NG: {
    currency: 'NGN',
    integerOnly: false,
    fields: [
      { wire: 'bankCode', from: 'bank_code' },
      { wire: 'bankAccountNo', from: 'account_number' },
      { wire: 'customerName', from: fullName },
      { wire: 'mobile', from: 'mobile' },
      { wire: 'email', from: 'email' },
    ],
    columns: [
      common.reference, common.amount, common.currency, common.name, common.first, common.last,
      col('bank_code', true, 'Bank code', '0001', { aliases: ['bankCode'], identifier: true }),
      col('account_number', true, 'NUBAN account number (10 digits)', '0123456789', { aliases: ['bankAccountNo'], identifier: true, pattern: /^\d{10}$/, patternHint: '10 digits' }),
      col('mobile', true, 'Mobile number', '08031234567', { identifier: true }),
      common.email, common.note,
    ],
    extraCheck: needName,
  },
  IN: {
    currency: 'INR',
    integerOnly: false,
    fields: [
      { wire: 'name', from: fullName },
      { wire: 'mobile', from: 'mobile' },
      { wire: 'email', from: 'email' },
      { wire: 'bankNumber', from: 'account_number' },
      { wire: 'bankCode', from: 'bank_code' },
      { wire: 'ipAddress', from: (row) => row['extra.ipAddress'] },
    ],
    columns: [
      common.reference, common.amount, common.currency, common.name, common.first, common.last,
      col('mobile', true, 'Mobile number (10 digits)', '9876543210', { identifier: true, pattern: /^\d{10}$/, patternHint: '10 digits' }),
      common.email,
      col('account_number', true, 'Bank account number', '50100012345678', { aliases: ['bankNumber'], identifier: true, pattern: /^\d{6,20}$/, patternHint: 'digits only' }),
      col('bank_code', true, 'IFSC code (11 characters)', 'HDFC0001234', { aliases: ['bankCode', 'ifsc'], pattern: /^[A-Z]{4}0[A-Z0-9]{6}$/, patternHint: 'IFSC: 4 letters, 0, 6 letters/digits' }),
      col('extra.ipAddress', false, 'Beneficiary IP address (else the configured ipAddress)', '203.0.113.7'),
      common.note,
    ],
    extraCheck: needName,
  },
  MM: {
    currency: 'MMK',
    integerOnly: true,
    min: 100n,
    fields: [
      { wire: 'bankCode', from: 'bank_code' },
      { wire: 'bankNumber', from: 'account_number' },
      { wire: 'name', from: fullName },
    ],
    columns: [
      common.reference, common.amount, common.currency, common.name, common.first, common.last,
      col('bank_code', true, 'KBZPAY or WAVEPAY', 'KBZPAY', { aliases: ['bankCode'], pattern: /^(KBZPAY|WAVEPAY)$/, patternHint: 'KBZPAY or WAVEPAY' }),
      col('account_number', true, 'Wallet or account number', '09791234567', { aliases: ['bankNumber'], identifier: true }),
      common.note,
    ],
    extraCheck: needName,
  },
  AU: {
    currency: 'AUD',
    integerOnly: true,
    min: 100n,
    max: 10000n,
    fields: [
      { wire: 'wayCode', from: (row) => (row.method || 'BSB').toUpperCase() },
      { wire: 'accountNo', from: 'account_number' },
      { wire: 'bsb', from: 'routing_number' },
      { wire: 'customerName', from: fullName },
      { wire: 'mobile', from: 'mobile' },
      { wire: 'email', from: 'email' },
    ],
    columns: [
      common.reference, common.amount, common.currency, common.name, common.first, common.last,
      col('method', false, 'PAYID or BSB (default BSB)', 'BSB', { aliases: ['wayCode'], pattern: /^(PAYID|BSB)$/i, patternHint: 'PAYID or BSB' }),
      col('account_number', true, 'Account number, or the PayID', '123456789', { aliases: ['accountNo'], identifier: true }),
      col('routing_number', false, 'BSB (6 digits), required for BSB', '062000', { aliases: ['bsb'], identifier: true, pattern: /^\d{6}$/, patternHint: '6 digits' }),
      col('mobile', true, 'Mobile number', '0412345678', { identifier: true }),
      common.email, common.note,
    ],
    extraCheck: (row) => {
      const issues = needName(row);
      if ((row.method || 'BSB').toUpperCase() === 'BSB' && !row.routing_number)
        issues.push({ column: 'routing_number', value: '', rule: 'required', message: 'routing_number (BSB) is required when method is BSB' });
      return issues;
    },
  },
};

/** Every profile currency has exponent 2. */
const UNIT = 100n;

export function vexoraRowRules(config: VexoraConfig): RowRules {
  const profile = countryProfiles[config.country];
  const minMinor = profile.min === undefined ? undefined : profile.min * UNIT;
  const maxMinor = profile.max === undefined ? undefined : profile.max * UNIT;
  return {
    columns: profile.columns,
    currencies: [profile.currency],
    defaultCurrency: profile.currency,
    check(row, money: { currency: string; amountMinor: MinorUnits }): RowIssue[] {
      const issues: RowIssue[] = profile.extraCheck ? profile.extraCheck(row) : [];
      const value = row.amount ?? '';
      if (profile.integerOnly && money.amountMinor % UNIT !== 0n)
        issues.push({ column: 'amount', value, rule: 'integer-amount', message: `Vexora ${config.country} accepts whole amounts only` });
      if (minMinor !== undefined && money.amountMinor < minMinor)
        issues.push({ column: 'amount', value, rule: 'min-amount', message: `Vexora ${config.country} minimum is ${profile.min}` });
      if (maxMinor !== undefined && money.amountMinor > maxMinor)
        issues.push({ column: 'amount', value, rule: 'max-amount', message: `Vexora ${config.country} maximum is ${profile.max}` });
      if (config.country === 'IN' && !row['extra.ipAddress'] && !config.ipAddress)
        issues.push({ column: 'extra.ipAddress', value: '', rule: 'required', message: 'India needs the beneficiary IP address (extra.ipAddress column or config ipAddress)' });
      return issues;
    },
  };
}

/** Request fields for a row, in the profile's order; empty values are left out (never sent as "null"). */
export function beneficiaryFields(config: VexoraConfig, row: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of countryProfiles[config.country].fields) {
    const v = typeof f.from === 'string' ? row[f.from] : f.from(row);
    const value = v ?? (f.wire === 'ipAddress' ? config.ipAddress : undefined);
    if (value) out[f.wire] = value;
  }
  return out;
}

/** tradeNo: "PB" + date + file hash + row, deterministic and unique per file row. */
export function deriveVexoraReference(batchKey: string, rowNumber: number): string {
  if (batchKey !== lastKey) {
    lastKey = batchKey;
    lastPrefix = `PB${batchKey.replace(/[^0-9A-Za-z]/g, '')}`;
  }
  return `${lastPrefix}${String(rowNumber).padStart(7, '0')}`;
}
// Every row of a sheet shares the prefix: computed once per batch, not per row.
let lastKey = '';
let lastPrefix = '';
