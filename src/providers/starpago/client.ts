// StarPago v3 adapter. Each call reads top to bottom: build → authorise (Bearer token) → send → classify.
//
// The provider's own rule for payouts (payout.html "DANGER" [C]): when the create call's HTTP status is
// not 200 the order must be re-checked with the query, never re-submitted; only business code 400 with a
// parameter-validation failure is a definite "not created". A 401 is the one non-200 that is safe to
// repeat: StarPago refused the token, so nothing was created; the token is refreshed and the call is
// repeated once.
import type { Logger } from '../../log.ts';
import { joinUrl, queryFailure, send, submitFailure, type DeniedStop, type Reply } from '../http.ts';
import { wireToMinor } from '../money.ts';
import { decimalNumber } from '../raw-json.ts';
import { statusReader } from '../status-table.ts';
import type { AdapterContext, BalanceReading, CallbackAck, ProviderAdapter, PayoutRequest, QueryOutcome, StatusReading, SubmitOutcome } from '../types.ts';
import { field, isObject, JsonNumber, parseLossless, stringifyLossless, textOf, type JsonObject, type JsonValue } from './json.ts';
import type { StarPagoConfig } from './schema.ts';
import { authorizationHeader, readCallback } from './sign.ts';
import { COMPLETED, orderStatusTable, PAID_OUT } from './status.ts';
import { TokenSource } from './token.ts';

export const CREATE_PATH = '/api/v3/payout/create';

/** What one authorised call came to: the shared reply, or why no payout call was made at all. */
type Sent =
  | Reply
  /** The token call failed: the payout request itself was never sent. */
  | { kind: 'noToken'; cause: string; retryAfterMs?: number; throttled?: boolean }
  | { kind: 'stop'; code: string; message: string };

const refusedQuery = (status: number) => ({ code: `HTTP_${status}`, message: `StarPago refused the query (HTTP ${status}): check queryPath and the account's access` });
const denied: DeniedStop = refusedQuery;

/** The create body, in the field order of payout.html, with `amount` as a raw JSON number literal. */
export function buildCreateBody(payout: PayoutRequest, config: Pick<StarPagoConfig, 'accountNumberExtraKey'>, notifyUrl: string | undefined): string {
  const extra = Object.create(null) as JsonObject;
  for (const [key, value] of Object.entries(payout.extra)) extra[key] = value;
  const accountKey = config.accountNumberExtraKey;
  const account = payout.fields.account_number;
  if (accountKey && account && !Object.prototype.hasOwnProperty.call(extra, accountKey)) extra[accountKey] = account;
  const body = Object.create(null) as JsonObject;
  body.merOrderNo = payout.merchantReference;
  body.currency = payout.currency;
  body.payMethod = payout.fields.method ?? '';
  body.amount = decimalNumber(payout.amount);
  if (notifyUrl) body.notifyUrl = notifyUrl;
  body.extra = extra;
  return stringifyLossless(body);
}

/** Minor units of a JSON number field, exactly (no float); undefined when absent or not exact. */
function minorField(data: JsonValue | undefined, key: string, currency: string, log: Logger): bigint | undefined {
  const value = field(data, key);
  if (!(value instanceof JsonNumber) && typeof value !== 'string') return undefined;
  const text = textOf(value)!;
  const minor = wireToMinor(text, currency);
  if (minor === undefined) log.warn('starpago: amount field is not a whole number of minor units; left out', { field: key, value: text, currency });
  return minor;
}

export interface StarPagoAdapter extends ProviderAdapter {
  /** Token requests sent so far (diagnostics and tests). */
  readonly tokenRequests: number;
}

