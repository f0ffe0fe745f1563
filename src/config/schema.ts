// The configuration file (DESIGN §9). Every key is optional but providers.<id>; provider blocks are
// checked by each provider's own schema in the loader. Every object is strict: an unknown key (a typo
// such as "limts") is an error, never a control silently switched off. Numbers have bounds that keep
// the fractions tests use and refuse the absurd (a timer beyond a week, a rate of 1e-300).
import { IANAZone } from 'luxon';
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
      /** Per currency: the most released per provider and calendar day (in `timezone`) across batches (DESIGN §12). */
      maxDailyTotal: z.record(z.string(), decimalText).default({}),
    })
    .default({ maxRowAmount: {}, maxFileTotal: {}, maxDailyTotal: {} }),
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

  // ---- DESIGN §11: many processes, one PostgreSQL journal ----
  /**
   * "sqlite" (default: <work>/journal.sqlite) or a postgres:// URL, inline, env:NAME or file:PATH; the
   * environment variable PAYBATCH_JOURNAL overrides it. The URL's password is a secret.
   */
  journal: z.string().min(1).default('sqlite'),
  workers: z
    .strictObject({
      /** A claim not renewed for this long is another process's to take over. */
      leaseSeconds: z.number().min(0.5).max(3600).default(30),
      /** On SIGTERM, how long `watch` waits for answers in flight before it exits. */
      drainSeconds: z.number().min(0).max(3600).default(10),
    })
    .default({ leaseSeconds: 30, drainSeconds: 10 }),

  // ---- DESIGN §12: delivery and controls ----
  notify: z
    .strictObject({
      email: z
        .strictObject({
          /** smtp:// or smtps:// URL (credentials in it are a secret); inline, env: or file:. */
          smtp: z.string().min(1),
          from: z.string().min(3),
          to: z.array(z.string().min(3)).min(1),
          /** A results.xlsx larger than this is not attached; the mail says where it is. */
          maxAttachmentMB: z.number().positive().max(1024).default(10),
        })
        .optional(),
      webhook: z
        .strictObject({
          url: z.string().url(),
          /** HMAC-SHA256 key of X-Paybatch-Signature; inline, env: or file:. */
          secret: z.string().min(1),
        })
        .optional(),
      retry: z
        .strictObject({
          firstAfterSeconds: z.number().min(0).max(WEEK_SECONDS).default(30),
          maxIntervalSeconds: z.number().min(0).max(WEEK_SECONDS).default(900),
          giveUpHours: z.number().min(0).max(24 * 365).default(24),
        })
        .default({ firstAfterSeconds: 30, maxIntervalSeconds: 900, giveUpHours: 24 }),
    })
    .optional(),
  approval: z
    .strictObject({
      /** "over-limits": only batches over a limit or the balance wait; "always": every batch waits for approval. */
      required: z.enum(['over-limits', 'always']).default('over-limits'),
      /** The approver must differ from the person who released the file. */
      fourEyes: z.boolean().default(false),
    })
    .default({ required: 'over-limits', fourEyes: false }),
  /** IANA time zone of archive/YYYY-MM-DD, of daily limits and of times shown to people (the journal stays UTC). */
  timezone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'an IANA time zone name, e.g. "UTC" or "America/Sao_Paulo"')
    .default('UTC'),

  // ---- DESIGN §13: the web console ----
  console: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      /** null: no console (watch); `paybatch console` needs a port. */
      port: z.number().int().min(0).max(65535).nullable().default(null),
      users: z
        .array(
          z
            .strictObject({
              name: z.string().min(1).max(100),
              /** A secret: inline, env: or file:. */
              password: z.string().min(1).optional(),
              /** From `paybatch hash-password`: scrypt:<N>:<r>:<p>:<salt b64>:<hash b64>. */
              passwordHash: z.string().regex(/^scrypt:\d+:\d+:\d+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'scrypt:<N>:<r>:<p>:<salt b64>:<hash b64> (paybatch hash-password)').optional(),
              roles: z.array(z.enum(['viewer', 'operator', 'approver'])).min(1),
            })
            .refine((u) => (u.password === undefined) !== (u.passwordHash === undefined), 'exactly one of password or passwordHash'),
        )
        .default([]),
    })
    .default({ host: '127.0.0.1', port: null, users: [] }),
});

export type PaybatchConfigFile = z.infer<typeof configSchema>;
