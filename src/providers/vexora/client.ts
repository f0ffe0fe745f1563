// Vexora adapter: build → sign → send → classify. Request success (`code` 0000) is not payout success:
// the payout's state is always read from data.status (PROVIDERS.md §5).
import { httpCall, parseJson, type HttpResult } from '../http.ts';
import { literalToMinor } from '../../validate/money.ts';
import type {
  AdapterContext,
  CallbackRequest,
  CallbackVerdict,
  PayoutRequest,
  ProviderAdapter,
  QueryOutcome,
  StatusReading,
  SubmitOutcome,
} from '../types.ts';
import { beneficiaryFields, countryProfiles, type VexoraConfig } from './schema.ts';
import { signedBody, vexoraSignMatches } from './sign.ts';
import { mapVexoraStatus } from './status.ts';

interface VexoraAnswer {
  code?: string;
  msg?: string;
  success?: boolean | string;
  data?: {
    tradeNo?: string;
    platFormTradeNo?: string;
    status?: string;
    message?: string;
    amount?: string | number;
    payAmount?: string | number;
  };
}

type TransportFailure =
  | { kind: 'notSent'; cause: string; throttled?: boolean; retryAfterMs?: number }
  | { kind: 'unknown'; cause: string }
  | { kind: 'stop'; code: string; message: string };

/** Whole amounts are sent without decimals where the country accepts integers only ("1500", not "1500.00"). */
function wireAmount(config: VexoraConfig, payout: PayoutRequest): string {
  if (countryProfiles[config.country].integerOnly && payout.amount.includes('.')) {
    const [int, frac] = payout.amount.split('.');
    if (/^0+$/.test(frac)) return int;
  }
  return payout.amount;
}

