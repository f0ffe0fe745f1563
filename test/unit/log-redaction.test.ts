// Issue 10, case 12: the log masks account numbers (by field, and wherever a known one appears in free
// text), and secrets everywhere, but leaves other long numbers readable: timestamps, amounts in minor
// units, batch ids. The logger as the CLI creates it, writing its JSON lines to a real work folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, registerAccountNumber, registerSecret } from '../../src/log.ts';

async function logged(write: (log: ReturnType<typeof createLogger>) => void): Promise<Record<string, unknown>[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-log-'));
  const log = createLogger({ workDir: work, level: 'debug' });
  write(log);
  await new Promise<void>((resolve) => {
    log.on('finish', () => resolve());
    log.end();
  });
  await new Promise((r) => setTimeout(r, 50));
  const dir = path.join(work, 'logs');
  return fs
    .readdirSync(dir)
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('log redaction', () => {
  it('long numbers that are not account numbers stay readable: epoch ms, minor units, batch ids, counts', async () => {
    const [line] = await logged((log) =>
      log.info('batch 20261121-3fa2b1c9: total 150000000000 minor units, next check at 1732999999999', { nextCheckAt: 1732999999999, totalMinor: '150000000000', batchId: '20261121-3fa2b1c9' }),
    );
    expect(line!.message).toBe('batch 20261121-3fa2b1c9: total 150000000000 minor units, next check at 1732999999999');
    expect(line).toMatchObject({ nextCheckAt: 1732999999999, totalMinor: '150000000000', batchId: '20261121-3fa2b1c9' });
  });

  it('account-like fields are masked, and the same numbers in free text too, in that entry and later ones', async () => {
    const lines = await logged((log) => {
      log.warn('provider said: account 0000003100555566661111 does not exist', { accountNo: '0000003100555566661111', mobile: '0911234567' });
      log.error('retrying payout to 0000003100555566661111 (mobile 09-1123-4567)');
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('0000003100555566661111');
    expect(text).not.toContain('0911234567');
    expect(lines[0]).toMatchObject({ accountNo: '****1111', mobile: '****4567', message: 'provider said: account ****1111 does not exist' });
    expect(lines[1]!.message).toBe('retrying payout to ****1111 (mobile ****4567)');
  });

  it('an account number the engine registered is masked wherever it appears, grouped digits included', async () => {
    registerAccountNumber('4111 2222 3333 4444');
    const [line] = await logged((log) => log.info('card 4111 2222 3333 4444 refused; also written 4111222233334444'));
    expect(line!.message).toBe('card ****4444 refused; also written ****4444');
  });

  it('secrets are redacted everywhere, by field and by value', async () => {
    registerSecret('S3CR3T-LOG-VALUE-77');
    const [line] = await logged((log) => log.info('signing with S3CR3T-LOG-VALUE-77', { token: 'whatever-it-is', detail: { inner: 'x S3CR3T-LOG-VALUE-77 y' } }));
    expect(JSON.stringify(line)).not.toContain('S3CR3T-LOG-VALUE-77');
    expect(line).toMatchObject({ message: 'signing with [redacted]', token: '[redacted]', detail: { inner: 'x [redacted] y' } });
  });
});
