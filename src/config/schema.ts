// The configuration file (DESIGN §9). Every key is optional but providers.<id>; provider blocks are
// checked by each provider's own schema in the loader. Every object is strict: an unknown key (a typo
// such as "limts") is an error, never a control silently switched off. Numbers have bounds that keep
// the fractions tests use and refuse the absurd (a timer beyond a week, a rate of 1e-300).
import { z } from 'zod';

const decimalText = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal amount as text, e.g. "10000.00"');

/** Seconds in a week: the longest wait or interval any setting may ask for. */
export const WEEK_SECONDS = 7 * 24 * 3600;

/** winston's levels (npm): an unknown level would log nothing at all. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

export const configSchema = z.strictObject({
  work: z.string().min(1).default('./work'),
  /** The provider of sheets in the inbox root and of `run` without --provider; empty: the first registered one. */
  provider: z.string().default(''),
  onInvalidRows: z.enum(['reject-file', 'skip-rows']).default('reject-file'),
  limits: z
    .strictObject({
      maxRows: z.number().int().positive().max(100_000_000).optional(),
      maxRowAmount: z.record(z.string(), decimalText).default({}),
      maxFileTotal: z.record(z.string(), decimalText).default({}),
    })
    .default({ maxRowAmount: {}, maxFileTotal: {} }),
  /** Hold a batch whose total exceeds the provider balance, where the provider reports one. */
  balanceCheck: z.boolean().default(true),
  /** Each block is checked by its provider's schema when the configuration is loaded (config/load.ts). */
  providers: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  intake: z
    .strictObject({
      /** Seconds a file's size and mtime must stay unchanged before it is taken. */
      stableSeconds: z.number().min(0).max(3600).default(2),
      /** `payouts.csv` waits for `payouts.csv.done`. */
      requireDoneFile: z.boolean().default(false),
      /** How often `watch` checks due polls and approvals. */
      tickSeconds: z.number().min(0.01).max(3600).default(1),
    })
    .default({ stableSeconds: 2, requireDoneFile: false, tickSeconds: 1 }),
  callbacks: z
    .strictObject({
      /** Port `watch` serves provider callbacks on; null = no listener. */
      port: z.number().int().min(0).max(65535).nullable().default(null),
      host: z.string().min(1).default('127.0.0.1'),
      maxBodyBytes: z.number().int().positive().max(64 * 1024 * 1024).default(64 * 1024),
    })
    .default({ port: null, host: '127.0.0.1', maxBodyBytes: 64 * 1024 }),
  reports: z
    .strictObject({ maskAccountNumbers: z.enum(['last4', 'none']).default('last4') })
    .default({ maskAccountNumbers: 'last4' }),
  /** `run-once` (cron) waits at most this long for payouts to settle, then leaves them for the next run. */
  runOnce: z.strictObject({ waitSeconds: z.number().min(0).max(WEEK_SECONDS).default(600) }).default({ waitSeconds: 600 }),
  /** How long succeeded payouts of providers that can reverse are re-checked (hours; returns can come weeks later). */
  reversalWindowHours: z.number().min(0).max(90 * 24).default(72),
  reversalCheckEveryMinutes: z.number().positive().max(WEEK_SECONDS / 60).default(60),
  sheet: z
    .strictObject({
      maxFileBytes: z.number().int().positive().default(512 * 1024 * 1024),
      maxXlsxUnpackedBytes: z.number().int().positive().default(1024 * 1024 * 1024),
      maxSharedStrings: z.number().int().positive().default(2_000_000),
    })
    .default({ maxFileBytes: 512 * 1024 * 1024, maxXlsxUnpackedBytes: 1024 * 1024 * 1024, maxSharedStrings: 2_000_000 }),
  logging: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).default({ level: 'info' }),

  // ---- paying the same thing twice (issue 10, case 4) ----
  /**
   * "required": a sheet without a `reference` column is refused (a corrected sheet dropped again would get
   * new derived references and pay its rows again); "derived": references come from the batch and row.
   * Default: required for live providers, derived for `baseUrl: "sandbox"`.
   */
  references: z.enum(['required', 'derived']).optional(),
  /** Hold a batch (live providers) whose row pays an account the same amount and currency as a payout sent this many days back; 0 = off. */
  duplicateWindowDays: z.number().min(0).max(3650).default(7),
});

export type PaybatchConfigFile = z.infer<typeof configSchema>;
