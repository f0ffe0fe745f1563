// The one contract every adapter keeps (DESIGN §2), run by each registered provider against its own
// sandbox over loopback HTTP, with the sandbox's fault injection (Hyperswitch runs one set of flow tests per
// connector the same way): accepted, rejected, not sent, unknown, duplicate reference, the query states,
// callbacks, and the flows a provider declares (prepare, balance, preflight). The suite asks the module's
// capabilities and defaults; it never names a provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderModule, QueryOutcome, SubmitOutcome } from '../../src/providers/types.ts';
import { deadUrl, startHarness, until, type Harness } from './harness.ts';

const canonical = (q: QueryOutcome) => (q.kind === 'status' ? q.reading.canonical : q.kind);

export function contractSuite(module: ProviderModule): void {
  describe.sequential(`${module.id}: the adapter contract against its sandbox`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = await startHarness(module);
    }, 30_000);

    afterAll(async () => {
      await h?.close();
    });

    /** Submits, expecting `accepted`, and waits for the final status. */
    async function paid(ending = '1111') {
      const p = await h.prepared(h.payout(ending));
      const outcome = await h.adapter.submit(p);
      expect(outcome.kind, JSON.stringify(outcome)).toBe('accepted');
      return { p, outcome: outcome as Extract<SubmitOutcome, { kind: 'accepted' }> };
    }

    it('accepted: a payable row is created once, read pending, then succeeded with the amount paid', async () => {
      const { p, outcome } = await paid();
      expect(['pending', 'succeeded']).toContain(outcome.reading.canonical);
      expect(outcome.reading.providerRef, 'the provider names its payout').toBeTruthy();
      expect(outcome.reading.raw, 'the raw status is kept').not.toBeUndefined();
      const q = await until('the payout to succeed', () => h.adapter.query({ ...p, providerReference: outcome.reading.providerRef }), (o) => canonical(o) === 'succeeded');
      if (q.kind !== 'status') throw new Error('unreachable');
      if (q.reading.paidAmountMinor !== undefined) expect(q.reading.paidAmountMinor).toBe(p.amountMinor);
      expect(await h.created(p.merchantReference)).toBe(1);
    });

    it('rejected: a row the provider refuses is rejected with its code, and nothing is created', async () => {
      const p = await h.prepared(h.refusedPayout());
      const outcome = await h.adapter.submit(p);
      expect(outcome.kind, JSON.stringify(outcome)).toBe('rejected');
      if (outcome.kind === 'rejected') expect(outcome.code).not.toBe('');
      expect(await h.created(p.merchantReference)).toBe(0);
    });

    it('not sent: an unreachable provider and a throttled create are safe to retry; nothing is created', async () => {
      const p = await h.prepared(h.payout());
      expect(await h.adapterAt(await deadUrl()).submit(p)).toMatchObject({ kind: 'notSent' });
      await h.faults([{ kind: 'rate-limit', onCreate: true, reference: p.merchantReference, retryAfterSeconds: 1 }]);
      const throttled = await h.adapter.submit(p);
      expect(throttled, JSON.stringify(throttled)).toMatchObject({ kind: 'notSent', throttled: true });
      if (throttled.kind === 'notSent') expect(throttled.retryAfterMs).toBeGreaterThan(0);
      expect(await h.created(p.merchantReference)).toBe(0);
      // Safe to retry: the same payout, sent again, is created once.
      expect((await h.adapter.submit(p)).kind).toBe('accepted');
      expect(await h.created(p.merchantReference)).toBe(1);
    });

    it('unknown: an answer lost after the payout was created is unknown, and only a query tells', async () => {
      const cases = [
        { kind: 'error-after' as const, created: true },
        { kind: 'drop-after' as const, created: true },
        { kind: 'hang-after' as const, created: true, delayMs: 2500 },
        { kind: 'error-before' as const, created: false },
      ];
      for (const c of cases) {
        const p = await h.prepared(h.payout());
        await h.faults([{ kind: c.kind, onCreate: true, reference: p.merchantReference, ...(c.delayMs ? { delayMs: c.delayMs } : {}) }]);
        const outcome = await h.adapter.submit(p);
        expect(outcome.kind, `${c.kind}: ${JSON.stringify(outcome)}`).toBe('unknown');
        const q = await until(`${c.kind}: the query to answer`, () => h.adapter.query(p), (o) => o.kind === 'status' || o.kind === 'notFound');
        expect(q.kind, c.kind).toBe(c.created ? 'status' : 'notFound');
        expect(await h.created(p.merchantReference), c.kind).toBe(c.created ? 1 : 0);
      }
    });

    it('duplicate reference: a second create with the same reference never makes a second payout', async () => {
      const { p } = await paid();
      await h.faults([{ kind: 'duplicate', onCreate: true, reference: p.merchantReference }]);
      expect(await h.adapter.submit(p)).toMatchObject({ kind: 'unknown', alreadyCreated: true });
      // Without the fault: the provider's own duplicate check (or replay of the first answer).
      const again = await h.adapter.submit(p);
      expect(again.kind === 'accepted' || (again.kind === 'unknown' && again.alreadyCreated === true), JSON.stringify(again)).toBe(true);
      expect(await h.created(p.merchantReference)).toBe(1);
    });

    it('query states: not found, pending, failed, and a late return read as the provider reports it', async () => {
      expect((await h.adapter.query(h.payout())).kind).toBe('notFound');
      const stuck = await paid('0003');
      const failed = await paid('0002');
      const returned = await paid('0004');
      await until('the failing payout to fail', () => h.adapter.query(failed.p), (o) => canonical(o) === 'failed');
      // A provider that cannot reverse reports a returned payout as paid (it never says otherwise).
      const expected = module.defaults.canReverse ? 'reversed' : 'succeeded';
      await until(`the returned payout to read ${expected}`, () => h.adapter.query(returned.p), (o) => canonical(o) === expected);
      if (!module.defaults.canReverse) {
        await new Promise((r) => setTimeout(r, 700));
        expect(canonical(await h.adapter.query(returned.p))).toBe('succeeded');
      }
      expect(canonical(await h.adapter.query(stuck.p))).toBe('pending');
    });

    it(`callback: the sandbox's own callback is verified and names the payout; ${module.capabilities.callbacks === 'signed' ? 'forged and tampered ones are refused' : 'it is a trigger only'}`, async () => {
      const { p, outcome } = await paid();
      const providerRef = outcome.reading.providerRef!;
      const names = (v: ReturnType<NonNullable<typeof h.adapter.verifyCallback>>) =>
        v.ok && (v.merchantReference === p.merchantReference || v.providerReference === providerRef);
      const callback = await until(
        'the sandbox to call back',
        async () => h.receiver.received.find((r) => r.text.includes(p.merchantReference) || r.text.includes(providerRef)),
        (r) => r !== undefined,
      );
      const verdict = h.adapter.verifyCallback!(callback!);
      expect(verdict, JSON.stringify(verdict)).toMatchObject({ ok: true });
      expect(names(verdict)).toBe(true);
      expect(h.adapter.callbackAck?.status ?? 200).toBeGreaterThanOrEqual(200);

      const view = { reference: p.merchantReference, providerRef, amount: p.amount, currency: p.currency };
      const request = (c: { body: string; headers: Record<string, string> }) => ({ method: 'POST', path: '/callbacks', headers: c.headers, rawBody: Buffer.from(c.body) });
      const valid = module.sandboxKit.callback(view, 'succeeded', 'valid', 1)!;
      expect(names(h.adapter.verifyCallback!(request(valid)))).toBe(true);
      const forged = module.sandboxKit.callback(view, 'succeeded', 'forged', 2);
      const tampered = module.sandboxKit.callback(view, 'succeeded', 'tampered', 3)!;
      if (module.capabilities.callbacks === 'signed') {
        expect(forged, 'a signing provider can be forged against').toBeDefined();
        expect(h.adapter.verifyCallback!(request(forged!))).toMatchObject({ ok: false });
        expect(h.adapter.verifyCallback!(request(tampered))).toMatchObject({ ok: false });
      } else {
        expect(forged).toBeUndefined();
      }
      // A body naming no payout is refused by everyone.
      expect(h.adapter.verifyCallback!(request({ body: '{}', headers: { 'content-type': 'application/json' } }))).toMatchObject({ ok: false });
    });

    it.runIf(module.capabilities.prepare)('prepare: a payee is set up once, however many times its rows ask', async () => {
      const p = h.payout();
      const first = await h.adapter.prepare!(p);
      const second = await h.adapter.prepare!({ ...p, payoutId: `${p.payoutId}-again` });
      expect(first.kind).toBe('ready');
      expect(second).toEqual(first);
      expect(h.adapter.payeeKey!(p)).toBeTruthy();
    });

    it.runIf(module.capabilities.balance)('balance: the account balance in the payout currency, in minor units', async () => {
      const p = h.payout();
      const reading = await h.adapter.balance!(p.currency);
      expect(reading?.currency).toBe(p.currency);
      expect(typeof reading?.availableMinor).toBe('bigint');
    });

    it.runIf(module.capabilities.preflight)('preflight: a row the sandbox pays passes the checks made before sending', async () => {
      const p = h.payout();
      const issues = await h.adapter.preflight!([p]);
      expect(issues.get(p.payoutId) ?? []).toEqual([]);
    });
  });
}
