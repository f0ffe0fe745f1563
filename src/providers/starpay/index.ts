// Starpay (Wallyt) Merchant Disbursement API, Philippines, PHP. README.md says what is confirmed and
// what is assumed; every assumption is a config key (schema.ts).
import { defineProvider } from '../define.ts';
import { createAdapter } from './client.ts';
import { startStarpaySandbox, starpaySandboxKit, starpaySandboxSettingsSchema } from './sandbox.ts';
import { SANDBOX_MCH_ID, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PUBLIC_KEY } from './sandbox-keys.ts';
import { deriveReference, referencePattern, rowRules, starpayConfigSchema } from './schema.ts';

export const starpayProvider = defineProvider({
  id: 'starpay',
  configSchema: starpayConfigSchema,
  credentials: [
    { key: 'mchId', sandboxValue: SANDBOX_MCH_ID, secret: false },
    { key: 'privateKey', sandboxValue: TEST_MERCHANT_PRIVATE_KEY, secret: true },
    { key: 'platformPublicKey', sandboxValue: TEST_PLATFORM_PUBLIC_KEY, secret: false },
  ],
  defaults: {
    rate: { perSecond: 5, concurrency: 4 },
    poll: { firstAfterSeconds: 5, maxIntervalSeconds: 60, deadlineHours: 24 },
    // A second create with the same msgId answers 403 "Repeated msgId", so resubmitting after a trusted
    // "not found" can never pay twice.
    resubmitOnNotFound: true,
    notFoundWindowSeconds: 60,
    canReverse: true,
  },
  // The bank list and Scan QR are checked before anything is sent; notifications are platform-signed.
  capabilities: { prepare: false, balance: true, preflight: true, callbacks: 'signed', callbackUrlRequired: false },
  rowRules,
  deriveReference,
  referencePattern,
  createAdapter,
  startSandbox: startStarpaySandbox,
  sandboxSettingsSchema: starpaySandboxSettingsSchema,
  sandboxKit: starpaySandboxKit,
  sensitiveFields: ['privateKey', 'platformPrivateKey', 'signature', 'acctNo', 'acctName', 'acctMiddleName', 'acctLastName', 'qrCode'],
});
