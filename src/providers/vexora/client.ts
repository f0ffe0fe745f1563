// Vexora adapter: build → sign → send → interpret. Request success (`code` 0000) is not payout success:
// the payout's state is always read from data.status (PROVIDERS.md §5). Transport, 429, 401/403 and 5xx
// are classified by http.ts; this file reads Vexora's own codes only.
import { deniedStop, joinUrl, parseJsonObject, queryFailure, send, submitFailure, type Reply } from '../http.ts';
import { wireToMinor } from '../money.ts';
import { literalFields } from '../raw-json.ts';
import { statusReader } from '../status-table.ts';
import type { AdapterContext, CallbackRequest, CallbackVerdict, PayoutRequest, ProviderAdapter, QueryOutcome, StatusReading, SubmitOutcome } from '../types.ts';
import { beneficiaryFields, countryProfiles, type VexoraConfig } from './schema.ts';
import { signedBody, vexoraSignMatches } from './sign.ts';
import { vexoraStatusTable } from './status.ts';

interface VexoraData {
  tradeNo?: string;
  platFormTradeNo?: string;
  status?: unknown;
  message?: string;
  amount?: string | number;
  payAmount?: string | number;
}

const denied = deniedStop('Vexora refused the merchant credentials: check merchantNo and secret');

/** Whole amounts are sent without decimals where the country accepts integers only ("1500", not "1500.00"). */
function wireAmount(config: VexoraConfig, payout: PayoutRequest): string {
  if (countryProfiles[config.country].integerOnly && payout.amount.includes('.')) {
    const [int, frac] = payout.amount.split('.');
    if (/^0+$/.test(frac)) return int;
  }
  return payout.amount;
}

/** The envelope of an answer: request-level `code`, `msg` and the payout `data`. */
function envelopeOf(reply: Extract<Reply, { kind: 'answer' }>): { code: string; msg: string; data?: VexoraData } | undefined {
  const body = parseJsonObject(reply.text);
  if (!body) return undefined;
  const data = body.data && typeof body.data === 'object' ? (body.data as VexoraData) : undefined;
  return { code: String(body.code ?? ''), msg: typeof body.msg === 'string' ? body.msg : '', data };
}

export function createVexoraAdapter(config: VexoraConfig, ctx: AdapterContext): ProviderAdapter {
  const merchantNo = config.merchantNo ?? '';
  const secret = config.secret ?? '';
  const timeoutMs = config.timeoutSeconds * 1000;
  // Kept pending, never guessed final: the poll deadline sends the row to needs_review.
  const readStatus = statusReader(
    vexoraStatusTable({ successCodes: config.successCodes, pendingCodes: config.pendingCodes, failedCodes: config.failedCodes }),
    ctx.log,
    'vexora status not recognised: kept pending',
  );
  const unreadable = (reply: { status: number }) => `unreadable answer (HTTP ${reply.status})`;

  /** sign → send: the signed JSON body, with the merchant header every call carries. */
  function post(path: string, fields: Record<string, string>): Promise<Reply> {
    return send({
      method: 'POST',
      url: joinUrl(config.baseUrl, path),
      headers: { 'content-type': 'application/json', merchantNo },
      body: signedBody(fields, secret),
      timeoutMs,
    });
  }

  function reading(data: VexoraData, currency: string): StatusReading {
    const raw = typeof data.status === 'string' ? data.status : data.status === undefined || data.status === null ? '' : String(data.status);
    const { canonical } = readStatus(raw);
    return {
      canonical,
      raw,
      providerRef: data.platFormTradeNo,
      paidAmountMinor: canonical === 'succeeded' ? wireToMinor(data.payAmount ?? data.amount, currency) : undefined,
      errorCode: canonical === 'failed' ? raw : undefined,
      message: data.message,
    };
  }

  return {
    id: 'vexora',

    async submit(payout: PayoutRequest): Promise<SubmitOutcome> {
      // build
      const fields: Record<string, string> = {
        timestamp: String(Date.now()),
        tradeNo: payout.merchantReference,
        amount: wireAmount(config, payout),
        ...beneficiaryFields(config, payout.fields),
      };
      if (ctx.callbackUrl) fields.notifyUrl = ctx.callbackUrl;
      if (payout.fields.note) fields.remark = payout.fields.note;
      // sign → send
      const reply = await post(config.createPath, fields);
      if (reply.kind !== 'answer') return submitFailure(reply, denied);
      // interpret
      const answer = envelopeOf(reply);
      if (!answer) return { kind: 'unknown', cause: unreadable(reply) };
      const { code, msg } = answer;
      if (code === '0000') {
        // Accepted: the payout exists even if the answer carries no data to read a status from.
        if (answer.data?.status) return { kind: 'accepted', reading: reading(answer.data, payout.currency) };
        return { kind: 'unknown', cause: 'accepted (0000) without a payout status' };
      }
      if (config.merchantCodes.includes(code)) return { kind: 'stop', code, message: 'Vexora does not know this merchant: check merchantNo and the base URL' };
      if (config.duplicateCodes.includes(code)) return { kind: 'unknown', cause: `duplicate tradeNo (${code})`, alreadyCreated: true };
      if (config.badSignCodes.includes(code)) return { kind: 'stop', code, message: 'Vexora rejected the signature: check the secret and merchantNo' };
      if (config.systemErrorCodes.includes(code)) return { kind: 'unknown', cause: `provider system error ${code}` };
      if (config.rejectCodes.includes(code)) return { kind: 'rejected', code, message: msg || 'rejected' };
      // Vexora's code table is unknown: a code nobody decided on may still have created the payout, so the
      // row is asked about by tradeNo before anything else happens to it.
      return { kind: 'unknown', cause: `create answered code ${code || '(none)'} ${msg}`.trim() };
    },

    async query(payout: PayoutRequest): Promise<QueryOutcome> {
      const reply = await post(config.queryPath, { timestamp: String(Date.now()), tradeNo: payout.merchantReference });
      if (reply.kind !== 'answer') return queryFailure(reply, denied);
      const answer = envelopeOf(reply);
      if (!answer) return { kind: 'unknown', cause: unreadable(reply) };
      const { code, msg } = answer;
      if (code === '0000' && answer.data) return { kind: 'status', reading: reading(answer.data, payout.currency) };
      if (config.notFoundCodes.includes(code)) return { kind: 'notFound', cause: `${code} ${msg}`.trim() };
      if (config.badSignCodes.includes(code)) return { kind: 'stop', code, message: 'Vexora rejected the signature: check the secret' };
      if (config.merchantCodes.includes(code)) return { kind: 'stop', code, message: 'Vexora does not know this merchant: check merchantNo' };
      return { kind: 'unknown', cause: `query answered ${code || 'no code'} ${msg}`.trim() };
    },

    verifyCallback(request: CallbackRequest): CallbackVerdict {
      const literals = literalFields(request.rawBody.toString('utf8'));
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
