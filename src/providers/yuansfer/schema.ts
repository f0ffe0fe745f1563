// Yuansfer / Pockyt Payouts v3: configuration block, sheet columns and row rules, merchant references.
import crypto from 'node:crypto';
import { z } from 'zod';
import { credential, providerBlockBase } from '../../config/provider-block.ts';
import type { ColumnSpec, RowIssue, RowRules } from '../types.ts';

/** `ret_code` values. [C] docs.pockyt.io/reference/response-codes. */
export const RET = {
  success: '000100',
  systemError: '000000',
  parameterNull: '000020',
  noRelatedInformation: '000021',
  parametersDoNotMatch: '000022',
  parameterValueError: '000023',
  accessDenied: '000030',
  balanceNotSufficient: '000040',
  supplierError: '000080',
} as const;

export const processingChannels = ['STANDARD_ACH', 'SAME_DAY_ACH', 'REAL_TIME_PAY'] as const;

const retCode = z.string().regex(/^\d{6}$/, 'a six-digit ret_code');

export const yuansferConfigSchema = providerBlockBase.extend({
  // Credentials (DESIGN §9). The loader resolves env:/file: before this schema sees them.
  merchantNo: credential,
  storeNo: credential,
  token: credential,
  /** The two Pockyt pages disagree: /v3/payee/payout-accounts (payouts page) vs /v3/payout-accounts. */
  payoutAccountsPath: z.string().startsWith('/').default('/v3/payee/payout-accounts'),
  /** ret_codes meaning "not created": the row is rejected (PROVIDERS.md Decisions). */
  rejectCodes: z.array(retCode).default(['000020', '000021', '000022', '000023', '000030']),
  /** ret_codes meaning "not created, and the account cannot pay now" (000040 Account balance is not
   *  sufficient): the row goes back to the queue and the batch is held until `paybatch approve`, as the
   *  balance pre-check holds it, rather than failing every row left. Win over rejectCodes. */
  holdCodes: z.array(retCode).default(['000040']),
  /** ret_codes after which the outcome is unknown (the provider may have acted): query, never resend. */
  unknownCodes: z.array(retCode).default(['000000', '000080']),
  /** ret_code an inquiry answers for an invoiceId Pockyt does not know. */
  notFoundCode: retCode.default('000021'),
  /** ret_codes that mean the credentials or the account's rights are wrong: stop the batch. Win over rejectCodes. */
  stopCodes: z.array(retCode).default(['000030']),
  /** ret_code a wrong verifySign answers (assumed). On a create it is ambiguous with a row-data mismatch,
   *  so the adapter asks the balance endpoint: the same code there proves the credentials are wrong. */
  signErrorCode: retCode.default('000022'),
  /** ret_code a pay with an already used invoiceId answers (assumed). Also "parameter value error", so the
   *  adapter asks the inquiry endpoint: a payout found there means "already created", else rejected. */
  duplicateCode: retCode.default('000023'),
  /** [3P] STANDARD_ACH | SAME_DAY_ACH | REAL_TIME_PAY; null = not sent (Pockyt's default applies). */
  processingChannel: z.enum(processingChannels).nullable().default(null),
  /** Transfer `description` when the row has no note (≤ 100 characters, SDK validation). */
  description: z.string().max(100).default('Payout'),
  /** Transfer `subject`: the subject of the email Pockyt sends the payee. */
  subject: z.string().max(100).default('Payout'),
  /** Add-bank-account `clientIp` ("the creator's IP address"); null = not sent. */
  clientIp: z.string().nullable().default(null),
  /** Minimum age of a payee on the day the sheet is validated; 0 disables the check. */
  minimumAge: z.number().int().min(0).max(120).default(18),
});

export type YuansferConfig = z.infer<typeof yuansferConfigSchema>;

export const CURRENCY = 'USD';

// ---------------------------------------------------------------------------------------------------
// Merchant references (invoiceId)

