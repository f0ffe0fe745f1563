// Setting payees up once: register + add bank account through the adapter's prepare, the engine's cache by
// payeeKey, and recovery after a crash between registering and adding the account.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { PayoutRequest, ProviderAdapter } from '../../src/providers/types.ts';
import { createAdapter, PATHS } from '../../src/providers/yuansfer/client.ts';
import { customerCode } from '../../src/providers/yuansfer/payee.ts';
import { PAYEE_STATS_PATH, startYuansferSandbox, type YuansferSandboxHandle } from '../../src/providers/yuansfer/sandbox.ts';
import { yuansferConfigSchema } from '../../src/providers/yuansfer/schema.ts';
import { apiTimestamp, signedBody } from '../../src/providers/yuansfer/sign.ts';

const CREDS = { merchantNo: '202333', storeNo: '301854', token: 'integration-token-payees' };
const FAST = { settleAfterSeconds: 0.2, reverseAfterSeconds: 0.2 };
let seq = 0;

function adapterFor(url: string, overrides: Record<string, unknown> = {}): ProviderAdapter {
  return createAdapter(yuansferConfigSchema.parse({ baseUrl: url, ...CREDS, timeoutSeconds: 5, ...overrides }), { log: silentLogger() });
}

function payee(name: string, accountNumber: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    first_name: name, last_name: 'Okafor', email: `${name.toLowerCase()}@example.com`, date_of_birth: '1979-07-04',
    mobile: '2125550199', street: '1 Main St', city: 'Austin', state: 'TX', zip: '78701', country: 'US',
    routing_number: '111000025', account_number: accountNumber, account_type: 'SAVINGS', ...extra,
  };
}

function payout(fields: Record<string, string>, prepared?: Record<string, string>): PayoutRequest {
  seq++;
  return {
    payoutId: `p-${seq}`, batchId: 'b-payees', rowNumber: seq + 1, merchantReference: `PAYEE-${process.pid}-${seq}`,
    amountMinor: 1000n, amount: '10.00', currency: 'USD', fields, extra: {}, additional: {}, prepared,
  };
}

async function rawCall(url: string, p: string, params: Record<string, string>) {
  const { body } = signedBody({ merchantNo: CREDS.merchantNo, storeNo: CREDS.storeNo, timestamp: apiTimestamp(), ...params }, CREDS.token);
  const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return (await res.json()) as Record<string, any>;
}

/** What the engine does: prepare once per payeeKey, hand the cached result to every row with that key. */
async function prepareLikeTheEngine(adapter: ProviderAdapter, rows: PayoutRequest[], cache: Map<string, Record<string, string>>) {
  const out: PayoutRequest[] = [];
  for (const row of rows) {
    const key = adapter.payeeKey!(row);
    let prepared = key ? cache.get(key) : undefined;
    if (!prepared) {
      const result = await adapter.prepare!(row);
      if (result.kind !== 'ready') throw new Error(JSON.stringify(result));
      prepared = result.prepared;
      if (key) cache.set(key, prepared);
    }
    out.push({ ...row, prepared });
  }
  return out;
}

