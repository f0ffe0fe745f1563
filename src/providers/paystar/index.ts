// PayStar H2H payouts (secure.PayStar.uk). See README.md for what is confirmed and what is assumed.
import { defineProvider } from '../define.ts';
import { createAdapter } from './client.ts';
import { paystarSandboxKit, paystarSandboxSettingsSchema, startPaystarSandbox } from './sandbox.ts';
import { paystarJwt } from './sign.ts';
import { deriveReference, paystarConfigSchema, referencePattern, rowRules, SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY } from './schema.ts';

export const paystarProvider = defineProvider({
  id: 'paystar',
  configSchema: paystarConfigSchema,
  credentials: [
    { key: 'publicKey', sandboxValue: SANDBOX_PUBLIC_KEY, secret: false },
    { key: 'privateKey', sandboxValue: SANDBOX_PRIVATE_KEY, secret: true },
    // A ready token, as an account manager may issue instead of keys; the built-in one is the built-in keys' JWT.
    { key: 'token', sandboxValue: paystarJwt(SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY), secret: true },
  ],
  defaults: {
    rate: { perSecond: 10, concurrency: 4 },
    // PayStar asks to poll every 2–5 minutes until final [C]; callbacks trigger an earlier query.
    poll: { firstAfterSeconds: 30, maxIntervalSeconds: 300, deadlineHours: 48 },
    // A second create with the same externalTransactionId answers 1-4007 [C], so resubmitting after a
    // trusted "not found" cannot pay twice.
    resubmitOnNotFound: true,
    notFoundWindowSeconds: 60,
    canReverse: false,
  },
  // Callbacks carry a Signature header over externalId;status;amount;orderType;privateKey.
  capabilities: { prepare: false, balance: true, preflight: false, callbacks: 'signed', callbackUrlRequired: false },
  rowRules,
  deriveReference,
  referencePattern,
  createAdapter,
  startSandbox: startPaystarSandbox,
  sandboxSettingsSchema: paystarSandboxSettingsSchema,
  sandboxKit: paystarSandboxKit,
  sensitiveFields: [
    'privateKey',
    'token',
    'Authorization',
    'Signature',
    'cardNumber',
    'field.cardNumber',
    'account_number',
    'cardToken',
    'cardStorageToken',
    'cardHolder',
  ],
});