/** invoiceId as the sheet may give it. Length limit unknown [U]: the docs' example is 32 characters. */
export const referencePattern = {
  pattern: /^[A-Za-z0-9_-]{1,32}$/,
  hint: '1 to 32 letters, digits, "-" or "_"',
};

/** `PB-20261121-3fa2b1c9-42`: readable, deterministic, unique per batch and row. */
export function deriveReference(batchKey: string, rowNumber: number): string {
  const readable = `PB-${batchKey}-${rowNumber}`;
  if (referencePattern.pattern.test(readable)) return readable;
  const digest = crypto.createHash('sha256').update(`${batchKey}\n${rowNumber}`).digest('hex');
  return `PB${digest.slice(0, 30)}`;
}

// ---------------------------------------------------------------------------------------------------
// Sheet columns

export const columns: ColumnSpec[] = [
  { name: 'reference', required: false, description: 'Sent as invoiceId and Pockyt-Request-ID; derived from the batch and row when empty', example: 'INV-2026-0001', aliases: ['invoiceId', 'invoice id'], maxLength: 32, pattern: referencePattern.pattern, patternHint: referencePattern.hint },
  { name: 'amount', required: true, description: 'Amount in US dollars, at most 2 decimals', example: '500.00' },
  { name: 'currency', required: false, description: 'USD (the default when left out)', example: 'USD' },
  { name: 'customer_no', required: false, description: 'Pockyt customerNo of a payee registered before; give account_token with it and leave the payee and bank columns empty', example: '2000305228292319592008', aliases: ['customerNo'], identifier: true },
  { name: 'account_token', required: false, description: 'Pockyt accountToken of that payee\'s bank account', example: '2010305228303182765718', aliases: ['accountToken'], identifier: true },
  { name: 'payee_id', required: false, description: 'Your own id for the payee, sent as customerCode; a stable hash of name, date of birth and email when empty', example: 'EMP-1042', aliases: ['customerCode', 'customer code'], maxLength: 32, pattern: /^[A-Za-z0-9._-]{1,32}$/, patternHint: '1 to 32 letters, digits, ".", "-" or "_"' },
  { name: 'first_name', required: false, description: 'Payee first name (required unless customer_no is given)', example: 'John', aliases: ['firstName'], maxLength: 50 },
  { name: 'last_name', required: false, description: 'Payee last name (required unless customer_no is given)', example: 'Doe', aliases: ['lastName'], maxLength: 50 },
  { name: 'email', required: false, description: 'Payee email (required unless customer_no is given)', example: 'john.doe@example.com', maxLength: 254 },
  { name: 'date_of_birth', required: false, description: 'YYYY-MM-DD; the payee must be at least 18 (required unless customer_no is given)', example: '1990-04-17', aliases: ['dateOfBirth'] },
  { name: 'mobile', required: false, description: 'Payee phone, 10 digits for US numbers (optional)', example: '2125550142', identifier: true },
  { name: 'street', required: false, description: 'Street address (required unless customer_no is given)', example: '123 Main St', maxLength: 100 },
  { name: 'city', required: false, description: 'City (required unless customer_no is given)', example: 'New York', maxLength: 50 },
  { name: 'state', required: false, description: 'State; the 2-letter USPS code for US payees (required unless customer_no is given)', example: 'NY', maxLength: 50 },
  { name: 'zip', required: false, description: 'ZIP code; 12345 or 12345-6789 for US payees (required unless customer_no is given)', example: '10005', identifier: true },
  { name: 'country', required: false, description: 'Payee country, ISO 3166 alpha-2 (US; USA is accepted) (required unless customer_no is given)', example: 'US', aliases: ['countryCode'] },
  { name: 'profile_type', required: false, description: 'INDIVIDUAL (default) or BUSINESS', example: 'INDIVIDUAL', aliases: ['profileType'] },
  { name: 'routing_number', required: false, description: '9-digit ABA routing number (required unless customer_no is given)', example: '011000015', aliases: ['branchId'], identifier: true },
  { name: 'account_number', required: false, description: 'US bank account number, 4 to 17 digits (required unless customer_no is given)', example: '7861053298', aliases: ['bankAccountId'], identifier: true },
  { name: 'account_type', required: false, description: 'CHECKING or SAVINGS (required unless customer_no is given)', example: 'CHECKING', aliases: ['bankAccountPurpose', 'account purpose'] },
  { name: 'note', required: false, description: 'Sent as the transfer description and note (at most 100 characters)', example: 'March commissions', maxLength: 100 },
];

