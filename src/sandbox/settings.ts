// Settings shared by every provider sandbox (config key providers.<id>.sandbox, or `paybatch sandbox` flags).
// A provider's sandbox may add its own settings beside these; the loader checks the whole block strictly
// (strictSandboxSettings), so a misspelt setting is an error naming it rather than a test that lies.
import { z } from 'zod';
import { describeZodError } from '../config/describe.ts';
import { WEEK_SECONDS } from '../config/schema.ts';
import { ConfigError } from '../config/secrets.ts';

export const faultKinds = [
  'error-before', // answer 5xx without doing anything: nothing created
  'error-after', // do the work (create the payout), then answer 5xx: created, client can't know
  'drop-before', // close the connection without an answer, nothing done
  'drop-after', // create, then close the connection without an answer
  'hang-after', // create, then answer only after `delayMs` (client times out first)
  'delay', // wait `delayMs`, then behave normally
  'rate-limit', // answer "too many requests" as the provider does
  'duplicate', // answer as the provider does for a duplicate reference, without creating
] as const;
export type FaultKind = (typeof faultKinds)[number];

export const faultRuleSchema = z.strictObject({
  kind: z.enum(faultKinds),
  /** Substring of the request path the rule applies to (default: any). */
  path: z.string().optional(),
  /** Only create calls (true) or only other calls (false). */
  onCreate: z.boolean().optional(),
  /** Only requests for this merchant reference. */
  reference: z.string().optional(),
  /** How many matching requests the rule applies to (default 1); 0 = every one. */
  times: z.number().int().min(0).default(1),
  /** Chance to apply to a matching request (seeded, reproducible). */
  probability: z.number().min(0).max(1).default(1),
  delayMs: z.number().int().min(0).max(WEEK_SECONDS * 1000).default(0),
  status: z.number().int().min(100).max(599).optional(),
  retryAfterSeconds: z.number().min(0).max(WEEK_SECONDS).optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

export const outcomeRuleSchema = z.strictObject({
  /** Account (or card / phone) number ending with this text. */
  accountEndsWith: z.string().optional(),
  /** Amount as sent, compared as decimal text after normalisation ("100" = "100.00"). */
  amountEquals: z.string().optional(),
  outcome: z.enum(['succeed', 'fail', 'stuck', 'reverse', 'short-pay']),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type OutcomeRule = z.infer<typeof outcomeRuleSchema>;

/** Built-in outcomes, documented in the README: account numbers decide how a payout settles. */
export const defaultOutcomes: OutcomeRule[] = [
  { accountEndsWith: '0002', outcome: 'fail', code: 'ACCOUNT_REJECTED', message: 'beneficiary account rejected the funds' },
  { accountEndsWith: '0003', outcome: 'stuck' },
  { accountEndsWith: '0004', outcome: 'reverse', code: 'RETURNED', message: 'returned by the beneficiary bank' },
  { accountEndsWith: '0005', outcome: 'short-pay' },
];

const sandboxSettingsShape = {
  /** Seconds from create to the final status. */
  settleAfterSeconds: z.number().min(0).max(WEEK_SECONDS).default(1),
  /** Seconds from success to the reversal, for `reverse` outcomes. */
  reverseAfterSeconds: z.number().min(0).max(WEEK_SECONDS).default(2),
  outcomes: z.array(outcomeRuleSchema).default(defaultOutcomes),
  faults: z.array(faultRuleSchema).default([]),
  /** Requests per second the sandbox accepts before answering "too frequent" (0 = unlimited). */
  ratePerSecond: z.number().min(0).max(100_000).default(0),
  burst: z.number().int().min(1).max(100_000).optional(),
  /** The provider's duplicate-reference check; off simulates a provider that would pay twice. */
  duplicateCheck: z.boolean().default(true),
  /** Seed for fault probabilities. */
  seed: z.number().int().default(1),
  /** Send callbacks to notify URLs (loopback only). */
  callbacks: z.boolean().default(true),
  /** Fee the sandbox charges per payout, in minor units, where the provider reports fees. */
  feeMinor: z.number().int().min(0).default(0),
  /** Balance the sandbox reports per currency, as decimal text. */
  balances: z.record(z.string(), z.string()).default({}),
};

/**
 * The shared settings. Not strict at the top: a provider's sandbox reads its own settings from the same
 * object (strictSandboxSettings checks the whole of it); the rules inside are strict.
 */
export const sandboxSettingsSchema = z.object(sandboxSettingsShape);

/** The whole `sandbox` block of a provider, strict: the shared settings plus the provider's own (if any). */
export function strictSandboxSettings(own?: z.ZodObject): z.ZodObject {
  return z.strictObject({ ...sandboxSettingsShape, ...(own?.shape ?? {}) });
}

export type SandboxSettings = z.infer<typeof sandboxSettingsSchema>;

/** The shared settings with their defaults; a bad value is one clear line (a ConfigError), not a zod dump. */
export function parseSandboxSettings(input: unknown): SandboxSettings {
  const parsed = sandboxSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ConfigError(`invalid sandbox settings: ${describeZodError(parsed.error, 'sandbox', sandboxSettingsSchema, input)}`);
  return parsed.data;
}
