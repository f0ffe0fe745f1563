// Loads the configuration: the --config file (else $PAYBATCH_CONFIG, else ./config/default.json, else the
// built-in defaults), then environment overrides, then each provider block through its own schema.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, type PaybatchConfigFile } from './schema.ts';
import { ConfigError, resolveSecret } from './secrets.ts';
import { registerSecret } from '../log.ts';
import { getProvider, providerIds } from '../providers/registry.ts';
import type { ProviderBlock, ProviderModule } from '../providers/types.ts';

export { ConfigError };

export interface LoadedConfig extends PaybatchConfigFile {
  configPath: string | null;
  configDir: string;
  /** Absolute work folder. */
  workDir: string;
}

export interface LoadOptions {
  configPath?: string;
  work?: string;
  provider?: string;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function describeZodError(error: z.ZodError, where: string): string {
  return error.issues.map((i) => `${where}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`).join('; ');
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const candidates = [options.configPath, process.env.PAYBATCH_CONFIG, path.resolve('config/default.json')];
  let configPath: string | null = null;
  let raw: unknown = {};
  for (const candidate of candidates) {
    if (!candidate) continue;
    const file = path.resolve(candidate);
    if (!fs.existsSync(file)) {
      if (candidate === options.configPath || candidate === process.env.PAYBATCH_CONFIG) throw new ConfigError(`config file not found: ${file}`);
      continue;
    }
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    configPath = file;
    break;
  }
  if (!configPath && fs.existsSync(path.join(packageRoot, 'config/default.json')) && !options.configPath) {
    configPath = path.join(packageRoot, 'config/default.json');
    raw = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error, 'config')}`);
  const config = parsed.data;
  if (process.env.PAYBATCH_WORK) config.work = process.env.PAYBATCH_WORK;
  if (process.env.PAYBATCH_PROVIDER) config.provider = process.env.PAYBATCH_PROVIDER;
  if (options.work) config.work = options.work;
  if (options.provider) config.provider = options.provider;
  if (!getProvider(config.provider))
    throw new ConfigError(`unknown provider "${config.provider}" (known: ${providerIds.join(', ')})`);
  const configDir = configPath ? path.dirname(configPath) : process.cwd();
  return { ...config, configPath, configDir, workDir: path.resolve(config.work) };
}

export interface ResolvedProvider {
  module: ProviderModule;
  /** The provider block parsed by its schema, credentials resolved (sandbox built-ins when absent). */
  block: ProviderBlock;
  /** True when the embedded sandbox is to be started for it (baseUrl "sandbox"). */
  sandbox: boolean;
  /** Resolved credentials by key (for the embedded sandbox to accept the same ones). */
  credentials: Record<string, string>;
}

/** PAYBATCH_VEXORA_MERCHANT_NO, PAYBATCH_STARPAY_PRIVATE_KEY, … */
export function credentialEnvName(provider: string, key: string): string {
  return `PAYBATCH_${provider}_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2')}`.toUpperCase();
}

export function resolveProvider(config: LoadedConfig, id: string): ResolvedProvider {
  const module = getProvider(id);
  if (!module) throw new ConfigError(`unknown provider "${id}" (known: ${providerIds.join(', ')})`);
  const input = { ...(config.providers[id] ?? {}) } as Record<string, unknown>;
  const sandbox = (input.baseUrl ?? 'sandbox') === 'sandbox';
  const credentials: Record<string, string> = {};
  for (const cred of module.credentials) {
    const value = input[cred.key];
    if (typeof value === 'string' && value !== '') {
      credentials[cred.key] = resolveSecret(value, `providers.${id}.${cred.key}`, config.configDir, cred.secret);
      input[cred.key] = credentials[cred.key];
    } else if (sandbox) {
      // On a sandbox, a credential left out comes from PAYBATCH_<PROVIDER>_<KEY> when set (the names the
      // design's example uses, e.g. PAYBATCH_VEXORA_SECRET), else the built-in test value: a sandbox started
      // by `paybatch sandbox` and a run in the same environment then agree without a config file.
      const fromEnv = process.env[credentialEnvName(id, cred.key)];
      credentials[cred.key] = fromEnv || cred.sandboxValue;
      if (fromEnv && cred.secret) registerSecret(fromEnv);
      input[cred.key] = credentials[cred.key];
    }
  }
  const parsed = module.configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error, `providers.${id}`)}`);
  return { module, block: parsed.data as ProviderBlock, sandbox, credentials };
}
