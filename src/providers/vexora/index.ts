// Vexora (disbursements by country; Argentina is the seed's field set).
import { defineProvider } from '../define.ts';
import { createVexoraAdapter } from './client.ts';
import { startVexoraSandbox, vexoraSandboxKit, vexoraSandboxSettingsSchema, VEXORA_SANDBOX_MERCHANT_NO, VEXORA_SANDBOX_SECRET } from './sandbox.ts';
import { deriveVexoraReference, vexoraConfigSchema, vexoraRowRules } from './schema.ts';

export const vexoraProvider = defineProvider({
  id: 'vexora',
  configSchema: vexoraConfigSchema,
  credentials: [
    { key: 'merchantNo', sandboxValue: VEXORA_SANDBOX_MERCHANT_NO, secret: false },
    { key: 'secret', sandboxValue: VEXORA_SANDBOX_SECRET, secret: true },
    { key: 'country', sandboxValue: 'AR', secret: false },
  ],
  defaults: {
    rate: { perSecond: 20, concurrency: 8 },
    poll: { firstAfterSeconds: 2, maxIntervalSeconds: 60, deadlineHours: 24 },
    // Vexora's duplicate-tradeNo behaviour is undocumented: a "not found" after an unknown create is never
    // trusted enough to send again; the row goes to needs_review.
    resubmitOnNotFound: false,
    notFoundWindowSeconds: 300,
    canReverse: false,
  },
  // notifyUrl is mandatory on every disbursement page; webhooks carry the same MD5 sign as requests.
  capabilities: { prepare: false, balance: false, preflight: false, callbacks: 'signed', callbackUrlRequired: true },
  rowRules: vexoraRowRules,
  deriveReference: deriveVexoraReference,
  referencePattern: { pattern: /^[A-Za-z0-9_-]{1,64}$/, hint: 'letters, digits, - and _, at most 64' },
  createAdapter: createVexoraAdapter,
  startSandbox: startVexoraSandbox,
  sandboxSettingsSchema: vexoraSandboxSettingsSchema,
  sandboxKit: vexoraSandboxKit,
  sensitiveFields: ['secret', 'sign', 'accountNo', 'bankNumber', 'bankAccountNo', 'mobile'],
});
