// Keys every provider block has (DESIGN §9). A provider's schema.ts extends this with its credentials
// and the settings PROVIDERS.md calls configurable (same key names as there). The base is strict, and
// `extend` keeps it so: a misspelt key (`secrett`, `rates`) is an error, not a setting that vanishes.
import { z } from 'zod';
import { WEEK_SECONDS } from './schema.ts';

/** A provider block's own notification settings (read by notify/ from the block as configured). */
export const providerNotify = z.strictObject({ to: z.array(z.string().min(3)).min(1) });

/** Requests per second: fractions for slow tests, never a rate so small its interval overflows a timer. */
const perSecond = z.number().min(0.01).max(100_000);

export const providerBlockBase = z.strictObject({
  /** "sandbox" starts the provider's simulator in-process with built-in test credentials. */
  baseUrl: z.string().min(1).default('sandbox'),
  rate: z
    .strictObject({ perSecond: perSecond.optional(), concurrency: z.number().int().positive().max(1000).optional() })
    .default({}),
  poll: z
    .strictObject({
      firstAfterSeconds: z.number().min(0).max(WEEK_SECONDS).optional(),
      maxIntervalSeconds: z.number().positive().max(WEEK_SECONDS).optional(),
      deadlineHours: z.number().positive().max(WEEK_SECONDS / 3600).optional(),
    })
    .default({}),
  /** The public URL the provider calls back (sent as notifyUrl/ipnUrl/callbackUrl); null = none. */
  callbackUrl: z.string().nullable().default(null),
  /** Seconds to wait for an answer before the outcome is unknown. */
  timeoutSeconds: z.number().min(0.01).max(3600).default(30),
  /** Seconds after the last create attempt before a "not found" answer is trusted (DESIGN §3 rule 3). */
  notFoundWindowSeconds: z.number().min(0).max(WEEK_SECONDS).optional(),
  /**
   * Sandbox settings (settle delay, outcome rules, faults, rate limit): checked strictly by the loader
   * against src/sandbox/settings.ts plus the provider's own sandbox settings.
   */
  sandbox: z.record(z.string(), z.unknown()).default({}),
  /** DESIGN §12: this provider's batches are mailed to these recipients instead of notify.email.to. */
  notify: providerNotify.optional(),
});

export type ProviderBlockBase = z.infer<typeof providerBlockBase>;

/** A credential value: inline, `env:NAME` or `file:PATH` (resolved by the loader before use). */
export const credential = z.string().min(1);
