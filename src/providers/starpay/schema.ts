// Starpay config block, sheet rules and merchant reference (msgId) format.
// Every detail PROVIDERS.md marks unknown is a key here with the decided default (README lists them).
import crypto from 'node:crypto';
import { z } from 'zod';
import { credential, providerBlockBase } from '../../config/provider-block.ts';
import type { CanonicalStatus, ColumnSpec, RowIssue, RowRules } from '../types.ts';
import { loadPrivateKey, loadPublicKey } from './sign.ts';

/** The hosts a live block's baseUrl names (paths start with a slash). */
export const UAT_BASE_URL = 'https://financeapi-uat.wallyt.net/finance-payment-service';
export const PROD_BASE_URL = 'https://financeapi.wallytglobal.com/finance-payment-service';

/** How a row is paid, from the sheet's `method` column (default instapay). */
export const METHODS = ['instapay', 'starpay', 'p2m-qr', 'p2p-qr'] as const;
export type StarpayMethod = (typeof METHODS)[number];

const canonicalStatuses = ['pending', 'succeeded', 'failed', 'reversed', 'needs_review'] as const satisfies readonly CanonicalStatus[];

const codeList = z.array(z.string().min(1));

/** A key that does not load is a configuration error (exit 2) when the block is resolved, not a stack trace at the first signature. */
const loads = (load: (text: string) => unknown) => (text: string) => {
  try {
    load(text);
    return true;
  } catch {
    return false;
  }
};

export const starpayConfigSchema = providerBlockBase.extend({
  // Credentials (DESIGN §9). Optional here so a sandbox block may leave them out (built-ins are used);
  // the adapter stops with a clear message when a real endpoint has none.
  mchId: credential.optional(),
  /** Merchant PKCS#8 private key, PEM (SHA256withRSA request signatures). */
  privateKey: credential.refine(loads(loadPrivateKey), 'not a readable RSA private key (expected a PKCS#8 PEM "-----BEGIN PRIVATE KEY-----")').optional(),
  /** Starpay platform public key, SPKI PEM; when set, every answer and notification must verify. */
  platformPublicKey: z.string().refine(loads(loadPublicKey), 'not a readable RSA public key (expected an SPKI PEM "-----BEGIN PUBLIC KEY-----")').nullable().default(null),

  // Paths [C] (4 API list); the Scan QR path is [P].
  disbursePath: z.string().default('/v1/disburse'),
  queryPath: z.string().default('/v1/disburse/query'),
  bankListPath: z.string().default('/v1/disburse/query/receivers'),
  balancePath: z.string().default('/v1/disburse/inquireBalance'),
  scanQrPath: z.string().default('/v1/disburse/scanqr'),

  // Service names: disburse [C] (2.4 sample), bank list [3P], the rest assumed ("pay.starpay.*"/"unified.*").
  disburseService: z.string().default('pay.starpay.instapay.disburse'),
  bankListService: z.string().default('pay.starpay.instapay.bank.list'),
  queryService: z.string().default('unified.disburse.query'),
  balanceService: z.string().default('unified.disburse.balance'),
  transferService: z.string().default('pay.starpay.transfer.disburse'),
  p2mQrService: z.string().default('pay.starpay.p2m.qr.disburse'),
  p2pQrService: z.string().default('pay.starpay.p2p.qr.disburse'),
  scanQrService: z.string().default('pay.starpay.qr.scan'),

  /** `major`: trxAmount as a peso string ("1000", "1000.50", 2.4 sample); `centavos`: an integer number. */
  amountUnit: z.enum(['major', 'centavos']).default('major'),
  /** `attach` when the row has no note (2.4 sample "Disbursement"). */
  attach: z.string().default('Disbursement'),
  /** Method of rows whose `method` cell is empty. */
  defaultMethod: z.enum(METHODS).default('instapay'),
  /** Where a QR payment's QR payload is read from (a `extra.<key>` column or a canonical column). */
  qrColumn: z.string().default('extra.qr'),

  // Answer codes (7 Error code list [C]; their meaning for money is decided in PROVIDERS.md).
  successCode: z.string().default('200'),
  notFoundCode: z.string().default('404'),
  duplicateCodes: codeList.default(['403']),
  throttledCodes: codeList.default(['406']),
  stopCodes: codeList.default(['401', '402', '410', '411', '414']),
  rejectedCodes: codeList.default(['400', '412']),
  /** How long to slow down after a "too frequent" (406) answer, which carries no Retry-After. */
  slowDownSeconds: z.number().min(0).default(2),
  /** Additions to / overrides of the trxState table (status.ts), e.g. { "REFUNDED": "reversed" }. */
  trxStates: z.record(z.string(), z.enum(canonicalStatuses)).default({}),

  /** Check every InstaPay row's bank_name against the 5.1 bank list before sending anything. */
  validateBanks: z.boolean().default(true),
  /** Check every QR row's payload with Scan QR (5.7) before sending anything. */
  scanQrInPreflight: z.boolean().default(true),
});

