// The PayStar adapter. Reads top to bottom: build → sign (bearer JWT) → send → interpret. Transport, 429,
// 401/403 and 5xx are classified by http.ts; PayStar's own answers (400 bodies, 423, 404) are read here.
import { ConfigError } from '../../config/secrets.ts';
import { joinUrl, parseJson, parseJsonObject, queryFailure, send, submitFailure, type Answer, type DeniedStop } from '../http.ts';
import { wireToMinor } from '../money.ts';
import { scalarLiteral } from '../raw-json.ts';
import { statusReader } from '../status-table.ts';
import type { AdapterContext, BalanceReading, CallbackRequest, CallbackVerdict, ProviderAdapter, PayoutRequest, QueryOutcome, StatusReading, SubmitOutcome } from '../types.ts';
import { cardDigits, isCardKey, methodIsCard, scrubCardNumbers } from './card.ts';
import { jsonWithNumberLiteral } from './raw-json.ts';
import type { PaystarConfig } from './schema.ts';
import { callbackSignature, hexSignatureMatches, paystarJwt } from './sign.ts';
import { paystarStatusTable } from './status.ts';

/** PayStar's error body [C]: note the provider's own spelling `statusDescrption`. */
interface PaystarError {
  label?: string;
  message?: string;
  statusDescrption?: string;
}

// ---------- build ----------

/** additionalFields: every field.<key> column as {key, value}, keys verbatim, in column order; cards as digits. */
export function additionalFields(payout: PayoutRequest, cardFieldKeys: readonly string[]): { key: string; value: string }[] {
  const fields = Object.entries(payout.additional)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => ({ key, value: isCardKey(key, cardFieldKeys) ? cardDigits(value) : value }));
  const account = payout.fields.account_number;
  const hasCard = fields.some((f) => isCardKey(f.key, cardFieldKeys));
  if (account && methodIsCard(payout.fields.method) && !hasCard) fields.unshift({ key: cardFieldKeys[0] ?? 'cardNumber', value: cardDigits(account) });
  return fields;
}

/** The create body as the exact text sent: `amount` is the decimal text written as a JSON number. */
export function createBody(payout: PayoutRequest, cardFieldKeys: readonly string[], callbackUrl?: string | null): string {
  const rest: Record<string, unknown> = {
    currency: payout.currency,
    externalTransactionId: payout.merchantReference,
  };
  if (callbackUrl) rest.callbackUrl = callbackUrl;
  rest.additionalFields = additionalFields(payout, cardFieldKeys);
  return jsonWithNumberLiteral('amount', payout.amount, rest);
}

// ---------- classify helpers ----------

const errorBody = (text: string): PaystarError | undefined => parseJsonObject(text) as PaystarError | undefined;

const denied: DeniedStop = (status) =>
  status === 401
    ? { code: 'HTTP_401', message: 'PayStar refused the credentials (HTTP 401): check publicKey/privateKey or token — payout keys differ from deposit keys, and test keys only work in test mode' }
    : { code: 'HTTP_403', message: 'PayStar answered HTTP 403: the endpoint is not activated for these keys, or this server’s IP is not whitelisted' };

/** "Limit id: 42 was reached" → "Limit id: 42"; falls back to the whole message. */
function limitName(message: string | undefined): string {
  if (!message) return 'a PayStar limit (unnamed)';
  const m = /limit\s*id\s*:?\s*([^\s,;]+)/i.exec(message);
  return m ? `limit id ${m[1]}` : message;
}

// ---------- the adapter ----------