/** Columns a row needs when it carries the payee's details instead of customer_no + account_token. */
export const PAYEE_DETAIL_COLUMNS = [
  'first_name', 'last_name', 'email', 'date_of_birth', 'street', 'city', 'state', 'zip', 'country',
  'routing_number', 'account_number', 'account_type',
] as const;

const US_STATES = new Set(
  ('AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND ' +
    'OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP').split(' '),
);

// Pragmatic email check: one @, no spaces, a dotted domain of letters/digits/hyphens, a 2+ letter TLD.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/;

/** ABA routing number: 9 digits, 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10), not all zeros. */
export function isValidRoutingNumber(value: string): boolean {
  if (!/^\d{9}$/.test(value) || value === '000000000') return false;
  const d = [...value].map(Number);
  const sum = 3 * (d[0]! + d[3]! + d[6]!) + 7 * (d[1]! + d[4]! + d[7]!) + (d[2]! + d[5]! + d[8]!);
  return sum % 10 === 0;
}

export function isValidEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value) && !value.includes('..');
}

/** YYYY-MM-DD that is a real calendar date; undefined otherwise. */
export function parseIsoDate(value: string): { y: number; m: number; d: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return { y, m: mo, d };
}

/** Whole years between a date of birth and `today` (UTC calendar dates). */
export function ageOn(dob: { y: number; m: number; d: number }, today: Date): number {
  const ty = today.getUTCFullYear();
  const tm = today.getUTCMonth() + 1;
  const td = today.getUTCDate();
  let age = ty - dob.y;
  if (tm < dob.m || (tm === dob.m && td < dob.d)) age--;
  return age;
}

/** Digits of a phone number as sent (`phone`): separators dropped, a US leading 1 removed. */
export function normalisePhone(value: string, countryCode: string): string | undefined {
  if (!/^\+?[\d\s().-]+$/.test(value)) return undefined;
  let digits = value.replace(/\D/g, '');
  if (countryCode === 'US') {
    if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
    return /^[2-9]\d{2}[2-9]\d{6}$/.test(digits) ? digits : undefined;
  }
  return digits.length >= 7 && digits.length <= 15 ? digits : undefined;
}

/** ISO alpha-2 country of a sheet value ("us", "USA" → "US"); undefined when not recognisable. */
export function normaliseCountry(value: string): string | undefined {
  const v = value.trim().toUpperCase();
  if (v === 'USA' || v === 'UNITED STATES') return 'US';
  return /^[A-Z]{2}$/.test(v) ? v : undefined;
}

const present = (row: Readonly<Record<string, string>>, key: string): boolean => (row[key] ?? '').trim() !== '';

/** A row pays a registered payee when it names customer_no (account_token must come with it). */
export function namesRegisteredPayee(row: Readonly<Record<string, string>>): boolean {
  return present(row, 'customer_no') || present(row, 'account_token');
}

