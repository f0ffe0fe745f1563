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
/** Keys whose long digit strings are identifiers we chose (merchant references), safe to log in full. */
const REFERENCE_KEY = /(reference|^ref$|msgid|tradeno|invoiceid|merorderno|payoutid|batchid|externaltransactionid|sha256|^pid$|timestamp|row)/i;

/** Keeps the last 4 characters of an account or card number. */
export function maskNumber(value: string): string {
  const s = String(value);
  if (s.length <= 4) return '****';
  return '****' + s.slice(-4);
}

function scrubString(s: string): string {
  let out = s;
  for (const secret of secretValues) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  // Long digit runs in free text (account/card numbers pasted into messages) keep their last 4 digits.
  return out.replace(/\d{9,}/g, (m) => maskNumber(m));
}

export function redact(value: unknown, key = '', depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (key && SECRET_KEY.test(key)) return '[redacted]';
    if (key && ACCOUNT_KEY.test(key)) return maskNumber(value);
    if (key && REFERENCE_KEY.test(key)) {
      let out = value;
      for (const secret of secretValues) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
      return out;
    }
    return scrubString(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: scrubString(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redact(v, k, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  for (const k of Object.keys(info)) {
    if (k === 'level' || k === 'timestamp') continue;
    (info as Record<string, unknown>)[k] = redact((info as Record<string, unknown>)[k], k === 'message' ? '' : k);
  }
  return info;
})();

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
    transports.push(new winston.transports.File({ filename: file, options: { flags: 'a', mode: 0o600 } }));
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
  return winston.createLogger({
    level: options.level ?? process.env.PAYBATCH_LOG_LEVEL ?? 'info',
    format: winston.format.combine(redactFormat, winston.format.timestamp(), winston.format.json()),
    transports,
  });
}

/** A logger that writes nothing (tests, sandboxes run without a work folder). */
export function silentLogger(): Logger {
  return winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
}
