// Yuansfer (now Pockyt) Payouts v3, USD bank payouts to registered payees. See README.md for what is
// confirmed and what is assumed.
import { defineProvider } from '../define.ts';
import { createAdapter } from './client.ts';
import { SANDBOX_CREDENTIALS } from './sandbox-credentials.ts';
import { startYuansferSandbox, yuansferSandboxKit } from './sandbox.ts';
import { deriveReference, referencePattern, rowRules, yuansferConfigSchema } from './schema.ts';

export const yuansferProvider = defineProvider({
  id: 'yuansfer',
  configSchema: yuansferConfigSchema,
  credentials: [
    { key: 'merchantNo', sandboxValue: SANDBOX_CREDENTIALS.merchantNo, secret: false },
    { key: 'storeNo', sandboxValue: SANDBOX_CREDENTIALS.storeNo, secret: false },
    { key: 'token', sandboxValue: SANDBOX_CREDENTIALS.token, secret: true },
  ],
  defaults: {
    // Pockyt publishes no rate limit [U]: a modest budget, slowed further by any 429.
    rate: { perSecond: 10, concurrency: 4 },
    // ACH settles in 1–3 business days and returns come later: poll slowly, give up after 5 days.
    poll: { firstAfterSeconds: 30, maxIntervalSeconds: 3600, deadlineHours: 120 },
    // The transfer is keyed by Pockyt-Request-ID = invoiceId: a resubmission replays the first answer and
    // a used invoiceId is refused (000023), so a trusted "not found" may be resubmitted.
    resubmitOnNotFound: true,
    // Short, because even a resubmission racing a lagging inquiry is caught by the request-id replay or the
    // used-invoiceId refusal.
    notFoundWindowSeconds: 30,
    // `returned` may follow `success`.
    canReverse: true,
  },
  // A payee is registered (and its bank account added) once before its first payout; IPNs carry verifySign.
  capabilities: { prepare: true, balance: true, preflight: false, callbacks: 'signed', callbackUrlRequired: false },
  rowRules,
  deriveReference,
  referencePattern,
  createAdapter,
  startSandbox: startYuansferSandbox,
  sandboxKit: yuansferSandboxKit,
  sensitiveFields: [
    'token', 'verifySign', 'accountToken', 'account_token', 'bankAccountId', 'account_number', 'cardNumber',
    'dateOfBirth', 'date_of_birth', 'email', 'phone', 'mobile', 'street',
  ],
});
