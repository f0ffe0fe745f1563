// StarPago v3: config block, merchant reference format, sheet columns and the per-currency `extra` rules.
import { z } from 'zod';
import { credential, providerBlockBase } from '../../config/provider-block.ts';
import { currencyExponent } from '../../validate/currencies.ts';
import type { ColumnSpec, MinorUnits, RowIssue, RowRules } from '../types.ts';
import { isValidCbu, isValidClabe, isValidCnpj, isValidCpf, isValidCuit, isValidIban, isValidLuhn, isValidRut } from './identifiers.ts';

const DECIMAL_TEXT = /^\d+(\.\d+)?$/;
const codeList = z.array(z.union([z.string(), z.number()]).transform(String));

/**
 * The `providers.starpago` block (DESIGN §9). Credentials: `appId`, `appSecret` (inline, env: or file:).
 * Every detail PROVIDERS.md marks as assumed is a key here with the decided default.
 */
export const starpagoConfigSchema = providerBlockBase.extend({
  appId: credential.optional(),
  appSecret: credential.optional(),
  /** Payout query path [U], GET with `?merOrderNo=` (mirrors the pay-in query). */
  queryPath: z.string().startsWith('/').default('/api/v3/payout/query'),
  /** Balance path (GET, Bearer) [C]. */
  balancePath: z.string().startsWith('/').default('/api/v3/merchant/balance'),
  /** Refresh the cached token this many seconds before it expires (at most half its lifetime). */
  tokenRefreshBeforeSeconds: z.number().min(0).default(60),
  /**
   * USD value of one unit of a currency, as decimal text ({"MXN": "0.055"}): the reconciliation adds a
   * USD equivalent per currency. Optional; declared as the module's usdRates (index.ts).
   */
  usdRate: z.record(z.string().regex(/^[A-Z]{3,5}$/), z.string().regex(DECIMAL_TEXT, 'decimal text, e.g. "0.055"')).optional(),
  /** The docs' examples send `User-Agent: apiHttp` on every call [C]. */
  userAgent: z.string().min(1).default('apiHttp'),
  /** Body of the reply to a StarPago callback [U]: plain text, HTTP 200. */
  callbackAckBody: z.string().default('success'),
  /** Business codes (HTTP 200) meaning "parameter validation failed, not created" [C: 400]. */
  rejectCodes: codeList.default(['400']),
  /** Business codes meaning "this merOrderNo already exists": already created, query it [assumed 409]. */
  duplicateCodes: codeList.default(['409']),
  /** Business codes a query answers for an unknown merOrderNo [assumed 404]. */
  notFoundCodes: codeList.default(['404']),
  /** Apply the per-currency `extra` checks below before sending (false: send the sheet's extra as is). */
  extraChecks: z.boolean().default(true),
  /**
   * The `extra` key the sheet's `account_number` column is sent as when no `extra.<key>` column already
   * gives that key; null = the column is not sent. [assumed]
   */
  accountNumberExtraKey: z.string().min(1).nullable().default('accountNumber'),
});

export type StarPagoConfig = z.infer<typeof starpagoConfigSchema>;

/** merOrderNo: the docs' examples are 17-digit and short alphanumerics; length limit unknown (32 assumed). */
export const referencePattern = {
  pattern: /^[A-Za-z0-9_-]{1,32}$/,
  hint: '1–32 characters: letters, digits, "-" or "_"',
};

/** `PB` + batch date + the file hash's 8 hex + the row number: `PB202611213fa2b1c9000012`. */
export function deriveReference(batchKey: string, rowNumber: number): string {
  const compact = batchKey.replace(/[^A-Za-z0-9]/g, '');
  if (!Number.isSafeInteger(rowNumber) || rowNumber < 0) throw new RangeError(`bad row number ${rowNumber}`);
  return `PB${compact}${String(rowNumber).padStart(6, '0')}`.slice(0, 32);
}

// ---------------------------------------------------------------------------------------------------------
// Per-currency rules for the `extra` object. StarPago publishes its pay-in `extra` table (seed document);
// the payout table exists but was not retrievable ([U]). Each rule says what it rests on:
//  - derived: the pay-in table's field names and allowed values, or the identifier's public standard;
//  - assumed: our choice where nothing is published (the README lists each one).
// A currency not in this table passes through with the sheet's `extra` as it is.
// ---------------------------------------------------------------------------------------------------------

