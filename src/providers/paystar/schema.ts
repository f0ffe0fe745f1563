// PayStar configuration block, sheet columns and row rules, merchant reference format.
import { z } from 'zod';
import { providerBlockBase } from '../../config/provider-block.ts';
import type { ColumnSpec, RowIssue, RowRules } from '../types.ts';
import { cardDigits, isCardKey, isCardShaped, luhnValid, maskCard, methodIsCard } from './card.ts';

export const DEFAULT_CREATE_PATH = '/api/v1/integration/withdrawal-order/';
export const DEFAULT_STATUS_PATH = '/api/v1/integration/withdrawal-order/{externalTransactionId}/status-by-external-transaction-id';
export const DEFAULT_BALANCE_PATH = '/api/v1/balance/merchant';

export const paystarConfigSchema = providerBlockBase.extend({
  // Credentials (DESIGN §9): a publicKey/privateKey pair, or a ready bearer `token` [C].
  publicKey: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  /** Balance host [C: api.PayStar.uk, not secure.]; null = the same host as baseUrl (the sandbox serves both). */
  balanceBaseUrl: z.string().nullable().default(null),
  /** Add `iat` (seconds) to the JWT; PayStar documents only `publicKey` [U beyond that]. */
  jwtIssuedAt: z.boolean().default(false),
  createPath: z.string().startsWith('/').default(DEFAULT_CREATE_PATH),
  /** `{externalTransactionId}` is replaced by the URL-encoded merchant reference. */
  statusPath: z.string().startsWith('/').includes('{externalTransactionId}').default(DEFAULT_STATUS_PATH),
  balancePath: z.string().startsWith('/').default(DEFAULT_BALANCE_PATH),
  /** Field of the balance answer holding the amount (the answer's shape is [U]). */
  balanceField: z.string().min(1).default('balance'),
  /** Seconds to wait after HTTP 423 ("temporary error", meaning [U]) when no Retry-After is given. */
  retryLockedAfterSeconds: z.number().min(0).default(30),
  /** `statusDescrption` values meaning "an order with this externalTransactionId already exists" [C]. */
  duplicateCodes: z.array(z.string()).default(['1-4007']),
  /** additionalFields keys holding a card number: Luhn-checked and masked. */
  cardFieldKeys: z.array(z.string().min(1)).default(['cardNumber']),
  /** Callback acknowledgement (PayStar's required answer is [U]; presumably HTTP 200). */
  callbackAckStatus: z.number().int().min(200).max(299).default(200),
  callbackAckBody: z.string().default('OK'),
  callbackAckContentType: z.string().default('text/plain'),
});

export type PaystarConfig = z.infer<typeof paystarConfigSchema>;

/** Built-in sandbox credentials (test values; the sandbox accepts them when the config names none). */
export const SANDBOX_PUBLIC_KEY = 'pk_test_paybatch_sandbox';
export const SANDBOX_PRIVATE_KEY = 'sk_test_paybatch_sandbox_4f1c2e9a7b';

/** Merchant reference (externalTransactionId): its limits are [U]; the documented examples are "Merch12345", "MerchID-1". */
export const referencePattern = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
  hint: "1–64 characters: letters, digits, '.', '_', ':', '-' (starting with a letter or digit)",
};

/** `PB-<batchKey>-<row>`: the batch key holds the date and the file's hash, so it is unique and stable. */
export function deriveReference(batchKey: string, rowNumber: number): string {
  const key = batchKey.replace(/[^A-Za-z0-9-]/g, '');
  return `PB-${key}-${rowNumber}`;
}

export const columns: ColumnSpec[] = [
  {
    name: 'reference',
    required: false,
    description: 'Merchant reference sent as externalTransactionId; derived from the file and row when left empty',
    example: 'PAY-2026-11-0001',
    aliases: ['externalTransactionId'],
    maxLength: 64,
    pattern: referencePattern.pattern,
    patternHint: referencePattern.hint,
  },
  { name: 'amount', required: true, description: 'Payout amount in major units (sent as a JSON number)', example: '150.00' },
  { name: 'currency', required: true, description: 'ISO 4217 code from PayStar’s currency dictionary', example: 'USD' },
  {
    name: 'field.cardNumber',
    required: false,
    description: 'Beneficiary card number (12–19 digits, Luhn-checked; spaces/dashes allowed, sent as digits)',
    example: '4111111111111111',
    identifier: true,
  },
  { name: 'field.bankName', required: false, description: 'Bank name from PayStar’s bank dictionary (else derived from the card BIN)', example: 'SuperBank' },
  {
    name: 'account_number',
    required: false,
    description: 'Card number when `method` says card (sent as additionalFields cardNumber); otherwise use field.<key> columns',
    example: '4111111111111111',
    identifier: true,
  },
  { name: 'method', required: false, description: '"card" makes account_number a card number', example: 'card' },
];

/** A field.<key> column's key, or undefined. */
function fieldKey(column: string): string | undefined {
  return /^field\./i.test(column) ? column.slice('field.'.length) : undefined;
}

function checkCard(column: string, value: string, issues: RowIssue[]): void {
  const masked = maskCard(value);
  if (!isCardShaped(value)) {
    issues.push({ column, value: masked, rule: 'card-format', message: `card number ${masked} must be 12–19 digits` });
  } else if (!luhnValid(value)) {
    issues.push({ column, value: masked, rule: 'luhn', message: `card number ${masked} fails the Luhn check digit (mistyped?)` });
  }
}

export function rowRules(config: Pick<PaystarConfig, 'cardFieldKeys'>): RowRules {
  const cardKeys = config.cardFieldKeys;
  return {
    columns,
    currencies: 'any',
    check(row) {
      const issues: RowIssue[] = [];
      const present = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
      let fieldCount = 0;
      let fieldCard: string | undefined;
      for (const [column, value] of Object.entries(row)) {
        const key = fieldKey(column);
        if (key === undefined || !present(value)) continue;
        fieldCount++;
        if (isCardKey(key, cardKeys)) {
          fieldCard = value;
          checkCard(column, value, issues);
        }
      }
      const accountNumber = row.account_number;
      const cardMethod = methodIsCard(row.method);
      if (present(accountNumber) && cardMethod) {
        checkCard('account_number', accountNumber, issues);
        if (fieldCard !== undefined && cardDigits(fieldCard) !== cardDigits(accountNumber)) {
          issues.push({
            column: 'account_number',
            value: maskCard(accountNumber),
            rule: 'card-conflict',
            message: `account_number ${maskCard(accountNumber)} and field.${cardKeys[0]} ${maskCard(fieldCard)} name different cards`,
          });
        }
      }
      if (fieldCount === 0 && !(present(accountNumber) && cardMethod)) {
        issues.push({
          column: present(accountNumber) ? 'account_number' : 'field.cardNumber',
          value: present(accountNumber) ? maskCard(accountNumber) : '',
          rule: 'beneficiary-required',
          message: present(accountNumber)
            ? 'PayStar takes the beneficiary in field.<key> columns (e.g. field.cardNumber); account_number is used only when method is "card"'
            : 'no beneficiary: give field.cardNumber (or other field.<key> columns PayStar asks for), or account_number with method "card"',
        });
      }
      return issues;
    },
  };
}