export function createVexoraAdapter(config: VexoraConfig, ctx: AdapterContext): ProviderAdapter {
  const merchantNo = config.merchantNo ?? '';
  const secret = config.secret ?? '';
  const timeoutMs = config.timeoutSeconds * 1000;
  const table = { successCodes: config.successCodes, pendingCodes: config.pendingCodes };
  const warnedStatuses = new Set<string>();

  function post(path: string, fields: Record<string, string>): Promise<HttpResult> {
    return httpCall({
      method: 'POST',
      url: config.baseUrl.replace(/\/$/, '') + path,
      headers: { 'content-type': 'application/json', merchantNo },
      body: signedBody(fields, secret),
      timeoutMs,
    });
  }

  function reading(data: NonNullable<VexoraAnswer['data']>, currency: string): StatusReading {
    const raw = String(data.status ?? '');
    const canonical = mapVexoraStatus(raw, table);
    if (canonical === 'failed' && raw !== '' && !warnedStatuses.has(raw) && raw !== '00029') {
      warnedStatuses.add(raw);
      ctx.log.info('vexora status read as failed (only 0000 and 0015 are documented)', { rawStatus: raw });
    }
    const paid = data.payAmount ?? data.amount;
    return {
      canonical,
      raw,
      providerRef: data.platFormTradeNo,
      paidAmountMinor: canonical === 'succeeded' ? literalToMinor(paid, currency) : undefined,
      errorCode: canonical === 'failed' ? raw : undefined,
      message: data.message,
    };
  }

  /** Answers every call shares: throttling, auth and unparseable bodies. */
  function classifyTransport(result: HttpResult): { answer: VexoraAnswer } | { outcome: TransportFailure } {
    if (result.kind === 'notSent') return { outcome: { kind: 'notSent', cause: result.cause } };
    if (result.kind === 'unknown') return { outcome: { kind: 'unknown', cause: result.cause } };
    if (result.status === 429)
      return { outcome: { kind: 'notSent', cause: 'rate limited (HTTP 429)', throttled: true, retryAfterMs: result.retryAfterMs ?? 1000 } };
    if (result.status === 401 || result.status === 403)
      return { outcome: { kind: 'stop', code: `HTTP ${result.status}`, message: 'Vexora refused the merchant credentials: check merchantNo and secret' } };
    if (result.status >= 500) return { outcome: { kind: 'unknown', cause: `HTTP ${result.status}` } };
    const answer = parseJson(result.text) as VexoraAnswer | undefined;
    if (!answer || typeof answer !== 'object') return { outcome: { kind: 'unknown', cause: `unreadable answer (HTTP ${result.status})` } };
    return { answer };
  }

  return {
    id: 'vexora',

    async submit(payout: PayoutRequest): Promise<SubmitOutcome> {
      const fields: Record<string, string> = {
        timestamp: String(Date.now()),
        tradeNo: payout.merchantReference,
        amount: wireAmount(config, payout),
        ...beneficiaryFields(config, payout.fields),
      };
      if (ctx.callbackUrl) fields.notifyUrl = ctx.callbackUrl;
      if (payout.fields.note) fields.remark = payout.fields.note;
      const classified = classifyTransport(await post(config.createPath, fields));
      if ('outcome' in classified) return classified.outcome;
      const { answer } = classified;
      const code = String(answer.code ?? '');
      if (code === '0000') {
        // Accepted: the payout exists even if the answer carries no data to read a status from.
        if (answer.data?.status) return { kind: 'accepted', reading: reading(answer.data, payout.currency) };
        return { kind: 'unknown', cause: 'accepted (0000) without a payout status' };
      }
      if (config.merchantCodes.includes(code))
        return { kind: 'stop', code, message: 'Vexora does not know this merchant: check merchantNo and the base URL' };
      if (config.duplicateCodes.includes(code)) return { kind: 'unknown', cause: `duplicate tradeNo (${code})`, alreadyCreated: true };
      if (config.badSignCodes.includes(code))
        return { kind: 'stop', code, message: 'Vexora rejected the signature: check the secret and merchantNo' };
      if (config.systemErrorCodes.includes(code)) return { kind: 'unknown', cause: `provider system error ${code}` };
      return { kind: 'rejected', code: code || 'UNKNOWN', message: String(answer.msg ?? 'rejected') };
    },

    async query(payout: PayoutRequest): Promise<QueryOutcome> {
      const fields = { timestamp: String(Date.now()), tradeNo: payout.merchantReference };
      const classified = classifyTransport(await post(config.queryPath, fields));
      if ('outcome' in classified) {
        const o = classified.outcome;
        return o.kind === 'notSent' ? { kind: 'unknown', cause: o.cause, throttled: o.throttled, retryAfterMs: o.retryAfterMs } : o;
      }
      const { answer } = classified;
      const code = String(answer.code ?? '');
      if (code === '0000' && answer.data) return { kind: 'status', reading: reading(answer.data, payout.currency) };
      if (config.notFoundCodes.includes(code)) return { kind: 'notFound', cause: `${code} ${answer.msg ?? ''}`.trim() };
      if (config.badSignCodes.includes(code)) return { kind: 'stop', code, message: 'Vexora rejected the signature: check the secret' };
      if (config.merchantCodes.includes(code)) return { kind: 'stop', code, message: 'Vexora does not know this merchant: check merchantNo' };
      return { kind: 'unknown', cause: `query answered ${code || 'no code'} ${answer.msg ?? ''}`.trim() };
    },

    verifyCallback(request: CallbackRequest): CallbackVerdict {
      const body = parseJson(request.rawBody.toString('utf8')) as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') return { ok: false, reason: 'body is not JSON' };
      const tradeNo = typeof body.tradeNo === 'string' ? body.tradeNo : '';
      if (!tradeNo) return { ok: false, reason: 'no tradeNo' };
      if (body.sign === undefined) {
        if (config.requireCallbackSign) return { ok: false, reason: 'unsigned webhook' };
      } else if (!vexoraSignMatches(body, secret)) return { ok: false, reason: 'sign does not match' };
      return { ok: true, merchantReference: tradeNo, rawStatus: typeof body.status === 'string' ? body.status : undefined };
    },

    callbackAck: { status: 200, contentType: 'text/plain', body: 'OK' },
  };
}