describe('yuansfer payees', () => {
  let sandbox: YuansferSandboxHandle;
  beforeAll(async () => {
    sandbox = await startYuansferSandbox({ credentials: CREDS, settings: FAST });
  });
  afterAll(async () => sandbox.close());
  afterEach(() => sandbox.server.faults.clear());

  it('registers the payee and adds the bank account, returning customerNo and accountToken', async () => {
    const adapter = adapterFor(sandbox.url);
    const fields = payee('Ada', '44440001');
    const result = await adapter.prepare!(payout(fields));
    expect(result).toMatchObject({ kind: 'ready', prepared: { customerNo: expect.stringMatching(/^\d{22}$/), accountToken: expect.stringMatching(/^\d{22}$/) } });
    const code = customerCode(fields);
    expect(sandbox.payeeStats().registrations[code]).toBe(1);
    if (result.kind !== 'ready') return;
    const listed = await rawCall(sandbox.url, '/v3/payee/payout-accounts', { customerNo: result.prepared.customerNo! });
    expect(listed.accounts).toEqual([expect.objectContaining({ accountToken: result.prepared.accountToken, cardNumber: '****0001', status: 'activated' })]);
  });

  it('the same payee in two rows is registered once (the same adapter prepares both)', async () => {
    const adapter = adapterFor(sandbox.url);
    const rowA = payout(payee('Bea', '55550001', { amount: '10.00' }));
    const rowB = payout(payee('Bea', '55550001', { amount: '25.00', note: 'bonus' }));
    expect(adapter.payeeKey!(rowA)).toBe(adapter.payeeKey!(rowB));
    const a = await adapter.prepare!(rowA);
    const b = await adapter.prepare!(rowB);
    expect(b).toEqual(a);
    const code = customerCode(rowA.fields);
    const stats = sandbox.payeeStats();
    expect(stats.registrations[code]).toBe(1);
    expect(stats.customersByCode[code]).toBe(1);
    if (a.kind === 'ready') {
      expect(stats.accountsByCustomer[a.prepared.customerNo!]).toBe(1);
      expect(stats.accountRequests[a.prepared.customerNo!]).toBe(1);
    }
  });

  it('the same payee in rows prepared at the same time is registered once', async () => {
    const adapter = adapterFor(sandbox.url);
    const rows = [1, 2, 3].map(() => payout(payee('Bob', '55550002')));
    const results = await Promise.all(rows.map((r) => adapter.prepare!(r)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(results[0]!.kind).toBe('ready');
    expect(sandbox.payeeStats().registrations[customerCode(rows[0]!.fields)]).toBe(1);
  });

  it('the same payee across rows and batches is registered once when the engine caches by payeeKey', async () => {
    const cache = new Map<string, Record<string, string>>();
    const first = await prepareLikeTheEngine(adapterFor(sandbox.url), [payout(payee('Cy', '66660001')), payout(payee('Cy', '66660001')), payout(payee('Dee', '66660002'))], cache);
    // A later batch, a new process: the journal still has the payee.
    const later = await prepareLikeTheEngine(adapterFor(sandbox.url), [payout(payee('Cy', '66660001'))], cache);
    expect(later[0]!.prepared).toEqual(first[0]!.prepared);
    expect(first[1]!.prepared).toEqual(first[0]!.prepared);
    expect(first[2]!.prepared!.customerNo).not.toBe(first[0]!.prepared!.customerNo);
    const stats = sandbox.payeeStats();
    expect(stats.registrations[customerCode(payee('Cy', '66660001'))]).toBe(1);
    expect(stats.registrations[customerCode(payee('Dee', '66660002'))]).toBe(1);
    // And both rows pay.
    const adapter = adapterFor(sandbox.url);
    for (const row of [...first, ...later]) expect((await adapter.submit(row)).kind).toBe('accepted');
  });

  it('a second bank account of a known payee is added to the same customer', async () => {
    const adapter = adapterFor(sandbox.url);
    const one = await adapter.prepare!(payout(payee('Eve', '77770001')));
    const two = await adapter.prepare!(payout(payee('Eve', '77770002')));
    expect(one.kind === 'ready' && two.kind === 'ready').toBe(true);
    if (one.kind !== 'ready' || two.kind !== 'ready') return;
    expect(two.prepared.customerNo).toBe(one.prepared.customerNo);
    expect(two.prepared.accountToken).not.toBe(one.prepared.accountToken);
    expect(sandbox.payeeStats().registrations[customerCode(payee('Eve', '77770001'))]).toBe(1);
  });

  it('uses payee_id as customerCode', async () => {
    const adapter = adapterFor(sandbox.url);
    const result = await adapter.prepare!(payout(payee('Fay', '88880001', { payee_id: 'EMP-1042' })));
    expect(result.kind).toBe('ready');
    expect(sandbox.payeeStats().registrations['EMP-1042']).toBe(1);
  });

  it('checkpoints the registered customerNo before adding the bank account', async () => {
    const partials: Record<string, string>[] = [];
    const result = await adapterFor(sandbox.url).prepare!(payout(payee('Fin', '19190001')), (partial) => partials.push(partial));
    expect(result.kind).toBe('ready');
    if (result.kind === 'ready') expect(partials).toEqual([{ customerNo: result.prepared.customerNo }]);
  });

  it('after a crash between register and add-account (prepared has customerNo only), it does not register again', async () => {
    const fields = payee('Gus', '99990001');
    // The first process registers the payee, journals the checkpoint, and dies before adding the bank account.
    let partial: Record<string, string> | undefined;
    await expect(
      adapterFor(sandbox.url).prepare!(payout(fields), (p) => {
        partial = p;
        throw new Error('SIGKILL');
      }),
    ).rejects.toThrow('SIGKILL');
    const customerNo = partial!.customerNo!;
    expect(sandbox.payeeStats().accountsByCustomer[customerNo]).toBeUndefined();
    // The restarted process gets the checkpoint back from the journal.
    const restarted = adapterFor(sandbox.url);
    const result = await restarted.prepare!(payout(fields, partial));
    expect(result).toMatchObject({ kind: 'ready', prepared: { customerNo, accountToken: expect.any(String) } });
    const stats = sandbox.payeeStats();
    expect(stats.registrations[customerCode(fields)]).toBe(1);
    expect(stats.customersByCode[customerCode(fields)]).toBe(1);
    expect(stats.accountsByCustomer[customerNo]).toBe(1);
  });

  it('after a crash once the account was added but before its answer was kept, it finds the account instead of adding it again', async () => {
    const fields = payee('Hal', '12120001');
    let partial: Record<string, string> | undefined;
    sandbox.server.faults.add([{ kind: 'drop-after', path: PATHS.addBankAccount }]);
    expect(await adapterFor(sandbox.url).prepare!(payout(fields), (p) => (partial = p))).toMatchObject({ kind: 'retry' });
    const customerNo = partial!.customerNo!;
    expect(sandbox.payeeStats().accountsByCustomer[customerNo]).toBe(1); // created, answer lost
    const requestsBefore = sandbox.payeeStats().accountRequests[customerNo];
    const restarted = adapterFor(sandbox.url);
    const result = await restarted.prepare!(payout(fields, partial));
    expect(result).toMatchObject({ kind: 'ready', prepared: { customerNo } });
    const stats = sandbox.payeeStats();
    expect(stats.accountRequests[customerNo]).toBe(requestsBefore); // found by accountTag, not added again
    expect(stats.accountsByCustomer[customerNo]).toBe(1);
    expect(stats.registrations[customerCode(fields)]).toBe(1);
  });

  it('within one process, a retry after a failed add-account does not register again', async () => {
    const fields = payee('Ida', '13130001');
    const adapter = adapterFor(sandbox.url);
    sandbox.server.faults.add([{ kind: 'error-before', path: PATHS.addBankAccount }]);
    expect(await adapter.prepare!(payout(fields))).toMatchObject({ kind: 'retry' });
    expect(await adapter.prepare!(payout(fields))).toMatchObject({ kind: 'ready' });
    expect(sandbox.payeeStats().registrations[customerCode(fields)]).toBe(1);
  });

  it('recovers with the other funding-accounts path, and falls back to adding when the listing path is wrong', async () => {
    for (const [name, accountsPath] of [['Jon', '/v3/payout-accounts'], ['Kim', '/v3/not-a-path']] as const) {
      const fields = payee(name, '14140001');
      const first = adapterFor(sandbox.url);
      const ready = await first.prepare!(payout(fields));
      if (ready.kind !== 'ready') throw new Error(JSON.stringify(ready));
      const restarted = adapterFor(sandbox.url, { payoutAccountsPath: accountsPath });
      const result = await restarted.prepare!(payout(fields, { customerNo: ready.prepared.customerNo! }));
      expect(result).toEqual(ready);
      expect(sandbox.payeeStats().registrations[customerCode(fields)]).toBe(1);
    }
  });

  it('re-registers when a cached customerNo is unknown to Pockyt', async () => {
    const fields = payee('Lou', '15150001');
    const result = await adapterFor(sandbox.url).prepare!(payout(fields, { customerNo: '2000000000000000000000' }));
    expect(result).toMatchObject({ kind: 'ready' });
    if (result.kind === 'ready') expect(result.prepared.customerNo).not.toBe('2000000000000000000000');
    expect(sandbox.payeeStats().registrations[customerCode(fields)]).toBe(1);
  });

  it('hands back a fully prepared payee without calling Pockyt', async () => {
    const before = (sandbox.server.stats() as { requests: number }).requests;
    const result = await adapterFor(sandbox.url).prepare!(payout(payee('Max', '16160001'), { customerNo: 'C', accountToken: 'T' }));
    expect(result).toEqual({ kind: 'ready', prepared: { customerNo: 'C', accountToken: 'T' } });
    expect((sandbox.server.stats() as { requests: number }).requests).toBe(before);
  });

  it('prepare outcomes: rejected on payee data, retry on 5xx and 429, stop on access denied', async () => {
    const adapter = adapterFor(sandbox.url);
    expect(await adapter.prepare!(payout(payee('Ned', '17170001', { profile_type: 'TRUST' })))).toMatchObject({ kind: 'rejected', code: '000023' });
    expect(await adapter.prepare!(payout(payee('Ned', '17170001', { email: '' })))).toMatchObject({ kind: 'rejected', code: '000020' });
    sandbox.server.faults.add([{ kind: 'error-before', path: PATHS.register }]);
    expect(await adapter.prepare!(payout(payee('Ned', '17170001')))).toMatchObject({ kind: 'retry' });
    sandbox.server.faults.add([{ kind: 'rate-limit', path: PATHS.register, retryAfterSeconds: 3 }]);
    expect(await adapter.prepare!(payout(payee('Ned', '17170001')))).toEqual({ kind: 'retry', cause: expect.any(String), throttled: true, retryAfterMs: 3000 });
    expect(await adapterFor(sandbox.url, { merchantNo: '1' }).prepare!(payout(payee('Ned', '17170001')))).toMatchObject({ kind: 'stop', code: '000030' });
    expect(await adapter.prepare!(payout(payee('Ned', '17170001')))).toMatchObject({ kind: 'ready' });
  });

  it('serves payee statistics over HTTP for end-to-end checks', async () => {
    const res = await fetch(sandbox.url + PAYEE_STATS_PATH);
    const body = (await res.json()) as { yuansfer: { registrations: Record<string, number> }; name: string };
    expect(body.name).toBe('yuansfer');
    expect(body.yuansfer.registrations['EMP-1042']).toBe(1);
  });
});

describe('yuansfer sandbox state', () => {
  it('keeps payees, accounts and request-id answers across restarts when given a state path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yuansfer-sbx-'));
    const statePath = path.join(dir, 'yuansfer.json');
    try {
      const first = await startYuansferSandbox({ credentials: CREDS, settings: FAST, statePath });
      const a1 = adapterFor(first.url);
      const fields = payee('Oz', '18180001');
      const prep = await a1.prepare!(payout(fields));
      if (prep.kind !== 'ready') throw new Error(JSON.stringify(prep));
      const row = payout(fields, prep.prepared);
      const accepted = await a1.submit(row);
      await first.close();

      const second = await startYuansferSandbox({ credentials: CREDS, settings: FAST, statePath });
      try {
        const a2 = adapterFor(second.url);
        expect(await a2.prepare!(payout(fields))).toEqual(prep); // same customer, same account
        expect(await a2.submit(row)).toEqual(accepted); // replayed, not paid again
        expect(second.server.ledger.created.get(row.merchantReference)).toBe(1);
        expect((await a2.query(row)).kind).toBe('status');
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