export type StarpayConfig = z.infer<typeof starpayConfigSchema>;


// ---- merchant reference (msgId) ----------------------------------------------------------------------

/** msgId: digits only (the samples are numeric), at most 32. */
export const referencePattern = { pattern: /^\d{1,32}$/, hint: 'digits only, at most 32 (Starpay msgId)' };

/**
 * Deterministic msgId for a row: batch date (8 digits) + the batch hash's 8 hex digits as a 10-digit
 * decimal + the row number (6 digits, more if ever needed) — 24 digits, the same on every attempt.
 * A batch key in another shape is hashed, still deterministically.
 */
export function deriveReference(batchKey: string, rowNumber: number): string {
  const m = /^(\d{8})-([0-9a-f]{8})$/i.exec(batchKey.trim());
  const prefix = m
    ? m[1]! + BigInt('0x' + m[2]!).toString().padStart(10, '0')
    : BigInt('0x' + crypto.createHash('sha256').update(batchKey).digest('hex').slice(0, 14)).toString().padStart(18, '0');
  return prefix + String(Math.max(0, Math.trunc(rowNumber))).padStart(6, '0');
}

// ---- sheet rules ------------------------------------------------------------------------------------

export function methodOf(value: string | undefined, fallback: StarpayMethod): StarpayMethod | undefined {
  const v = (value ?? '').trim().toLowerCase().replace(/[\s_]+/g, '-');
  if (v === '') return fallback;
  if ((METHODS as readonly string[]).includes(v)) return v as StarpayMethod;
  const aliases: Record<string, StarpayMethod> = {
    'insta-pay': 'instapay',
    bank: 'instapay',
    'starpay-transfer': 'starpay',
    wallet: 'starpay',
    s2s: 'starpay',
    p2m: 'p2m-qr',
    'p2m-qr-ph': 'p2m-qr',
    p2p: 'p2p-qr',
  };
  return aliases[v];
}

/** The row's QR payload: `extra.<key>` columns may arrive in either shape, depending on the reader. */
export function qrPayloadOf(row: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>> | undefined, qrColumn: string): string {
  const key = qrColumn.startsWith('extra.') ? qrColumn.slice('extra.'.length) : undefined;
  return ((key !== undefined ? extra?.[key] : undefined) ?? row[qrColumn] ?? '').trim();
}

/** acctName: account_name, else first + last name (PROVIDERS.md "Sheet columns to request fields"). */
export function accountNameOf(row: Readonly<Record<string, string>>): string {
  const given = (row.account_name ?? '').trim();
  if (given) return given;
  return [row.first_name, row.last_name].map((s) => (s ?? '').trim()).filter(Boolean).join(' ');
}

/** EMV/QR Ph payloads start with the payload format indicator "000201". */
const QR_PAYLOAD = /^000201[\x20-\x7e]{10,}$/;

