// Keys every provider block has (DESIGN §9). A provider's schema.ts extends this with its credentials
// and the settings PROVIDERS.md calls configurable (same key names as there).
import { z } from 'zod';

export const providerBlockBase = z.object({
  /** "sandbox" starts the provider's simulator in-process with built-in test credentials. */
  baseUrl: z.string().default('sandbox'),
  rate: z
    .object({ perSecond: z.number().positive().optional(), concurrency: z.number().int().positive().optional() })
    .default({}),
  poll: z
    .object({
      firstAfterSeconds: z.number().min(0).optional(),
      maxIntervalSeconds: z.number().positive().optional(),
      deadlineHours: z.number().positive().optional(),
    })
    .default({}),
  /** The public URL the provider calls back (sent as notifyUrl/ipnUrl/callbackUrl); null = none. */
  callbackUrl: z.string().nullable().default(null),
  /** Seconds to wait for an answer before the outcome is unknown. */
  timeoutSeconds: z.number().positive().default(30),
  /** Seconds after the last create attempt before a "not found" answer is trusted (DESIGN §3 rule 3). */
  notFoundWindowSeconds: z.number().min(0).optional(),
  /** Sandbox settings (settle delay, outcome rules, faults, rate limit): src/sandbox/settings.ts. */
  sandbox: z.record(z.string(), z.unknown()).default({}),
});

export type ProviderBlockBase = z.infer<typeof providerBlockBase>;

/** A credential value: inline, `env:NAME` or `file:PATH` (resolved by the loader before use). */
export const credential = z.string().min(1);