export type Basis = 'derived' | 'assumed';

export interface ExtraFieldRule {
  /** The `extra` key, verbatim as sent (the sheet column is `extra.<key>`). */
  key: string;
  required: boolean;
  /** Allowed values (compared exactly; the pay-in table gives upper-case codes). */
  oneOf?: readonly string[];
  /** A check on the value; `row` gives access to sibling keys (document type decides the number format). */
  valid?: (value: string, row: Readonly<Record<string, string>>) => boolean;
  hint: string;
  basis: Basis;
}

export interface CurrencyRule {
  currency: string;
  /** Pay methods the rule applies to (case-insensitive); undefined = every method. */
  methods?: readonly string[];
  /** Decimals StarPago accepts for the currency when fewer than ISO 4217's. */
  maxDecimals?: number;
  fields: readonly ExtraFieldRule[];
  basis: Basis;
  note: string;
}

const extra = (row: Readonly<Record<string, string>>, key: string) => row[`extra.${key}`] ?? '';

const PIX_KEY_CHECKS: Record<string, (v: string) => boolean> = {
  CPF: isValidCpf,
  CNPJ: isValidCnpj,
  EMAIL: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) && v.length <= 77,
  PHONE: (v) => /^\+55\d{10,11}$/.test(v),
  EVP: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
};

/** Document number format per document type (COP, CLP, PEN, ARS). */
const DOCUMENT_CHECKS: Record<string, (v: string) => boolean> = {
  // Colombia
  CC: (v) => /^\d{5,10}$/.test(v),
  TI: (v) => /^\d{6,11}$/.test(v),
  NIT: (v) => /^\d{8,10}(-?\d)?$/.test(v),
  PA: (v) => /^[A-Za-z0-9]{5,20}$/.test(v),
  // Chile
  RUT: isValidRut,
  PAS: (v) => /^[A-Za-z0-9]{5,20}$/.test(v),
  // Peru
  DNI: (v) => /^\d{7,8}$/.test(v), // Peru DNI 8 digits; Argentina DNI 7–8
  RUC: (v) => /^(10|15|17|20)\d{9}$/.test(v),
  // Colombia and Peru foreigner ID
  CE: (v) => /^[A-Za-z0-9]{5,12}$/.test(v),
  // Argentina
  CUIT: isValidCuit,
};

/** The number is checked against its type only when the type is one of this currency's (else the type is reported). */
const documentNumberValid = (types: readonly string[]) => (value: string, row: Readonly<Record<string, string>>) => {
  const type = extra(row, 'documentType');
  const check = types.includes(type) ? DOCUMENT_CHECKS[type] : undefined;
  return check ? check(value) : true;
};

const documentRules = (types: readonly string[]): ExtraFieldRule[] => [
  { key: 'documentType', required: true, oneOf: types, hint: `one of ${types.join(', ')}`, basis: 'derived' },
  {
    key: 'documentNumber',
    required: true,
    valid: documentNumberValid(types),
    hint: 'the beneficiary document number in the format of its documentType (RUT/CUIT with a valid check digit)',
    basis: 'derived',
  },
];

