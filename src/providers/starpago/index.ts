// StarPago v3 payouts (Latin America). What is confirmed and what is assumed: README.md beside this file.
import { defineProvider } from '../define.ts';
import { createAdapter } from './client.ts';
import { SANDBOX_APP_ID, SANDBOX_APP_SECRET, startStarPagoSandbox, starpagoSandboxKit, starpagoSandboxSettingsSchema } from './sandbox.ts';
import { deriveReference, referencePattern, rowRules, starpagoConfigSchema } from './schema.ts';

export const starpagoProvider = defineProvider({
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
  // v3 callbacks carry no documented signature: each one is only a trigger to query the order.
  capabilities: { prepare: false, balance: true, preflight: false, callbacks: 'unsigned', callbackUrlRequired: false },
  rowRules,
  // The reconciliation shows a USD equivalent per currency where the block configures `usdRate`.
  usdRates: (config) => config.usdRate,
  deriveReference,
  referencePattern,
  createAdapter,
  startSandbox: startStarPagoSandbox,
  sandboxSettingsSchema: starpagoSandboxSettingsSchema,
  sandboxKit: starpagoSandboxKit,
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
});
