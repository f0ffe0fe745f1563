// StarPago v3 payouts (Latin America). What is confirmed and what is assumed: README.md beside this file.
import type { ProviderModule } from '../types.ts';
import { createAdapter } from './client.ts';
import { SANDBOX_APP_ID, SANDBOX_APP_SECRET, startStarPagoSandbox, starpagoSandboxSettingsSchema } from './sandbox.ts';
import { deriveReference, referencePattern, rowRules, starpagoConfigSchema, type StarPagoConfig } from './schema.ts';

export type { StarPagoConfig } from './schema.ts';

export const starpagoProvider: ProviderModule<StarPagoConfig> = {
  id: 'starpago',
  configSchema: starpagoConfigSchema,
  credentials: [
    { key: 'appId', sandboxValue: SANDBOX_APP_ID, secret: false },
    { key: 'appSecret', sandboxValue: SANDBOX_APP_SECRET, secret: true },
  ],
  defaults: {
    rate: { perSecond: 10, concurrency: 4 },
    poll: { firstAfterSeconds: 5, maxIntervalSeconds: 120, deadlineHours: 48 },
    // StarPago's duplicate-merOrderNo behaviour is not documented, and its own rule is "never re-submit":
    // a "not found" after an unknown create goes to needs_review, never to a second create.
    resubmitOnNotFound: false,
    notFoundWindowSeconds: 600,
    canReverse: true, // REFUNDED after PAID
  },
  rowRules,
  deriveReference,
  referencePattern,
  createAdapter,
  startSandbox: startStarPagoSandbox,
  sandboxSettingsSchema: starpagoSandboxSettingsSchema,
  sensitiveFields: [
    'appSecret',
    'app_secret',
    'token',
    'Authorization',
    'clabe',
    'accountNumber',
    'account_number',
    'accountNo',
    'pixKey',
    'documentNumber',
    'cardNo',
    'cardCcv',
    'iban',
    'cbu',
    'cvu',
    'customerPhone',
    'customerEmail',
  ],
};
