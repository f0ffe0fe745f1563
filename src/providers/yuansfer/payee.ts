// A row's payee as Pockyt needs it: register-payee and add-bank-account parameters, and the stable
// identities (customerCode, accountTag, payeeKey) that make setting a payee up idempotent.
import crypto from 'node:crypto';
import { namesRegisteredPayee, normaliseCountry, normalisePhone } from './schema.ts';

type Fields = Readonly<Record<string, string>>;

const field = (fields: Fields, key: string): string => (fields[key] ?? '').trim();

/** Case, spacing and Unicode form do not make two payees different. */
const canon = (s: string): string => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

const digest = (domain: string, parts: string[]): string =>
  crypto.createHash('sha256').update([domain, ...parts].join('\n'), 'utf8').digest('hex');

/** The payee named by customer_no + account_token, when the row names one. */
export function registeredPayee(fields: Fields): { customerNo: string; accountToken: string } | undefined {
  if (!namesRegisteredPayee(fields)) return undefined;
  return { customerNo: field(fields, 'customer_no'), accountToken: field(fields, 'account_token') };
}

/**
 * customerCode: the sheet's payee_id, else a stable hash of who the payee is (name, date of birth, email),
 * so the same person in many rows and batches is one Pockyt customer. Length limits are unknown [U]; the
 * hash form is 20 characters.
 */
export function customerCode(fields: Fields): string {
  const payeeId = field(fields, 'payee_id');
  if (payeeId) return payeeId;
  const parts = ['first_name', 'last_name', 'date_of_birth', 'email'].map((k) => canon(field(fields, k)));
  return 'pb' + digest('paybatch/yuansfer/payee/v1', parts).slice(0, 18);
}

/** accountTag: a stable hash of the bank account (per customer), 10 hex characters like the docs' example. */
export function accountTag(fields: Fields, code = customerCode(fields)): string {
  return digest('paybatch/yuansfer/account/v1', [code, field(fields, 'routing_number'), field(fields, 'account_number')]).slice(0, 10);
}

/** Cache key of a prepared payee (engine journal): one per customer and bank account. */
export function payeeKey(fields: Fields): string | undefined {
  if (registeredPayee(fields)) return undefined;
  const code = customerCode(fields);
  return `yuansfer:${code}:${accountTag(fields, code)}`;
}

export function lastFour(accountNumber: string): string {
  return accountNumber.slice(-4);
}

/** Register-payee business parameters (merchantNo/storeNo/timestamp/verifySign are added by the client). */
export function registerParams(fields: Fields): Record<string, string | undefined> {
  const countryCode = normaliseCountry(field(fields, 'country')) ?? field(fields, 'country').toUpperCase();
  const phone = field(fields, 'mobile') ? normalisePhone(field(fields, 'mobile'), countryCode) : undefined;
  const zip = field(fields, 'zip');
  const state = field(fields, 'state');
  return {
    customerCode: customerCode(fields),
    firstName: field(fields, 'first_name'),
    lastName: field(fields, 'last_name'),
    email: field(fields, 'email'),
    dateOfBirth: field(fields, 'date_of_birth'),
    phone,
    street: field(fields, 'street'),
    city: field(fields, 'city'),
    state: countryCode === 'US' ? state.toUpperCase() : state,
    zip,
    countryCode,
    profileType: (field(fields, 'profile_type') || 'INDIVIDUAL').toUpperCase(),
  };
}

/** Add-bank-account business parameters for a US ACH account. */
export function bankAccountParams(fields: Fields, customerNo: string, clientIp: string | null): Record<string, string | undefined> {
  return {
    customerNo,
    accountType: 'BANK_ACCOUNT',
    accountCountry: 'US',
    accountCurrency: 'USD',
    accountTag: accountTag(fields),
    branchId: field(fields, 'routing_number'),
    bankAccountId: field(fields, 'account_number'),
    bankAccountPurpose: field(fields, 'account_type').toUpperCase(),
    clientIp: clientIp ?? undefined,
  };
}
