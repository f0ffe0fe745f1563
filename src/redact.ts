// Redaction for the log and for what paybatch prints: secrets never leave the process, account numbers are
// masked. Apart from log.ts (winston) so that main.ts's error path and `--help` load no logger.

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
export function learnAccounts(value: unknown, key: string, depth: number): void {
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

/** Why a log file could not be written (the command then ends with exit 2), or null. */
let logFailure: string | null = null;

export function logWriteFailure(): string | null {
  return logFailure;
}

/** Records the first log write failure (log.ts); later ones are not news. */
export function noteLogWriteFailure(reason: string): boolean {
  if (logFailure) return false;
  logFailure = reason;
  return true;
}