export function checkRow(
  row: Readonly<Record<string, string>>,
  money: { currency: string; amountMinor: bigint },
  options: { minimumAge: number; today?: Date },
): RowIssue[] {
  const issues: RowIssue[] = [];
  const v = (key: string) => (row[key] ?? '').trim();
  const issue = (column: string, rule: string, message: string) => issues.push({ column, value: v(column), rule, message });

  if (money.currency !== CURRENCY) issue('currency', 'currency', `Yuansfer payouts are paid in USD only, not ${money.currency}`);
  if (money.amountMinor <= 0n) issue('amount', 'positive', 'the amount must be greater than zero');

  if (namesRegisteredPayee(row)) {
    if (!present(row, 'customer_no')) issue('customer_no', 'required-with', 'account_token is given, so customer_no is required too');
    if (!present(row, 'account_token')) issue('account_token', 'required-with', 'customer_no is given, so account_token is required too');
    for (const key of ['customer_no', 'account_token']) {
      if (present(row, key) && !/^[A-Za-z0-9]{4,64}$/.test(v(key))) issue(key, 'format', `${key} must be 4 to 64 letters or digits as Pockyt issued it`);
    }
    // A registered payee is paid to its registered account: bank details beside it would be ignored, and a
    // finance team reading the sheet could believe otherwise.
    for (const key of ['routing_number', 'account_number', 'account_type']) {
      if (present(row, key)) issue(key, 'exclusive', `leave ${key} empty when the row names customer_no and account_token (the registered account is paid)`);
    }
    return issues;
  }

  for (const key of PAYEE_DETAIL_COLUMNS) {
    if (!present(row, key)) issue(key, 'required', `${key} is required when the row does not name customer_no and account_token`);
  }

  if (present(row, 'email') && !isValidEmail(v('email'))) issue('email', 'email', 'not a valid email address');

  if (present(row, 'date_of_birth')) {
    const dob = parseIsoDate(v('date_of_birth'));
    const today = options.today ?? new Date();
    if (!dob) issue('date_of_birth', 'date', 'date of birth must be a real date written YYYY-MM-DD');
    else {
      const age = ageOn(dob, today);
      const dobTime = Date.UTC(dob.y, dob.m - 1, dob.d);
      if (dobTime >= Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())) issue('date_of_birth', 'past', 'date of birth must be in the past');
      else if (age > 120) issue('date_of_birth', 'plausible', 'date of birth is more than 120 years ago');
      else if (options.minimumAge > 0 && age < options.minimumAge) issue('date_of_birth', 'minimum-age', `the payee must be at least ${options.minimumAge} years old`);
    }
  }

  const country = present(row, 'country') ? normaliseCountry(v('country')) : undefined;
  if (present(row, 'country') && !country) issue('country', 'country', 'country must be an ISO 3166 alpha-2 code such as US');

  if (present(row, 'state') && country === 'US' && !US_STATES.has(v('state').toUpperCase())) issue('state', 'us-state', 'state must be a 2-letter USPS code for a US payee');
  if (present(row, 'zip') && country === 'US' && !/^\d{5}(-\d{4})?$/.test(v('zip'))) issue('zip', 'us-zip', 'ZIP code must be 12345 or 12345-6789 for a US payee');

  if (present(row, 'mobile') && !normalisePhone(v('mobile'), country ?? '')) {
    issue('mobile', 'phone', country === 'US' ? 'a US phone number has 10 digits (area code first)' : 'a phone number has 7 to 15 digits');
  }

  if (present(row, 'routing_number') && !isValidRoutingNumber(v('routing_number'))) {
    issue('routing_number', 'aba-routing', /^\d{9}$/.test(v('routing_number')) ? 'routing number fails the ABA checksum' : 'routing number must be exactly 9 digits');
  }
  if (present(row, 'account_number') && !/^\d{4,17}$/.test(v('account_number'))) issue('account_number', 'format', 'bank account number must be 4 to 17 digits');
  if (present(row, 'account_type') && !/^(CHECKING|SAVINGS)$/i.test(v('account_type'))) issue('account_type', 'enum', 'account_type must be CHECKING or SAVINGS');
  if (present(row, 'profile_type') && !/^(INDIVIDUAL|BUSINESS)$/i.test(v('profile_type'))) issue('profile_type', 'enum', 'profile_type must be INDIVIDUAL or BUSINESS');
  return issues;
}

export function rowRules(config: YuansferConfig): RowRules {
  return {
    columns,
    currencies: [CURRENCY],
    defaultCurrency: CURRENCY,
    check: (row, money) => checkRow(row, money, { minimumAge: config.minimumAge }),
  };
}
