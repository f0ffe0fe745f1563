// Loads the configuration: the --config file (else $PAYBATCH_CONFIG, else ./config/default.json, else the
// built-in defaults), then environment overrides, then each provider block through its own schema.
// Every block is checked when the configuration is loaded (a typo in any of them is exit 2 before anything
// is read or paid); credentials given as env: or file: are resolved only when the provider is first used,
// so the variables of a provider this run does not use may be absent.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { configSchema, type PaybatchConfigFile } from './schema.ts';
import { describeZodError, nearest } from './describe.ts';
import { ConfigError, isSecretReference, readSmallFile, resolveSecret } from './secrets.ts';
import { registerSecret, registerSensitiveKeys } from '../log.ts';
import { getProvider, providerIds, providers } from '../providers/registry.ts';
import type { ProviderBlock, ProviderModule } from '../providers/types.ts';
import { strictSandboxSettings } from '../sandbox/settings.ts';

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

/** A configuration file holds settings and perhaps a few PEM keys: anything larger is not one. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

// Every provider's personal and secret field names are masked in logs wherever they appear.
for (const module of Object.values(providers)) if (module) registerSensitiveKeys(module.sensitiveFields);

function readConfigFile(file: string): unknown {
  let text = readSmallFile(file, MAX_CONFIG_BYTES, `config file ${file}`);
  // Windows editors save UTF-8 with a byte order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
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
    raw = readConfigFile(file);
    configPath = file;
    break;
  }
  if (!configPath && fs.existsSync(path.join(packageRoot, 'config/default.json')) && !options.configPath) {
    configPath = path.join(packageRoot, 'config/default.json');
    raw = readConfigFile(configPath);
  }
  const where = configPath ? `config (${configPath})` : 'config';
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error, 'config', configSchema, raw)} [${where}]`);
  const config = parsed.data;
  if (process.env.PAYBATCH_WORK) config.work = process.env.PAYBATCH_WORK;
  if (process.env.PAYBATCH_PROVIDER) config.provider = process.env.PAYBATCH_PROVIDER;
  if (options.work) config.work = options.work;
  if (options.provider) config.provider = options.provider;
  config.provider ||= providerIds[0]!;
  if (!getProvider(config.provider)) {
    const guess = nearest(config.provider, providerIds);
    throw new ConfigError(`unknown provider "${config.provider}"${guess ? ` (did you mean "${guess}"?)` : ''} (known: ${providerIds.join(', ')})`);
  }
  const workDir = path.resolve(config.work);
  if (fs.existsSync(workDir) && !fs.statSync(workDir).isDirectory())
    throw new ConfigError(`work folder ${workDir} is not a folder (it is a file): set "work" (or --work) to a folder`);
  const configDir = configPath ? path.dirname(configPath) : process.cwd();
  const loaded: LoadedConfig = { ...config, configPath, configDir, workDir };

  const problems: string[] = [];
  for (const id of Object.keys(config.providers)) {
    const module = getProvider(id);
    if (!module) {
      const guess = nearest(id, providerIds);
      problems.push(`config.providers.${id}: unknown provider${guess ? ` (did you mean "${guess}"?)` : ` (known: ${providerIds.join(', ')})`}`);
      continue;
    }
    const problem = checkProviderBlock(loaded, module);
    if (problem) problems.push(problem);
  }
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')} [${where}]`);
  return loaded;
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

/** The block's `sandbox` settings, strictly: shared plus the provider's own. */
function sandboxProblem(module: ProviderModule, settings: unknown): string | undefined {
  if (settings === undefined) return undefined;
  const schema = strictSandboxSettings(module.sandboxSettingsSchema);
  const parsed = schema.safeParse(settings);
  return parsed.success ? undefined : describeZodError(parsed.error, `providers.${module.id}.sandbox`, schema, settings);
}

/**
 * The block checked without resolving anything: a credential given as env:/file: (or left out of a live
 * block) is checked when it is resolved, on first use; everything else, unknown keys first, now.
 */
function checkProviderBlock(config: LoadedConfig, module: ProviderModule): string | undefined {
  const id = module.id;
  const input = { ...(config.providers[id] ?? {}) } as Record<string, unknown>;
  const sandbox = (input.baseUrl ?? 'sandbox') === 'sandbox';
  const deferred = new Set<string>();
  for (const cred of module.credentials) {
    const value = input[cred.key];
    if (typeof value === 'string' && value !== '') {
      if (isSecretReference(value)) deferred.add(cred.key);
      else if (cred.secret) registerSecret(value);
    } else if (sandbox) {
      input[cred.key] = cred.sandboxValue;
    } else {
      deferred.add(cred.key);
    }
  }
  const lines: string[] = [];
  const parsed = module.configSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.filter((i) => !(i.path.length > 0 && deferred.has(String(i.path[0]))));
    const shown = { ...input };
    for (const cred of module.credentials) if (cred.secret) delete shown[cred.key];
    if (issues.length) lines.push(describeZodError({ issues } as z.ZodError, `providers.${id}`, module.configSchema, shown));
  }
  const settings = sandboxProblem(module, input.sandbox);
  if (settings) lines.push(settings);
  return lines.length ? lines.join('; ') : undefined;
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
  if (!parsed.success) {
    // Values are shown only for enumerations; secrets never, not even then.
    const shown = { ...input };
    for (const cred of module.credentials) if (cred.secret) delete shown[cred.key];
    throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error, `providers.${id}`, module.configSchema, shown)}`);
  }
  const settings = sandboxProblem(module, input.sandbox);
  if (settings) throw new ConfigError(`invalid configuration: ${settings}`);
  return { module, block: parsed.data, sandbox, credentials };
}
