// Issue 9: a payout is `failed` only on a documented definite failure. Whatever the adapter cannot read for
// certain is `unknown` (resolved by query) or stays `pending` until the poll deadline sends it to
// needs_review; an unknown code never ends a row. Each scenario runs the real CLI against a sandbox over
// loopback and reads what finance would read: the exit code, results.csv and the journal.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, startSandboxProcess, tempDir, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { clabeEnding, paybatchConfig, providerSheet, refFor, sandboxConfig, sandboxCredentials, sandboxStats } from '../helpers/sheets.ts';
import { batchOf, openJournal } from '../helpers/providers.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('paybatch-holes-');
});

/** Deadline of a few seconds: a row that never reads as final becomes needs_review quickly. */
const SHORT_POLL = { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.4, deadlineHours: 0.001 };

async function runSheet(name: string, cfg: Record<string, unknown>, csv: string) {
  const work = cfg.work as string;
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, csv);
  const config = writeJson(path.join(dir, `${name}.json`), cfg);
  const r = await runCli(['run', file, '--config', config, '--json'], { timeoutMs: 60_000 });
  const batch = batchOf({ ...r, signal: null });
  const rows = await readCsv(batch.reports.results_csv!);
  const byRef = new Map(rows.map((row) => [row.merchant_reference, row]));
  return { r, batch, byRef, work };
}

describe('vexora: an unrecognised query status never ends a row', () => {
  it('code 0000 with a missing, empty, unrecognised or prototype-named status stays pending, then needs_review at the deadline, raw text kept', async () => {
    const work = path.join(dir, 'vx-status');
    const refs = ['missing', 'empty', 'unknown', 'ctor', 'proto', 'paid', 'failed'].map((t, i) => refFor('vexora', `VS${t}`, i));
    const [missing, empty, unknown, ctor, proto, paid, failed] = refs as [string, string, string, string, string, string, string];
    const cfg = paybatchConfig(work, {
      vexora: {
        url: 'sandbox',
        block: {
          poll: SHORT_POLL,
          // Account ending 0003 never settles; while processing, these rows' queries answer odd statuses.
          sandbox: {
            settleAfterSeconds: 0.3,
            queryStatuses: [
              { reference: missing, status: null },
              { reference: empty, status: '' },
              { reference: unknown, status: '7777', message: 'something new' },
              { reference: ctor, status: 'constructor' },
              { reference: proto, status: '__proto__' },
            ],
          },
        },
      },
    });
    const sheet = providerSheet('vexora', [
      ...[missing, empty, unknown, ctor, proto].map((ref) => ({ ref, ending: '0003' })),
      { ref: paid, ending: '1111' },
      { ref: failed, ending: '0002' },
    ]);
    const { r, batch, byRef } = await runSheet('vx-status', cfg, sheet);

    expect(r.code, r.stderr).toBe(3); // rows need review: not "finished with failures" (1)
    expect(batch.counts).toMatchObject({ succeeded: 1, failed: 1, needs_review: 5, pending: 0 });
    for (const ref of [missing, empty, unknown, ctor, proto]) expect(byRef.get(ref)?.payout_status, ref).toBe('needs_review');
    expect(byRef.get(unknown)?.raw_status).toBe('7777');
    expect(byRef.get(ctor)?.raw_status).toBe('constructor');
    expect(byRef.get(proto)?.raw_status).toBe('__proto__');
    expect(byRef.get(missing)?.raw_status).toBe('');
    // The documented codes still decide: 0000 paid, 00029 failed.
    expect(byRef.get(paid)).toMatchObject({ payout_status: 'succeeded', raw_status: '0000' });
    expect(byRef.get(failed)).toMatchObject({ payout_status: 'failed', raw_status: '00029' });
  }, 90_000);
});