export function createAdapter(config: StarPagoConfig, ctx: AdapterContext): StarPagoAdapter {
  const log = ctx.log;
  const timeoutMs = Math.round(config.timeoutSeconds * 1000);
  const notifyUrl = ctx.callbackUrl ?? config.callbackUrl ?? undefined;
  const rejectCodes = new Set(config.rejectCodes);
  const duplicateCodes = new Set(config.duplicateCodes);
  const notFoundCodes = new Set(config.notFoundCodes);
  const tokens = new TokenSource({
    baseUrl: config.baseUrl,
    appId: config.appId,
    appSecret: config.appSecret,
    userAgent: config.userAgent,
    refreshBeforeSeconds: config.tokenRefreshBeforeSeconds,
    timeoutMs,
  });

  const readStatus = statusReader(orderStatusTable, log, 'starpago: unmapped payout status, treated as pending');

  /** authorise → send: one call with the Bearer token; a 401 refreshes the token and repeats the call once. */
  async function authorised(method: 'GET' | 'POST', url: string, body?: string): Promise<Sent> {
    for (let attempt = 1; ; attempt++) {
      const t = await tokens.get();
      if (t.kind === 'stop') return t;
      if (t.kind === 'transient') return { ...t, kind: 'noToken' };
      const headers: Record<string, string> = { 'User-Agent': config.userAgent, Authorization: authorizationHeader(t.token) };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const reply = await send({ method, url, headers, timeoutMs, ...(body !== undefined ? { body } : {}) });
      if (reply.kind !== 'denied' || reply.status !== 401) return reply;
      tokens.invalidate(t.token);
      if (attempt === 1) {
        log.info('starpago: token refused (HTTP 401); refreshing it and repeating the call once');
        continue;
      }
      return { kind: 'stop', code: 'UNAUTHORIZED', message: 'StarPago answered HTTP 401 to a freshly issued token: check the account (appId) and baseUrl' };
    }
  }

  function reading(data: JsonValue | undefined, payout: PayoutRequest): StatusReading {
    const raw = (textOf(field(data, 'status')) ?? '').trim();
    const { canonical } = readStatus(raw);
    const out: StatusReading = { canonical, raw };
    const providerRef = textOf(field(data, 'orderNo'));
    if (providerRef) out.providerRef = providerRef;
    const upper = raw.toUpperCase();
    // paidAmount is what actually moved ("refer to the actual transaction amount" [C]); tradeCharge is
    // "invalid until the transaction is completed" [C], so neither is read from an order still in progress.
    if (PAID_OUT.has(upper)) {
      const paid = minorField(data, 'paidAmount', payout.currency, log);
      if (paid !== undefined) out.paidAmountMinor = paid;
    }
    if (COMPLETED.has(upper)) {
      const fee = minorField(data, 'tradeCharge', payout.currency, log);
      if (fee !== undefined) out.feeMinor = fee;
    }
    const message = textOf(field(data, 'message')) ?? textOf(field(data, 'msg'));
    if (message) out.message = message;
    const errorCode = textOf(field(data, 'errorCode'));
    if (errorCode) out.errorCode = errorCode;
    return out;
  }

  const envelope = (body: JsonValue | undefined) => ({
    code: textOf(field(body, 'code')),
    msg: textOf(field(body, 'msg')) ?? textOf(field(body, 'message')) ?? textOf(field(body, 'error')) ?? '',
    data: field(body, 'data'),
  });

  async function submit(payout: PayoutRequest): Promise<SubmitOutcome> {
    // build
    let body: string;
    try {
      body = buildCreateBody(payout, config, notifyUrl);
    } catch (err) {
      return { kind: 'rejected', code: 'AMOUNT', message: (err as Error).message };
    }
    // authorise → send
    const sent = await authorised('POST', joinUrl(config.baseUrl, CREATE_PATH), body);
    // interpret
    if (sent.kind === 'stop') return sent;
    if (sent.kind === 'noToken') return { ...sent, kind: 'notSent' };
    // StarPago's rule: any create that is not HTTP 200 is asked about, never re-submitted — a 403 included.
    if (sent.kind === 'denied') return { kind: 'unknown', cause: `create answered HTTP ${sent.status}: StarPago says query the order, never re-submit` };
    if (sent.kind !== 'answer') return submitFailure(sent, denied);
    if (sent.status !== 200) return { kind: 'unknown', cause: `create answered HTTP ${sent.status}: StarPago says query the order, never re-submit` };
    const answer = parseLossless(sent.text);
    if (!isObject(answer)) return { kind: 'unknown', cause: 'create answered HTTP 200 with a body that is not JSON' };
    const { code, msg, data } = envelope(answer);
    if (code === '0') {
      if (!isObject(data)) return { kind: 'unknown', cause: 'create answered code 0 without data' };
      return { kind: 'accepted', reading: reading(data, payout) };
    }
    if (code !== undefined && duplicateCodes.has(code)) return { kind: 'unknown', alreadyCreated: true, cause: `merOrderNo already exists (code ${code}${msg ? `: ${msg}` : ''})` };
    if (code !== undefined && rejectCodes.has(code)) return { kind: 'rejected', code, message: msg || 'parameter validation failed', raw: sent.text };
    return { kind: 'unknown', cause: `create answered business code ${code ?? '(none)'}${msg ? `: ${msg}` : ''}` };
  }

  /**
   * Why a query answer may describe another order than this row's, or undefined. payout.html warns that
   * merOrderNo can be reused for some currencies, so an answer by merOrderNo is this row's only when it names
   * the orderNo StarPago gave this row (journaled from the create answer, or from the first answer after an
   * unknown create). Anything else is read as unknown, never as this row's status.
   */
  function anotherOrder(data: JsonValue, payout: PayoutRequest): string | undefined {
    const merOrderNo = textOf(field(data, 'merOrderNo'));
    if (merOrderNo !== undefined && merOrderNo !== payout.merchantReference)
      return `query answer is about merOrderNo ${merOrderNo}, not ${payout.merchantReference}`;
    const expected = payout.providerReference;
    if (!expected) return undefined;
    const orderNo = textOf(field(data, 'orderNo'));
    if (orderNo === undefined) return `query answer names no orderNo, so it cannot be matched to order ${expected} (merOrderNo may be reused)`;
    if (orderNo !== expected) return `query answer is about order ${orderNo}, not order ${expected} created for this row (merOrderNo reused?)`;
    return undefined;
  }

  async function query(payout: PayoutRequest): Promise<QueryOutcome> {
    const sent = await authorised('GET', `${joinUrl(config.baseUrl, config.queryPath)}?merOrderNo=${encodeURIComponent(payout.merchantReference)}`);
    if (sent.kind === 'stop') return sent;
    if (sent.kind === 'noToken') return { ...sent, kind: 'unknown' };
    if (sent.kind !== 'answer') return queryFailure(sent, denied);
    if (sent.status === 404 || sent.status === 405) {
      // An unknown order is business code 404 in an HTTP 200 answer; an HTTP 404 means the path is wrong.
      return { kind: 'stop', code: `HTTP_${sent.status}`, message: `StarPago has no query endpoint at ${config.queryPath} (HTTP ${sent.status}): set providers.starpago.queryPath` };
    }
    if (sent.status === 400) return { kind: 'stop', ...refusedQuery(sent.status) };
    if (sent.status !== 200) return { kind: 'unknown', cause: `query answered HTTP ${sent.status}` };
    const answer = parseLossless(sent.text);
    if (!isObject(answer)) return { kind: 'unknown', cause: 'query answered HTTP 200 with a body that is not JSON' };
    const { code, msg, data } = envelope(answer);
    if (code === '0') {
      if (!isObject(data) || textOf(field(data, 'status')) === undefined) return { kind: 'unknown', cause: 'query answered code 0 without data.status' };
      const other = anotherOrder(data, payout);
      if (other) return { kind: 'unknown', cause: other };
      return { kind: 'status', reading: reading(data, payout) };
    }
    if (code !== undefined && notFoundCodes.has(code)) return { kind: 'notFound', cause: `StarPago: no order ${payout.merchantReference} (code ${code}${msg ? `: ${msg}` : ''})` };
    return { kind: 'unknown', cause: `query answered business code ${code ?? '(none)'}${msg ? `: ${msg}` : ''}` };
  }

  async function balance(currency: string): Promise<BalanceReading | undefined> {
    const sent = await authorised('GET', `${joinUrl(config.baseUrl, config.balancePath)}?currency=${encodeURIComponent(currency)}`);
    if (sent.kind !== 'answer') {
      log.warn('starpago: balance not available', { cause: 'cause' in sent ? sent.cause : sent.message });
      return undefined;
    }
    const { code, data } = envelope(parseLossless(sent.text));
    if (sent.status !== 200 || code !== '0') {
      log.warn('starpago: balance not available', { status: sent.status, code });
      return undefined;
    }
    // Shape [assumed]: data {currency, balance} or a list of them (data[], data.balances[], data.list[]).
    const list = Array.isArray(data) ? data : (['balances', 'list'].map((k) => field(data, k)).find(Array.isArray) as JsonValue[] | undefined);
    const entry = list ? list.find((e) => textOf(field(e, 'currency')) === currency) : (textOf(field(data, 'currency')) ?? currency) === currency ? data : undefined;
    if (!isObject(entry)) return undefined;
    for (const key of ['availableBalance', 'available', 'balance']) {
      const minor = field(entry, key) === undefined ? undefined : minorField(entry, key, currency, log);
      if (minor !== undefined) return { currency, availableMinor: minor, raw: textOf(field(entry, key))! };
    }
    return undefined;
  }

  const callbackAck: CallbackAck = { status: 200, contentType: 'text/plain; charset=utf-8', body: config.callbackAckBody };

  return {
    id: 'starpago',
    submit,
    query,
    balance,
    verifyCallback: readCallback,
    callbackAck,
    get tokenRequests() {
      return tokens.requests;
    },
  };
}
