// Vexora adapter: build → sign → send → classify. Request success (`code` 0000) is not payout success:
// the payout's state is always read from data.status (PROVIDERS.md §5).
import { httpCall, parseJson, type HttpResult } from '../http.ts';
import { topLevelMembers } from '../raw-json.ts';
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
import { vexoraStatusTable } from './status.ts';

interface VexoraAnswer {
  code?: string;
  msg?: string;
  success?: boolean | string;
  data?: {
    tradeNo?: string;
    platFormTradeNo?: string;
    status?: unknown;
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
  const statuses = vexoraStatusTable({ successCodes: config.successCodes, pendingCodes: config.pendingCodes, failedCodes: config.failedCodes });
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
    const raw = typeof data.status === 'string' ? data.status : data.status === undefined || data.status === null ? '' : String(data.status);
    const { canonical, known } = statuses.map(raw);
    if (!known && !warnedStatuses.has(raw)) {
      // Kept pending, never guessed final: the poll deadline sends the row to needs_review.
      warnedStatuses.add(raw);
      ctx.log.warn('vexora status not recognised: kept pending', { rawStatus: raw === '' ? '(missing)' : raw });
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
      if (config.rejectCodes.includes(code)) return { kind: 'rejected', code, message: String(answer.msg ?? 'rejected') };
      // Vexora's code table is unknown: a code nobody decided on may still have created the payout, so the
      // row is asked about by tradeNo before anything else happens to it.
      return { kind: 'unknown', cause: `create answered code ${code || '(none)'} ${answer.msg ?? ''}`.trim() };
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
      const literals = webhookLiterals(request.rawBody.toString('utf8'));
      if ('reason' in literals) return { ok: false, reason: literals.reason };
      const { fields, strings } = literals;
      const tradeNo = strings.get('tradeNo') ?? '';
      if (!tradeNo) return { ok: false, reason: 'no tradeNo' };
      if (fields.sign === undefined) {
        if (config.requireCallbackSign) return { ok: false, reason: 'unsigned webhook' };
      } else if (!vexoraSignMatches(fields, secret)) return { ok: false, reason: 'sign does not match' };
      return { ok: true, merchantReference: tradeNo, rawStatus: strings.get('status') };
    },

    callbackAck: { status: 200, contentType: 'text/plain', body: 'OK' },
  };
}

/**
 * A webhook's top-level fields as the literal text received, for the sign: a string's content, a number as
 * written (`100.00` stays `100.00`, where JSON.parse would make it 100), `true`/`false`, a nested value as its
 * JSON text; `null` is left out like an empty value. A field named twice is refused: one value could be
 * signed and another read. `strings` holds the fields that were JSON strings (tradeNo, status).
 */
function webhookLiterals(text: string): { fields: Record<string, string>; strings: Map<string, string> } | { reason: string } {
  if (parseJson(text) === undefined) return { reason: 'body is not JSON' };
  const members = topLevelMembers(text);
  if (!members) return { reason: 'body is not a JSON object' };
  // No prototype: a member named __proto__ is a field like any other.
  const fields = Object.create(null) as Record<string, string>;
  const strings = new Map<string, string>();
  const seen = new Set<string>();
  for (const { name, raw } of members) {
    if (seen.has(name)) return { reason: `"${name}" appears more than once` };
    seen.add(name);
    if (raw === 'null') continue;
    if (raw.startsWith('"')) {
      const value = parseJson(raw);
      if (typeof value !== 'string') return { reason: `"${name}" is not a valid string` };
      fields[name] = value;
      strings.set(name, value);
    } else fields[name] = raw;
  }
  return { fields, strings };
}
