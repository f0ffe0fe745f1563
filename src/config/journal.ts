// Which journal a command opens (DESIGN §11): "sqlite" (the work folder's own file) or one PostgreSQL database
// shared by every process of a deployment. The URL carries a password: it is resolved like any secret,
// registered for redaction, and only ever shown without it.
import { registerSecret } from '../log.ts';
import type { LoadedConfig } from './load.ts';
import { ConfigError, isSecretReference, resolveSecret } from './secrets.ts';

export type JournalSetting =
  | { kind: 'sqlite' }
  | {
      kind: 'postgres';
      url: string;
      /** The URL without its password, for messages and logs. */
      shown: string;
    };

/** The journal setting: PAYBATCH_JOURNAL overrides `journal`; either may be inline, env:NAME or file:PATH. */
export function journalSetting(config: Pick<LoadedConfig, 'journal' | 'configDir'>): JournalSetting {
  const fromEnv = process.env.PAYBATCH_JOURNAL;
  const raw = fromEnv || config.journal;
  const where = fromEnv ? 'PAYBATCH_JOURNAL' : 'journal';
  if (raw === 'sqlite') return { kind: 'sqlite' };
  const value = isSecretReference(raw) ? resolveSecret(raw, where, config.configDir, true) : raw;
  if (value === 'sqlite') return { kind: 'sqlite' };
  registerSecret(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Never echo the value: it may hold a password.
    throw new ConfigError(`${where}: "sqlite" or a postgres://user:password@host:port/database URL (the value given is neither)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new ConfigError(`${where}: "sqlite" or a postgres:// URL (given: a ${url.protocol.replace(/:$/, '')}: URL)`);
  if (url.password) {
    registerSecret(url.password);
    registerSecret(decodeURIComponent(url.password));
  }
  const shown = `${url.protocol}//${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
  return { kind: 'postgres', url: value, shown };
}

/**
 * With a shared journal every provider must be one real (or shared, `paybatch sandbox`) server: an embedded
 * sandbox per process would answer "not found" for the payouts another process created there, and a
 * "not found" may end a row as failed. Refused before anything is read (exit 2).
 */
export function refuseEmbeddedSandboxes(config: Pick<LoadedConfig, 'provider' | 'providers'>, shown: string): void {
  const ids = new Set([config.provider, ...Object.keys(config.providers)]);
  const embedded = [...ids].filter((id) => ((config.providers[id] as { baseUrl?: unknown } | undefined)?.baseUrl ?? 'sandbox') === 'sandbox');
  if (embedded.length)
    throw new ConfigError(
      `providers.${embedded[0]}.baseUrl is "sandbox" (embedded) but the journal is shared (${shown}): every process would simulate its own ` +
        `provider and see the others' payouts as "not found". Start one "paybatch sandbox" and give its URL as baseUrl` +
        (embedded.length > 1 ? ` (also: ${embedded.slice(1).join(', ')})` : ''),
    );
}
