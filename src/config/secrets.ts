// Secrets are written inline, as env:NAME or as file:PATH (DESIGN §9). Resolved values are registered
// with the logger so they are redacted wherever they might appear.
import fs from 'node:fs';
import path from 'node:path';
import { registerSecret } from '../log.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function resolveSecret(value: string, key: string, baseDir: string, isSecret: boolean): string {
  let resolved = value;
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const v = process.env[name];
    if (v === undefined || v === '') throw new ConfigError(`${key}: environment variable ${name} is not set`);
    resolved = v;
  } else if (value.startsWith('file:')) {
    const file = path.resolve(baseDir, value.slice(5));
    try {
      resolved = fs.readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${key}: cannot read ${file}`);
    }
  }
  if (isSecret) registerSecret(resolved);
  return resolved;
}