export const CURRENCY_RULES: readonly CurrencyRule[] = [
  {
    currency: 'MXN',
    basis: 'derived',
    note: 'SPEI payouts go to an 18-digit CLABE (Banxico check digit); the key name `clabe` is the pay-in answer\'s',
    fields: [{ key: 'clabe', required: true, valid: isValidClabe, hint: '18 digits with a valid CLABE check digit', basis: 'derived' }],
  },
  {
    currency: 'BRL',
    methods: ['PIX'],
    basis: 'assumed',
    note: 'PIX key + key type (types CPF, CNPJ, EMAIL, PHONE, EVP as in a public StarPago PIX integration [3P])',
    fields: [
      { key: 'pixKeyType', required: true, oneOf: Object.keys(PIX_KEY_CHECKS), hint: 'CPF, CNPJ, EMAIL, PHONE or EVP', basis: 'assumed' },
      {
        key: 'pixKey',
        required: true,
        valid: (v, row) => PIX_KEY_CHECKS[extra(row, 'pixKeyType')]?.(v) ?? true,
        hint: 'CPF 11 digits / CNPJ 14 digits (valid check digits), e-mail, +55 phone, or EVP UUID, per pixKeyType',
        basis: 'derived',
      },
    ],
  },
  {
    currency: 'COP',
    basis: 'derived',
    note: 'document types from the pay-in table (CC, TI, CE, PA, NIT); phone 10 digits',
    fields: [
      ...documentRules(['CC', 'TI', 'CE', 'PA', 'NIT']),
      { key: 'customerPhone', required: false, valid: (v) => /^\d{10}$/.test(v), hint: '10 digits', basis: 'derived' },
    ],
  },
  {
    currency: 'CLP',
    maxDecimals: 0,
    basis: 'derived',
    note: 'no decimals; document types from the pay-in table (RUT, PAS), RUT with its check digit',
    fields: documentRules(['RUT', 'PAS']),
  },
  {
    currency: 'PEN',
    basis: 'derived',
    note: 'document types from the pay-in table (DNI, CE, RUC, PAS); phone 9 digits',
    fields: [
      ...documentRules(['DNI', 'CE', 'RUC', 'PAS']),
      { key: 'customerPhone', required: false, valid: (v) => /^\d{9}$/.test(v), hint: '9 digits', basis: 'derived' },
    ],
  },
  {
    currency: 'ARS',
    basis: 'derived',
    note: 'document types from the pay-in table (DNI, CUIT) when given; a CBU/CVU has two check digits (BCRA)',
    fields: [
      { key: 'documentType', required: false, oneOf: ['DNI', 'CUIT'], hint: 'DNI or CUIT', basis: 'derived' },
      { key: 'documentNumber', required: false, valid: documentNumberValid(['DNI', 'CUIT']), hint: 'DNI 7–8 digits or CUIT 11 digits with a valid check digit', basis: 'derived' },
      { key: 'cbu', required: false, valid: isValidCbu, hint: '22 digits with valid CBU check digits', basis: 'derived' },
      { key: 'cvu', required: false, valid: isValidCbu, hint: '22 digits with valid CVU check digits', basis: 'derived' },
    ],
  },
  {
    currency: 'TRY',
    basis: 'assumed',
    note: 'a Turkish IBAN (TR, 26 characters, mod 97) when given',
    fields: [{ key: 'iban', required: false, valid: (v) => isValidIban(v, 'TR'), hint: 'TR IBAN, 26 characters, valid check digits', basis: 'derived' }],
  },
  {
    currency: 'USD',
    basis: 'derived',
    note: 'pay-in table fields name/email/phone; e-mail checked when given',
    fields: [{ key: 'email', required: false, valid: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), hint: 'an e-mail address', basis: 'derived' }],
  },
  {
    currency: 'USDT',
    basis: 'assumed',
    note: 'wallet address format per network (TRC20: T + 33 base58; ERC20/BEP20: 0x + 40 hex) when `address` is given',
    fields: [
      {
        key: 'address',
        required: false,
        valid: (v, row) => {
          const method = (row.method ?? '').toUpperCase();
          if (method.includes('TRC20')) return /^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(v);
          if (method.includes('ERC20') || method.includes('BEP20')) return /^0x[0-9a-fA-F]{40}$/.test(v);
          return true;
        },
        hint: 'TRC20: T + 33 base58 characters; ERC20/BEP20: 0x + 40 hex digits',
        basis: 'assumed',
      },
    ],
  },
  {
    currency: 'RUB',
    basis: 'assumed',
    note: 'card payouts (P2P): card number Luhn-checked when `cardNo` is given',
    fields: [{ key: 'cardNo', required: false, valid: isValidLuhn, hint: '12–19 digits passing the Luhn check', basis: 'derived' }],
  },
  {
    currency: 'EUR',
    basis: 'assumed',
    note: 'IBAN (mod 97) when `iban` is given; card number Luhn-checked when `cardNo` is given',
    fields: [
      { key: 'iban', required: false, valid: (v) => isValidIban(v), hint: 'an IBAN with valid check digits', basis: 'derived' },
      { key: 'cardNo', required: false, valid: isValidLuhn, hint: '12–19 digits passing the Luhn check', basis: 'derived' },
    ],
  },
];

/** The rules that apply to a currency and pay method. */
export function rulesFor(currency: string, method: string | undefined): CurrencyRule[] {
  const m = (method ?? '').trim().toUpperCase();
  return CURRENCY_RULES.filter((r) => r.currency === currency && (!r.methods || r.methods.some((x) => x.toUpperCase() === m)));
}