export function createAdapter(config: PaystarConfig, ctx: AdapterContext): ProviderAdapter {
  const hasKeys = Boolean(config.publicKey && config.privateKey);
  if (!hasKeys && !config.token) {
    throw new ConfigError('providers.paystar: configure publicKey and privateKey, or a ready token');
  }
  const baseUrl = config.baseUrl;
  const balanceBase = !config.balanceBaseUrl || config.balanceBaseUrl === 'sandbox' ? baseUrl : config.balanceBaseUrl;
  const timeoutMs = Math.round(config.timeoutSeconds * 1000);
  const callbackUrl = ctx.callbackUrl ?? config.callbackUrl ?? undefined;
  const readOrderStatus = statusReader(paystarStatusTable, ctx.log, 'paystar: unmapped orderStatus, treated as pending', 'orderStatus');
  // Without iat the token never changes: build it once. The keys win over a ready token when both are set.
  const fixedToken = hasKeys ? (config.jwtIssuedAt ? undefined : paystarJwt(config.publicKey!, config.privateKey!)) : config.token;

  function bearer(): string {
    return fixedToken ?? paystarJwt(config.publicKey!, config.privateKey!, Math.floor(Date.now() / 1000));
  }

  function headers(withBody: boolean): Record<string, string> {
    const h: Record<string, string> = { Authorization: `Bearer ${bearer()}`, accept: 'text/plain' };
    if (withBody) h['Content-Type'] = 'application/json';
    return h;
  }

  function readStatus(text: string, currency: string): StatusReading | undefined {
    const body = parseJson(text) as { externalId?: unknown; orderStatus?: unknown; orderHistory?: unknown } | undefined;
    if (!body || typeof body !== 'object' || typeof body.orderStatus !== 'string') return undefined;
    const raw = body.orderStatus;
    const { canonical } = readOrderStatus(raw);
    const reading: StatusReading = { canonical, raw };
    if (typeof body.externalId === 'string' && body.externalId) reading.providerRef = body.externalId;
    // The status answer carries no amount in the docs; if one appears, it is read from its literal.
    const amount = scalarLiteral(text, 'amount');
    if (amount.ok) {
      const minor = wireToMinor(amount.text, currency);
      if (minor !== undefined) reading.paidAmountMinor = minor;
    }
    if (canonical === 'failed' && Array.isArray(body.orderHistory) && body.orderHistory.length > 0) {
      const last = body.orderHistory[body.orderHistory.length - 1] as { action?: unknown };
      if (typeof last?.action === 'string') reading.errorCode = last.action;
    }
    return reading;
  }

  /** interpret: PayStar's answer to a create (anything http.ts did not already classify). */
  function interpretCreate(result: Answer, payout: PayoutRequest): SubmitOutcome {
    const { status, text } = result;
    if (status === 200 || status === 201) {
      const reading = readStatus(text, payout.currency);
      if (!reading?.providerRef) return { kind: 'unknown', cause: `HTTP ${status} without externalId/orderStatus` };
      return { kind: 'accepted', reading };
    }
    if (status === 400) {
      const body = errorBody(text);
      // An unreadable 400 might be the duplicate answer: only a query may say it was not created.
      if (!body) return { kind: 'unknown', cause: 'HTTP 400 with an unreadable body' };
      const code = body.statusDescrption ?? '';
      const label = (body.label ?? '').replace(/\.$/, '');
      const message = scrubCardNumbers(body.message ?? '');
      if (config.duplicateCodes.includes(code)) {
        return { kind: 'unknown', alreadyCreated: true, cause: `PayStar ${code}: an order with externalTransactionId ${payout.merchantReference} already exists` };
      }
      if (label === 'LIMITS_ERROR') {
        return { kind: 'rejected', code: 'LIMITS_ERROR', message: `PayStar limit reached (${limitName(body.message)}): ${message}`, raw: scrubCardNumbers(text) };
      }
      return { kind: 'rejected', code: [label || 'HTTP_400', code].filter(Boolean).join(' '), message: message || 'PayStar rejected the request (HTTP 400)', raw: scrubCardNumbers(text) };
    }
    if (status === 423) {
      // [U]: "Temporary error". Nothing is created; try again later.
      return { kind: 'notSent', cause: 'PayStar answered HTTP 423 (temporary error, order not created)', retryAfterMs: result.retryAfterMs ?? config.retryLockedAfterSeconds * 1000 };
    }
    if (status === 404 || status === 405) {
      return { kind: 'stop', code: `HTTP_${status}`, message: `PayStar has no create endpoint at ${config.createPath} (HTTP ${status}): check baseUrl and createPath` };
    }
    return { kind: 'unknown', cause: `HTTP ${status} from PayStar: the order may have been created` };
  }

  /** interpret: PayStar's answer to a status query. */
  function interpretQuery(result: Answer, payout: PayoutRequest): QueryOutcome {
    const { status, text } = result;
    if (status === 200) {
      const reading = readStatus(text, payout.currency);
      return reading ? { kind: 'status', reading } : { kind: 'unknown', cause: 'HTTP 200 without orderStatus' };
    }
    // Assumed answer: an unknown order is HTTP 404.
    if (status === 404) return { kind: 'notFound', cause: `PayStar has no order with externalTransactionId ${payout.merchantReference}` };
    if (status === 423) return { kind: 'unknown', cause: 'PayStar answered HTTP 423 (temporary error)', retryAfterMs: result.retryAfterMs ?? config.retryLockedAfterSeconds * 1000 };
    return { kind: 'unknown', cause: `HTTP ${status} from PayStar status` };
  }

  return {
    id: 'paystar',

    async submit(payout) {
      // build → sign → send
      const body = createBody(payout, config.cardFieldKeys, callbackUrl);
      const reply = await send({ method: 'POST', url: joinUrl(baseUrl, config.createPath), headers: headers(true), body, timeoutMs });
      // interpret
      const outcome = reply.kind === 'answer' ? interpretCreate(reply, payout) : submitFailure(reply, denied);
      ctx.log.debug('paystar create', { reference: payout.merchantReference, outcome: outcome.kind, status: reply.kind === 'answer' ? reply.status : undefined });
      return outcome;
    },

    async query(payout) {
      const path = config.statusPath.replace('{externalTransactionId}', encodeURIComponent(payout.merchantReference));
      const reply = await send({ method: 'GET', url: joinUrl(baseUrl, path), headers: headers(false), timeoutMs });
      return reply.kind === 'answer' ? interpretQuery(reply, payout) : queryFailure(reply, denied);
    },

    async balance(currency): Promise<BalanceReading | undefined> {
      const url = `${joinUrl(balanceBase, config.balancePath)}?currency=${encodeURIComponent(currency)}`;
      const reply = await send({ method: 'GET', url, headers: headers(false), timeoutMs });
      if (reply.kind !== 'answer' || reply.status !== 200) {
        ctx.log.warn('paystar: balance not available', { currency, status: reply.kind === 'answer' ? reply.status : reply.cause });
        return undefined;
      }
      const literal = scalarLiteral(reply.text, config.balanceField);
      const minor = literal.ok ? wireToMinor(literal.text, currency) : undefined;
      if (minor === undefined) {
        ctx.log.warn('paystar: balance answer not understood', { currency, field: config.balanceField });
        return undefined;
      }
      return { currency, availableMinor: minor, raw: literal.ok ? literal.text : undefined };
    },

    verifyCallback(request: CallbackRequest): CallbackVerdict {
      if (!config.privateKey) return { ok: false, reason: 'privateKey is not configured: PayStar callbacks cannot be verified with a token alone' };
      const headerName = Object.keys(request.headers).find((k) => k.toLowerCase() === 'signature');
      const header = headerName === undefined ? undefined : request.headers[headerName];
      const received = Array.isArray(header) ? header[0] : header;
      if (!received) return { ok: false, reason: 'no Signature header' };
      const text = request.rawBody.toString('utf8');
      const body = parseJson(text) as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'body is not a JSON object' };
      // The older doc copy spells the field `externald`; accept both.
      const externalId = typeof body.externalId === 'string' ? body.externalId : typeof body.externald === 'string' ? body.externald : undefined;
      const { status, orderType } = body;
      if (!externalId || typeof status !== 'string' || typeof orderType !== 'string') return { ok: false, reason: 'externalId, status or orderType missing' };
      const amount = scalarLiteral(text, 'amount');
      if (!amount.ok) return { ok: false, reason: `amount: ${amount.reason}` };
      const expected = callbackSignature({ externalId, status, amount: amount.text, orderType }, config.privateKey);
      if (!hexSignatureMatches(received, expected)) return { ok: false, reason: 'Signature does not match the body' };
      if (orderType.toLowerCase() !== 'withdrawal') return { ok: false, reason: `orderType ${orderType} is not a payout` };
      const merchantReference = typeof body.externalTransactionId === 'string' ? body.externalTransactionId : '';
      // PayStar callbacks name the order by PayStar's externalId (our providerRef), not by our reference.
      return { ok: true, merchantReference, providerReference: externalId, rawStatus: status };
    },

    callbackAck: { status: config.callbackAckStatus, contentType: config.callbackAckContentType, body: config.callbackAckBody },
  };
}
