// Issue 9, item 4: Yuansfer's 000040 ("Account balance is not sufficient") is about the merchant's account,
// not the row. It holds the batch for the balance, as the balance pre-check does: the refused row goes back
// to the queue (it was not created), nothing more is sent, and `paybatch approve` releases it once the
// account is funded. The real CLI against a Yuansfer sandbox in its own process.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startSandboxProcess, tempDir, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { paybatchConfig, providerSheet, refFor, sandboxConfig, sandboxSettings, sandboxStats } from '../helpers/sheets.ts';
import { batchOf, openJournal } from '../helpers/providers.ts';

let dir: string;
let sandbox: SandboxProcess;

beforeAll(async () => {
  dir = tempDir('paybatch-balance-hold-');
  sandbox = await startSandboxProcess('yuansfer', writeJson(path.join(dir, 'sandbox.json'), sandboxConfig({ yuansfer: { balances: { USD: '15.00' } } })));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('yuansfer: insufficient balance mid-batch', () => {
  it('000040 holds the batch (exit 3), the refused row is queued again and the rest are not sent; approve after funding pays every row once', async () => {
    const work = path.join(dir, 'work');
    const refs = [1, 2, 3, 4].map((i) => refFor('yuansfer', 'BALHOLD', i));
    const file = path.join(dir, 'payouts.csv');
    fs.writeFileSync(file, providerSheet('yuansfer', refs.map((ref) => ({ ref, amount: '10.00' }))));
    const cfg = writeJson(
      path.join(dir, 'config.json'),
      paybatchConfig(
        work,
        // One row at a time, so which row meets the empty account is certain.
        { yuansfer: { url: sandbox.url, block: { rate: { perSecond: 50, concurrency: 1 } } } },
        // The pre-check is off, as if the balance had moved after it (other payouts, another system).
        { balanceCheck: false },
      ),
    );

    const first = await runCli(['run', file, '--config', cfg, '--json'], { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(3);
    const held = batchOf({ ...first, signal: null }) as ReturnType<typeof batchOf> & { notes: string[] };
    expect(held.state).toBe('held');
    expect(held.counts.failed).toBe(0);
    // The row paid before the hold is followed to its final status while the batch waits (nothing is sent).
    expect(held.counts).toMatchObject({ succeeded: 1, pending: 3 });
    expect(held.notes.join(' ')).toMatch(/held: .*000040/);
    const sent = (await sandboxStats(sandbox.url)).createRequests;
    expect(sent[refs[0]!]).toBe(1); // 10.00 of 15.00: paid
    expect(sent[refs[2]!]).toBeUndefined(); // never sent while held
    expect(sent[refs[3]!]).toBeUndefined();
    let journal = openJournal(work);
    try {
      expect(journal.payout(refs[1]!)).toMatchObject({ status: 'queued', createAttempts: 1 }); // refused, not failed
      for (const ref of refs.slice(2)) expect(journal.payout(ref)?.createAttempts, ref).toBe(0);
    } finally {
      journal.close();
    }
    const status = await runCli(['status', held.id, '--config', cfg, '--json']);
    expect(JSON.parse(status.stdout).batches[0].state).toBe('held');

    // Funds arrive; the operator approves; the next run sends the rest (the held batch is resumed, not read again).
    await sandboxSettings(sandbox.url, { balances: { USD: '1000.00' } });
    const approve = await runCli(['approve', held.id, '--config', cfg]);
    expect(approve.code, approve.stderr).toBe(0);
    const go = await runCli(['run-once', '--config', cfg, '--json'], { timeoutMs: 60_000 });
    expect(go.code, go.stderr).toBe(0);
    const done = batchOf({ ...go, signal: null });
    expect(done).toMatchObject({ id: held.id, state: 'completed' });
    expect(done.counts).toMatchObject({ succeeded: 4, failed: 0, pending: 0 });
    const stats = await sandboxStats(sandbox.url);
    for (const ref of refs) expect((stats as unknown as { created: Record<string, number> }).created[ref], ref).toBe(1);
    // Pockyt replays the first answer to a Pockyt-Request-ID, refusal included: the resent row met the
    // replayed 000040 and went on under the next request id rather than being held again.
    const payees = (await (await fetch(`${sandbox.url}/__yuansfer/stats`)).json()) as { yuansfer: { replays: number } };
    expect(payees.yuansfer.replays).toBeGreaterThanOrEqual(1);
    journal = openJournal(work);
    try {
      expect(journal.payout(refs[1]!)).toMatchObject({ status: 'succeeded', createAttempts: 2 });
    } finally {
      journal.close();
    }
  }, 120_000);
});
