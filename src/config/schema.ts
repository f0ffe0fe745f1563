// The configuration file (DESIGN §9). Every key is optional but providers.<id>; provider blocks are
// checked by each provider's own schema in the loader.
import { z } from 'zod';

const decimalText = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal amount as text, e.g. "10000.00"');

export const configSchema = z.object({
  work: z.string().default('./work'),
  provider: z.string().default('vexora'),
  onInvalidRows: z.enum(['reject-file', 'skip-rows']).default('reject-file'),
  limits: z
    .object({
      maxRows: z.number().int().positive().optional(),
      maxRowAmount: z.record(z.string(), decimalText).default({}),
      maxFileTotal: z.record(z.string(), decimalText).default({}),
    })
    .default({ maxRowAmount: {}, maxFileTotal: {} }),
  /** Hold a batch whose total exceeds the provider balance, where the provider reports one. */
  balanceCheck: z.boolean().default(true),
  providers: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  intake: z
    .object({
      /** Seconds a file's size and mtime must stay unchanged before it is taken. */
      stableSeconds: z.number().min(0).default(2),
      /** `payouts.csv` waits for `payouts.csv.done`. */
      requireDoneFile: z.boolean().default(false),
      /** How often `watch` checks due polls and approvals. */
      tickSeconds: z.number().positive().default(1),
    })
    .default({ stableSeconds: 2, requireDoneFile: false, tickSeconds: 1 }),
  callbacks: z
    .object({
      /** Port `watch` serves provider callbacks on; null = no listener. */
      port: z.number().int().min(0).max(65535).nullable().default(null),
      host: z.string().default('127.0.0.1'),
      maxBodyBytes: z.number().int().positive().default(64 * 1024),
    })
    .default({ port: null, host: '127.0.0.1', maxBodyBytes: 64 * 1024 }),
  reports: z
    .object({ maskAccountNumbers: z.enum(['last4', 'none']).default('last4') })
    .default({ maskAccountNumbers: 'last4' }),
  /** `run-once` (cron) waits at most this long for payouts to settle, then leaves them for the next run. */
  runOnce: z.object({ waitSeconds: z.number().min(0).default(600) }).default({ waitSeconds: 600 }),
  /** How long succeeded payouts of providers that can reverse are re-checked (hours). */
  reversalWindowHours: z.number().min(0).default(72),
  reversalCheckEveryMinutes: z.number().positive().default(60),
  sheet: z
    .object({
      maxFileBytes: z.number().int().positive().default(512 * 1024 * 1024),
      maxXlsxUnpackedBytes: z.number().int().positive().default(1024 * 1024 * 1024),
      maxSharedStrings: z.number().int().positive().default(2_000_000),
    })
    .default({ maxFileBytes: 512 * 1024 * 1024, maxXlsxUnpackedBytes: 1024 * 1024 * 1024, maxSharedStrings: 2_000_000 }),
  logging: z.object({ level: z.string().default('info') }).default({ level: 'info' }),
});

export type PaybatchConfigFile = z.infer<typeof configSchema>;
