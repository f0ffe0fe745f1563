// TinyPay (a provider that exists only in tests): its config block, sheet rules and merchant references.
import { z } from 'zod';
import { credential, providerBlockBase } from '../../../src/config/provider-block.ts';
import type { RowRules } from '../../../src/providers/types.ts';

export const tinypayConfigSchema = providerBlockBase.extend({
  apiKey: credential.optional(),
  createPath: z.string().startsWith('/').default('/v1/payouts'),
});

export type TinypayConfig = z.infer<typeof tinypayConfigSchema>;

export const referencePattern = { pattern: /^[A-Za-z0-9-]{1,40}$/, hint: 'letters, digits and -, at most 40' };

export const deriveReference = (batchKey: string, rowNumber: number) => `TP-${batchKey.replace(/[^A-Za-z0-9]/g, '')}-${rowNumber}`;

export function rowRules(_config: TinypayConfig): RowRules {
  return {
    columns: [
      { name: 'reference', required: false, description: 'Your reference; derived when empty', example: 'TP-1', pattern: referencePattern.pattern, patternHint: referencePattern.hint },
      { name: 'amount', required: true, description: 'Amount in euros', example: '20.00' },
      { name: 'currency', required: false, description: 'EUR (the default)', example: 'EUR' },
      { name: 'account_number', required: true, description: 'Beneficiary account, digits', example: '123456781111', identifier: true, pattern: /^\d{8,20}$/, patternHint: '8 to 20 digits' },
    ],
    currencies: ['EUR'],
    defaultCurrency: 'EUR',
    check: () => [],
  };
}
