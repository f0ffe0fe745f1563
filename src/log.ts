// winston JSON-lines logger with redaction: secrets never leave the process, account numbers are masked.
import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { DateTime } from 'luxon';

export type Logger = winston.Logger;

/** Configured secret values (tokens, app secrets, private keys): replaced wherever they appear. */
const secretValues = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secretValues.add(value);
  // PEM keys also travel as their Base64 body lines; redact each long line on its own too.
  for (const line of value.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) secretValues.add(line.trim());
}

const SECRET_KEY = /(secret|token|password|passwd|private|signature|^sign$|verifysign|authorization|apikey|api_key|jwt)/i;
const ACCOUNT_KEY = /(account_?n(o|umber)|acctno|bankaccount(no|id)?|banknumber|card_?n(o|umber)|clabe|pan$|iban|^mobile$|^phone)/i;

/** Field names providers call personal or secret (ProviderModule.sensitiveFields), lower-cased. */
const sensitiveKeys = new Set<string>();

export function registerSensitiveKeys(keys: Iterable<string>): void {
  for (const k of keys) sensitiveKeys.add(k.toLowerCase());
}

/**
 * Account and card numbers seen so far (digits only): masked wherever they appear, free text included.
 * Learned from account-like fields of every log entry and from registerAccountNumber. Other long numbers
 * (timestamps, amounts in minor units, batch ids) stay readable.
 */
const knownAccounts = new Set<string>();
const MAX_KNOWN_ACCOUNTS = 1_000_000;
const digitsOnly = (s: string) => s.replace(/[\s-]/g, '');

export function registerAccountNumber(value: string | undefined | null): void {
  if (!value) return;
  const digits = digitsOnly(String(value));
  // Short values (a 4-digit ending, a PIN-length code) are not identifying and would mask too much.
  if (/^\d{6,}$/.test(digits) && knownAccounts.size < MAX_KNOWN_ACCOUNTS) knownAccounts.add(digits);
}

const isAccountKey = (key: string) => ACCOUNT_KEY.test(key) || (sensitiveKeys.has(key.toLowerCase()) && !SECRET_KEY.test(key));
const isSecretKey = (key: string) => SECRET_KEY.test(key);

/** Keeps the last 4 characters of an account or card number. */
export function maskNumber(value: string): string {
  const s = String(value);
  if (s.length <= 4) return '****';
  return '****' + s.slice(-4);
}

function scrubString(s: string): string {
  let out = s;
  for (const secret of secretValues) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  if (knownAccounts.size === 0) return out;
  // Digit runs, also written in groups ("4111 1111 1111 1111"), that are a known account or card number.
  return out.replace(/\d(?:[ -]?\d){5,}/g, (m) => (knownAccounts.has(digitsOnly(m)) ? maskNumber(digitsOnly(m)) : m));
}

/** Registers the values of account-like fields anywhere in `value`, so free text about them is masked too. */
function learnAccounts(value: unknown, key: string, depth: number): void {
  if (depth > 6 || value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    if (key && isAccountKey(key) && !isSecretKey(key)) registerAccountNumber(String(value));
    return;
  }
  if (typeof value !== 'object' || value instanceof Error) return;
  if (Array.isArray(value)) for (const v of value) learnAccounts(v, key, depth + 1);
  else for (const [k, v] of Object.entries(value as Record<string, unknown>)) learnAccounts(v, k, depth + 1);
}

export function redact(value: unknown, key = '', depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (value === null || value === undefined) return value;
  if (depth === 0) learnAccounts(value, key, 0);
  if (typeof value === 'string') {
    if (key && isSecretKey(key)) return '[redacted]';
    if (key && isAccountKey(key)) return maskNumber(value);
    return scrubString(value);
  }
  if (typeof value === 'number' && key && isAccountKey(key)) return maskNumber(String(value));
  if (typeof value === 'bigint') return key && isAccountKey(key) ? maskNumber(value.toString()) : value.toString();
  if (typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: scrubString(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redact(v, k, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  // Account numbers anywhere in the entry are known before any of its text is scrubbed.
  for (const k of Object.keys(info)) if (k !== 'level' && k !== 'timestamp' && k !== 'message') learnAccounts((info as Record<string, unknown>)[k], k, 1);
  for (const k of Object.keys(info)) {
    if (k === 'level' || k === 'timestamp') continue;
    (info as Record<string, unknown>)[k] = redact((info as Record<string, unknown>)[k], k === 'message' ? '' : k);
  }
  return info;
})();

/** Why a log file could not be written (the command then ends with exit 2), or null. */
let logFailure: string | null = null;

export function logWriteFailure(): string | null {
  return logFailure;
}

export interface LoggerOptions {
  workDir?: string;
  level?: string;
  /** Also print warnings and errors to stderr in a short human form (CLI use). */
  console?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const transports: winston.transport[] = [];
  if (options.workDir) {
    const dir = path.join(options.workDir, 'logs');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `paybatch-${DateTime.utc().toFormat('yyyy-MM-dd')}.log`);
    // Our own stream, not winston's File transport: that one swallows write errors (a full disk) and then
    // never finishes, so a command would hang on exit. Here a failed write is said once, on stderr.
    const stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (logFailure) return;
      logFailure = `the log ${file} cannot be written${err.code === 'ENOSPC' ? ': the disk is full' : ''} (${err.message})`;
      process.stderr.write(`paybatch: ${logFailure}\n`);
    });
    transports.push(new winston.transports.Stream({ stream }));
  }
  if (options.console) {
    transports.push(
      new winston.transports.Console({
        level: 'warn',
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.printf((info) => `paybatch: ${info.level}: ${String(info.message)}`),
      }),
    );
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  const wanted = options.level ?? process.env.PAYBATCH_LOG_LEVEL ?? 'info';
  return winston.createLogger({
    // An unknown level would log nothing at all (the schema refuses one in the config; the variable may hold any).
    level: wanted in winston.config.npm.levels ? wanted : 'info',
    format: winston.format.combine(redactFormat, winston.format.timestamp(), winston.format.json()),
    transports,
  });
}

/** A logger that writes nothing (tests, sandboxes run without a work folder). */
export function silentLogger(): Logger {
  return winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
}
