// Secrets are written inline, as env:NAME or as file:PATH (DESIGN §9). Resolved values are registered
// with the logger so they are redacted wherever they might appear.
import fs from 'node:fs';
import path from 'node:path';
import { registerSecret } from '../redact.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A secret is a key, a token or a PEM: a few KiB. `file:/dev/zero` must not grow the process to gigabytes. */
export const MAX_SECRET_BYTES = 64 * 1024;

export const isSecretReference = (value: string): boolean => value.startsWith('env:') || value.startsWith('file:');

/**
 * Reads a small regular file as UTF-8, refusing anything else before reading it: a device (`/dev/zero`),
 * a FIFO (which would block), a folder, or a file larger than `maxBytes`. Errors name the file, never
 * its content.
 */
export function readSmallFile(file: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any non-file.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new ConfigError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(`${what}: ${file} is not a regular file`);
    if (stat.size > maxBytes) throw new ConfigError(`${what}: ${file} is ${stat.size} bytes, more than the ${maxBytes} a secret or configuration may have`);
    // Read at most maxBytes + 1 even if the file grows meanwhile.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new ConfigError(`${what}: ${file} is larger than the ${maxBytes} bytes a secret or configuration may have`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
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
    resolved = readSmallFile(file, MAX_SECRET_BYTES, key).trim();
    if (resolved === '') throw new ConfigError(`${key}: ${file} is empty`);
  }
  if (isSecret) registerSecret(resolved);
  return resolved;
}