export function rowRules(config: StarpayConfig): RowRules {
  const qrColumn = config.qrColumn;
  const columns: ColumnSpec[] = [
    { name: 'reference', required: false, description: 'Your reference, sent as msgId (derived from the batch when empty)', example: '202611210001', aliases: ['msgId'], pattern: referencePattern.pattern, patternHint: referencePattern.hint, maxLength: 32, identifier: true },
    { name: 'amount', required: true, description: 'Amount in pesos, up to 2 decimals', example: '1500.00', aliases: ['trxAmount'] },
    { name: 'currency', required: false, description: 'PHP (the default)', example: 'PHP' },
    { name: 'method', required: false, description: `instapay (bank/e-wallet via InstaPay), starpay (Starpay wallet transfer), p2m-qr, p2p-qr; default ${config.defaultMethod}`, example: 'instapay' },
    { name: 'account_number', required: false, description: 'Recipient account number (InstaPay) or Starpay wallet account; digits only', example: '109450001234', aliases: ['acctNo'], pattern: /^\d{1,34}$/, patternHint: 'digits only, no spaces or dashes (at most 34)', identifier: true },
    { name: 'account_name', required: false, description: 'Recipient account name (else first_name + last_name)', example: 'Maria Santos Reyes', aliases: ['acctName'] },
    { name: 'first_name', required: false, description: 'Recipient first name', example: 'Maria' },
    { name: 'middle_name', required: false, description: 'Recipient middle name (acctMiddleName)', example: 'Santos', aliases: ['acctMiddleName'] },
    { name: 'last_name', required: false, description: 'Recipient last name (acctLastName)', example: 'Reyes', aliases: ['acctLastName'] },
    { name: 'bank_name', required: false, description: 'Receiving bank exactly as in the Starpay bank list (InstaPay rows)', example: 'BDO Unibank, Inc.', aliases: ['receivingBank'] },
    { name: 'mobile', required: false, description: 'Starpay wallet mobile number when account_number is empty (starpay rows)', example: '09171234567', pattern: /^(\+?63|0)?9\d{9}$/, patternHint: 'a PH mobile number, e.g. 09171234567', identifier: true },
    { name: 'note', required: false, description: `Free text sent as attach (default "${config.attach}")`, example: 'November payroll', aliases: ['attach'] },
    { name: qrColumn, required: false, description: 'QR Ph payload (p2m-qr / p2p-qr rows)', example: '00020101021127...6304ABCD' },
  ];
  return {
    columns,
    currencies: ['PHP'],
    defaultCurrency: 'PHP',
    check(row) {
      const issues: RowIssue[] = [];
      const method = methodOf(row.method, config.defaultMethod);
      if (!method) {
        issues.push({ column: 'method', value: row.method ?? '', rule: 'method', message: `method must be one of ${METHODS.join(', ')}` });
        return issues;
      }
      const need = (column: string, why: string) => {
        if (!(row[column] ?? '').trim()) issues.push({ column, value: '', rule: 'required-for-method', message: `${column} is required for ${why}` });
      };
      if (method === 'instapay') {
        need('account_number', 'InstaPay disbursements');
        need('bank_name', 'InstaPay disbursements (receivingBank)');
        if (!accountNameOf(row)) issues.push({ column: 'account_name', value: '', rule: 'required-for-method', message: 'account_name (or first_name and last_name) is required for InstaPay disbursements' });
      } else if (method === 'starpay') {
        if (!(row.account_number ?? '').trim() && !(row.mobile ?? '').trim()) {
          issues.push({ column: 'account_number', value: '', rule: 'required-for-method', message: 'account_number or mobile (the Starpay wallet) is required for starpay transfers' });
        }
      } else {
        const payload = qrPayloadOf(row, undefined, qrColumn);
        if (!payload) issues.push({ column: qrColumn, value: '', rule: 'required-for-method', message: `${qrColumn} (the QR payload) is required for ${method} payments` });
        else if (!QR_PAYLOAD.test(payload)) issues.push({ column: qrColumn, value: payload.slice(0, 24), rule: 'qr-payload', message: 'not a QR Ph payload (it must start with 000201)' });
      }
      return issues;
    },
  };
}