/** Checks a row's `extra.<key>` values (and amount decimals) against the currency table. */
export function checkCurrencyRules(
  row: Readonly<Record<string, string>>,
  money: { currency: string; amountMinor: MinorUnits },
): RowIssue[] {
  const issues: RowIssue[] = [];
  for (const rule of rulesFor(money.currency, row.method)) {
    if (rule.maxDecimals !== undefined) {
      const exponent = currencyExponent(money.currency) ?? 0;
      const unit = 10n ** BigInt(Math.max(0, exponent - rule.maxDecimals));
      if (money.amountMinor % unit !== 0n) {
        issues.push({
          column: 'amount',
          value: row.amount ?? '',
          rule: `starpago.${rule.currency}.decimals`,
          message: `StarPago takes ${rule.currency} amounts with at most ${rule.maxDecimals} decimals`,
        });
      }
    }
    for (const f of rule.fields) {
      const column = `extra.${f.key}`;
      const value = (row[column] ?? '').trim();
      const ruleName = `starpago.${rule.currency}${rule.methods ? '.' + rule.methods.join('/') : ''}.${f.key}`;
      if (value === '') {
        if (f.required) {
          issues.push({ column, value: '', rule: `${ruleName}.required`, message: `${rule.currency}${rule.methods ? ' ' + rule.methods.join('/') : ''} payouts need ${column}: ${f.hint}` });
        }
        continue;
      }
      if (f.oneOf && !f.oneOf.includes(value)) {
        issues.push({ column, value, rule: `${ruleName}.oneOf`, message: `${column} must be ${f.hint}` });
      } else if (f.valid && !f.valid(value, row)) {
        issues.push({ column, value, rule: `${ruleName}.format`, message: `${column} must be ${f.hint}` });
      }
    }
  }
  return issues;
}

const COLUMNS: ColumnSpec[] = [
  { name: 'reference', required: false, description: 'Merchant order number (merOrderNo); derived from the file and row when empty', example: 'PAYOUT-2026-0001', aliases: ['merOrderNo'], maxLength: 32, pattern: referencePattern.pattern, patternHint: referencePattern.hint },
  { name: 'amount', required: true, description: 'Amount in major units (sent as a JSON number); CLP without decimals', example: '1500.00' },
  { name: 'currency', required: true, description: 'ISO 4217 code (MXN, BRL, COP, CLP, PEN, ARS, TRY, USD, RUB, EUR) or USDT', example: 'MXN' },
  { name: 'method', required: true, description: 'StarPago payMethod for the payout (given by StarPago at account opening)', example: 'SPEI', aliases: ['payMethod'] },
  { name: 'account_number', required: false, description: 'Beneficiary account; sent as extra.accountNumber unless an extra.accountNumber column is given', example: '000123450001', identifier: true },
  { name: 'extra.clabe', required: false, description: 'MXN: beneficiary CLABE, 18 digits with a valid check digit', example: '002010077777777771', identifier: true, masked: true },
  { name: 'extra.pixKeyType', required: false, description: 'BRL PIX: CPF, CNPJ, EMAIL, PHONE or EVP', example: 'CPF' },
  { name: 'extra.pixKey', required: false, description: 'BRL PIX: the PIX key in the format of its type', example: '52998224725', identifier: true, masked: true },
  { name: 'extra.documentType', required: false, description: 'COP: CC/TI/CE/PA/NIT; CLP: RUT/PAS; PEN: DNI/CE/RUC/PAS; ARS: DNI/CUIT', example: 'RUT' },
  { name: 'extra.documentNumber', required: false, description: 'Beneficiary document number', example: '12345678-5', identifier: true },
  { name: 'extra.accountName', required: false, description: 'Beneficiary name (any extra.<key> column is sent in extra under <key>)', example: 'María López' },
];

export function rowRules(config: StarPagoConfig): RowRules {
  return {
    columns: COLUMNS,
    currencies: 'any',
    check(row, money) {
      const issues: RowIssue[] = [];
      if (row.method !== undefined && row.method.trim() === '') {
        issues.push({ column: 'method', value: '', rule: 'starpago.payMethod.required', message: 'payMethod is required by StarPago' });
      }
      if (config.extraChecks) issues.push(...checkCurrencyRules(row, money));
      return issues;
    },
  };
}
