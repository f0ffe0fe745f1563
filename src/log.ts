// winston JSON-lines logger with redaction (redact.ts): secrets never leave the process, account numbers are masked.
import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { DateTime } from 'luxon';
import { learnAccounts, noteLogWriteFailure, redact } from './redact.ts';

export type Logger = winston.Logger;

export { logWriteFailure, maskNumber, redact, registerAccountNumber, registerSecret, registerSensitiveKeys } from './redact.ts';

const redactFormat = winston.format((info) => {
  // Account numbers anywhere in the entry are known before any of its text is scrubbed.
  for (const k of Object.keys(info)) if (k !== 'level' && k !== 'timestamp' && k !== 'message') learnAccounts((info as Record<string, unknown>)[k], k, 1);
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
    // Our own stream, not winston's File transport: that one swallows write errors (a full disk) and then
    // never finishes, so a command would hang on exit. Here a failed write is said once, on stderr.
    const stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      const failure = `the log ${file} cannot be written${err.code === 'ENOSPC' ? ': the disk is full' : ''} (${err.message})`;
      if (noteLogWriteFailure(failure)) process.stderr.write(`paybatch: ${failure}\n`);
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
