// Loads the configuration: the --config file (else $PAYBATCH_CONFIG, else ./config/default.json, else the
// built-in defaults), then environment overrides, then each provider block through its own schema.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, type PaybatchConfigFile } from './schema.ts';
import { ConfigError, resolveSecret } from './secrets.ts';
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
      credentials[cred.key] = cred.sandboxValue;
      input[cred.key] = cred.sandboxValue;
    }
  }
  const parsed = module.configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error, `providers.${id}`)}`);
  return { module, block: parsed.data as ProviderBlock, sandbox, credentials };
}
