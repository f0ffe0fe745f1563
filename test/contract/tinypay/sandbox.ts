// The simulated TinyPay on the shared sandbox server (ledger, faults, rate limit, callbacks), and its kit.
import { startSandboxServer, type SandboxReply } from '../../../src/sandbox/server.ts';
import type { LedgerRecord } from '../../../src/sandbox/ledger.ts';
import { parseJsonObject } from '../../../src/providers/http.ts';
import { seededDigits } from '../../../src/providers/sandbox-kit.ts';
import type { SandboxHandle, SandboxKit, SandboxPayoutView, SandboxStartOptions } from '../../../src/providers/types.ts';
import { callbackSignature } from './sign.ts';

export const SANDBOX_API_KEY = 'tinypay-sandbox-key';

const STATE: Record<LedgerRecord['state'], string> = { processing: 'QUEUED', succeeded: 'PAID', failed: 'DECLINED', reversed: 'RETURNED' };
const view = (r: LedgerRecord) => ({ id: r.providerRef, reference: r.reference, state: STATE[r.state], paid: r.state === 'succeeded' ? r.paidAmount : '0.00' });
const callbackBody = (p: SandboxPayoutView, state: string) => JSON.stringify({ id: p.providerRef, reference: p.reference, state, amount: p.amount });

export async function startTinypaySandbox(options: SandboxStartOptions): Promise<SandboxHandle> {
  const apiKey = options.credentials.apiKey || SANDBOX_API_KEY;
  const authorised = (h: unknown) => h === `Key ${apiKey}`;
  const json = (status: number, body: unknown): SandboxReply => ({ status, body });
  const server = await startSandboxServer({
    name: 'tinypay',
    settings: options.settings,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.log ? { log: options.log } : {}),
    duplicateReply: () => json(409, { error: 'duplicate_reference' }),
    routes: [
      {
        method: 'POST',
        path: '/v1/payouts',
        kind: 'create',
        reference: (req) => parseJsonObject(req.text)?.reference as string | undefined,
        handle(req, ctx) {
          if (!authorised(req.headers.authorization)) return json(401, { error: 'unauthorised' });
          const b = parseJsonObject(req.text) ?? {};
          if (typeof b.reference !== 'string' || !b.reference) return json(422, { error: 'invalid', field: 'reference' });
          if (typeof b.amount !== 'string' || !/^\d+(\.\d{1,2})?$/.test(b.amount) || Number(b.amount) <= 0) return json(422, { error: 'invalid', field: 'amount' });
          if (typeof b.account !== 'string' || !/^\d{8,20}$/.test(b.account)) return json(422, { error: 'invalid', field: 'account' });
          const created = ctx.ledger.create({ reference: b.reference, amount: b.amount, currency: String(b.currency ?? 'EUR'), account: b.account, notifyUrl: typeof b.notifyUrl === 'string' ? b.notifyUrl : undefined });
          return created.created ? json(201, view(created.record)) : json(409, { error: 'duplicate_reference' });
        },
      },
      {
        method: 'GET',
        path: /^\/v1\/payouts\/([^/]+)$/,
        kind: 'query',
        reference: (req) => decodeURIComponent(req.params[0] ?? ''),
        handle(req, ctx) {
          if (!authorised(req.headers.authorization)) return json(401, { error: 'unauthorised' });
          const record = ctx.ledger.get(decodeURIComponent(req.params[0] ?? ''));
          return record ? json(200, view(record)) : json(404, { error: 'not_found' });
        },
      },
    ],
  });
  server.ledger.onChange((r) => {
    if (r.state === 'processing' || !r.notifyUrl) return;
    const body = callbackBody(r, STATE[r.state]);
    server.callbacks.send({ url: r.notifyUrl, headers: { 'content-type': 'application/json', 'x-tinypay-signature': callbackSignature(body, apiKey) }, body });
  });
  return { url: server.url, close: () => server.close() };
}

export const tinypaySandboxKit: SandboxKit = {
  accountColumn: 'account_number',
  row: (seed, i, ending) => ({ amount: `${20 + i}.00`, currency: 'EUR', account_number: `${seededDigits(`${seed}/${i}`, 6)}${ending}` }),
  refused: (seed, i) => ({ ...tinypaySandboxKit.row(seed, i, '1111'), account_number: 'not-an-account' }),
  callback(p, claim, variant, serial) {
    const body = callbackBody(p, claim === 'succeeded' ? 'PAID' : 'DECLINED').replace(/}$/, `,"n":${serial}}`);
    const signed = variant === 'tampered' ? body.replace(/"state":"\w+"/, '"state":"RETURNED"') : body;
    return { body, headers: { 'content-type': 'application/json', 'x-tinypay-signature': callbackSignature(signed, variant === 'forged' ? 'wrong-key' : SANDBOX_API_KEY) } };
  },
};