describe('vexora: a create answered with an undecided code is asked about, not failed', () => {
  it('an undocumented code after the payout was created → queried → succeeded; one not created → needs_review; only the decided 1001 fails; nothing sent twice', async () => {
    const work = path.join(dir, 'vx-create');
    const [createdRef, notCreatedRef, paramRef, noCodeRef] = ['made', 'none', 'param', 'nocode'].map((t, i) => refFor('vexora', `VC${t}`, i)) as [string, string, string, string];
    const cfg = paybatchConfig(work, {
      vexora: {
        url: 'sandbox',
        block: {
          poll: SHORT_POLL,
          notFoundWindowSeconds: 0.5,
          sandbox: {
            settleAfterSeconds: 0.3,
            createAnswers: [
              // A code from the sister template's table, answered although Vexora created (and then paid) it.
              { reference: createdRef, code: '0100019', msg: 'PAYEE_DAILY_CUMULATIVE_AMT_REACHED', created: true },
              { reference: notCreatedRef, code: '60019', msg: 'INSUFFICIENT_FUNDS', created: false },
              { reference: paramRef, code: '1001', msg: 'parameter error: mobile', created: false },
              { reference: noCodeRef, code: '', msg: 'error', created: false },
            ],
          },
        },
      },
    });
    const sheet = providerSheet('vexora', [createdRef, notCreatedRef, paramRef, noCodeRef].map((ref) => ({ ref, ending: '1111' })));
    const { r, batch, byRef } = await runSheet('vx-create', cfg, sheet);

    expect(r.code, r.stderr).toBe(3);
    expect(batch.counts).toMatchObject({ succeeded: 1, failed: 1, needs_review: 2 });
    // Paid at Vexora despite the error code: the query found it, and the report says so.
    expect(byRef.get(createdRef)).toMatchObject({ payout_status: 'succeeded', raw_status: '0000' });
    expect(byRef.get(notCreatedRef)?.payout_status).toBe('needs_review');
    expect(byRef.get(noCodeRef)?.payout_status).toBe('needs_review');
    expect(byRef.get(paramRef)).toMatchObject({ payout_status: 'failed', error_code: '1001' });

    const journal = openJournal(work);
    try {
      for (const ref of [createdRef, notCreatedRef, noCodeRef]) {
        const p = journal.payout(ref)!;
        expect(p.createAttempts, ref).toBe(1); // never resent
        const attempts = journal.attempts(p.id);
        expect(attempts.map((a) => a.kind).slice(0, 2), ref).toEqual(['create', 'query']); // asked first
        expect(attempts[0]!.outcome).toBe('unknown');
      }
    } finally {
      journal.close();
    }
  }, 90_000);
});

describe('vexora: notifyUrl is mandatory', () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    sandbox = await startSandboxProcess('vexora', writeJson(path.join(dir, 'vx-live-sandbox.json'), sandboxConfig({ vexora: {} })));
  }, 30_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('a live Vexora block without callbackUrl is refused at configuration load, naming the key; nothing is sent', async () => {
    const work = path.join(dir, 'vx-live');
    const ref = refFor('vexora', 'VLIVE', 0);
    const cfg = paybatchConfig(work, { vexora: { url: sandbox.url, block: { callbackUrl: null } } });
    const file = path.join(dir, 'vx-live.csv');
    fs.writeFileSync(file, providerSheet('vexora', [{ ref }]));
    const r = await runCli(['run', file, '--config', writeJson(path.join(dir, 'vx-live.json'), cfg)], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('providers.vexora.callbackUrl');
    expect(r.stderr).toMatch(/notifyUrl/);
    const stats = await sandboxStats(sandbox.url);
    expect(stats.byKind.create).toBe(0);
  }, 60_000);
});

describe('starpago: a query answer about another order (merOrderNo reused) is not this row', () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    // Without the duplicate check the sandbox behaves as StarPago does for currencies that allow reuse.
    sandbox = await startSandboxProcess('starpago', writeJson(path.join(dir, 'sp-sandbox.json'), sandboxConfig({ starpago: { duplicateCheck: false } })));
  }, 30_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('an earlier, paid order with the same merOrderNo answers the query: the row goes to needs_review, never succeeded', async () => {
    const ref = refFor('starpago', 'SPREUSE', 0);
    // An earlier order under the same merOrderNo (another system of the merchant's, or an old batch), paid.
    const creds = sandboxCredentials('starpago');
    const tokenRes = await fetch(`${sandbox.url}/api/v3/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', app_id: creds.appId, app_secret: creds.appSecret }),
    });
    const token = ((await tokenRes.json()) as { data: { token: string } }).data.token;
    const earlier = await fetch(`${sandbox.url}/api/v3/payout/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: `{"merOrderNo":${JSON.stringify(ref)},"currency":"MXN","payMethod":"SPEI","amount":990.00,"extra":{"clabe":"${clabeEnding('1111', 7)}","customerName":"Otro Cliente"}}`,
    });
    const earlierOrder = ((await earlier.json()) as { code: number; data: { orderNo: string } }).data.orderNo;
    expect(earlierOrder).toBeTruthy();

    const work = path.join(dir, 'sp-reuse');
    const cfg = paybatchConfig(work, { starpago: { url: sandbox.url, block: { poll: SHORT_POLL } } });
    // This row's own order never settles (0003); the earlier one is paid within a second.
    const { r, batch, byRef } = await runSheet('sp-reuse', cfg, providerSheet('starpago', [{ ref, ending: '0003' }]));

    expect(r.code, r.stderr).toBe(3);
    expect(batch.counts).toMatchObject({ succeeded: 0, needs_review: 1 });
    const row = byRef.get(ref)!;
    expect(row.payout_status).toBe('needs_review');
    expect(row.provider_reference).not.toBe(earlierOrder); // the order created for this row
    expect(row.error_message).toContain(earlierOrder);
  }, 90_000);
});
