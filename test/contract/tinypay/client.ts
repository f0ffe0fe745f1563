// TinyPay adapter: build → sign (an API key header) → send → interpret TinyPay's own answers. Transport,
// 429, 401/403 and 5xx are the shared classification's (src/providers/http.ts).
import { deniedStop, joinUrl, parseJsonObject, queryFailure, send, submitFailure } from '../../../src/providers/http.ts';
import { wireToMinor } from '../../../src/providers/money.ts';
import { statusReader } from '../../../src/providers/status-table.ts';
import type { AdapterContext, PayoutRequest, ProviderAdapter, StatusReading } from '../../../src/providers/types.ts';
import type { TinypayConfig } from './schema.ts';
import { signatureMatches } from './sign.ts';
import { tinypayStatusTable } from './status.ts';

const denied = deniedStop('TinyPay refused the API key: check apiKey');

export function createAdapter(config: TinypayConfig, ctx: AdapterContext): ProviderAdapter {
  const apiKey = config.apiKey ?? '';
  const headers = { authorization: `Key ${apiKey}`, 'content-type': 'application/json' };
  const timeoutMs = config.timeoutSeconds * 1000;
  const readStatus = statusReader(tinypayStatusTable, ctx.log, 'tinypay: unmapped state, kept pending');

  function reading(body: Record<string, unknown>, p: PayoutRequest): StatusReading {
    const raw = String(body.state ?? '');
    const { canonical } = readStatus(raw);
    return { canonical, raw, providerRef: String(body.id ?? ''), paidAmountMinor: canonical === 'succeeded' ? wireToMinor(body.paid, p.currency) : undefined };
  }

  return {
    id: 'tinypay',
    async submit(p) {
      const body = JSON.stringify({ reference: p.merchantReference, amount: p.amount, currency: p.currency, account: p.fields.account_number, notifyUrl: ctx.callbackUrl });
      const reply = await send({ method: 'POST', url: joinUrl(config.baseUrl, config.createPath), headers, body, timeoutMs });
      if (reply.kind !== 'answer') return submitFailure(reply, denied);
      const answer = parseJsonObject(reply.text);
      if (reply.status === 201 && answer) return { kind: 'accepted', reading: reading(answer, p) };
      if (reply.status === 409) return { kind: 'unknown', cause: 'reference already used', alreadyCreated: true };
      if (reply.status === 422) return { kind: 'rejected', code: String(answer?.error ?? 'invalid'), message: String(answer?.field ?? 'refused') };
      return { kind: 'unknown', cause: `create answered HTTP ${reply.status}` };
    },
    async query(p) {
      const reply = await send({ method: 'GET', url: joinUrl(config.baseUrl, `${config.createPath}/${encodeURIComponent(p.merchantReference)}`), headers, timeoutMs });
      if (reply.kind !== 'answer') return queryFailure(reply, denied);
      if (reply.status === 404) return { kind: 'notFound' };
      const answer = parseJsonObject(reply.text);
      return reply.status === 200 && answer ? { kind: 'status', reading: reading(answer, p) } : { kind: 'unknown', cause: `query answered HTTP ${reply.status}` };
    },
    verifyCallback(request) {
      const text = request.rawBody.toString('utf8');
      const body = parseJsonObject(text);
      if (!body || typeof body.reference !== 'string') return { ok: false, reason: 'no reference' };
      if (!signatureMatches(request.headers['x-tinypay-signature'], text, apiKey)) return { ok: false, reason: 'signature does not match' };
      return { ok: true, merchantReference: body.reference, providerReference: String(body.id ?? ''), rawStatus: String(body.state ?? '') };
    },
    callbackAck: { status: 200, contentType: 'text/plain', body: 'OK' },
  };
}
