// TinyPay: a provider that exists only in tests, added the way CONTRIBUTING.md "Adding a provider" says.
import { defineProvider } from '../../../src/providers/define.ts';
import { createAdapter } from './client.ts';
import { SANDBOX_API_KEY, startTinypaySandbox, tinypaySandboxKit } from './sandbox.ts';
import { deriveReference, referencePattern, rowRules, tinypayConfigSchema } from './schema.ts';

export const tinypayProvider = defineProvider({
  id: 'tinypay',
  configSchema: tinypayConfigSchema,
  credentials: [{ key: 'apiKey', sandboxValue: SANDBOX_API_KEY, secret: true }],
  defaults: {
    rate: { perSecond: 20, concurrency: 4 },
    poll: { firstAfterSeconds: 1, maxIntervalSeconds: 10, deadlineHours: 1 },
    // A second create with the same reference answers 409: resending after a trusted "not found" is safe.
    resubmitOnNotFound: true,
    notFoundWindowSeconds: 5,
    canReverse: true,
  },
  capabilities: { prepare: false, balance: false, preflight: false, callbacks: 'signed', callbackUrlRequired: false },
  rowRules,
  deriveReference,
  referencePattern,
  createAdapter,
  startSandbox: startTinypaySandbox,
  sandboxKit: tinypaySandboxKit,
  sensitiveFields: ['apiKey', 'account'],
});
