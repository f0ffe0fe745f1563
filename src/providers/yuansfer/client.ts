// The Yuansfer / Pockyt Payouts v3 adapter. Every call reads top to bottom: build the parameters → sign
// (verifySign over the sorted parameters) → send (httpCall, exact bytes) → classify the answer into what it
// means to money.
import { httpCall, parseJson } from '../http.ts';
import type {
  AdapterContext,
  BalanceReading,
  CallbackAck,
  CallbackRequest,
  CallbackVerdict,
  PayoutRequest,
  PrepareOutcome,
  ProviderAdapter,
  QueryOutcome,
  StatusReading,
  SubmitOutcome,
} from '../types.ts';
import { amountText, parseAmountMinor } from './amount.ts';
import { accountTag, bankAccountParams, customerCode, lastFour, payeeKey, registeredPayee, registerParams } from './payee.ts';
import { CURRENCY, RET, type YuansferConfig } from './schema.ts';
import { apiTimestamp, signedBody, verifySignMatches } from './sign.ts';
import { ACCOUNT_STATUS_BLOCKED, mapPayoutStatus, PAYEE_STATUS_BLOCKED } from './status.ts';

export const PATHS = {
  register: '/v3/payee/register',
  retrieve: '/v3/payee/retrieve',
  addBankAccount: '/v3/payee/account/create/bank-account',
  pay: '/v3/payouts/pay',
  inquiry: '/v3/payouts/inquiry',
  balance: '/v3/payouts/balance',
} as const;

/** [C] Pockyt resends an IPN until it reads exactly this plain-text body. */
export const CALLBACK_ACK: CallbackAck = { status: 200, contentType: 'text/plain', body: 'success' };

type Json = Record<string, unknown>;

/** One call's answer, before any endpoint-specific meaning is given to it. */
type Reply =
  | { kind: 'answer'; code: string; message: string; body: Json }
  | { kind: 'notSent'; cause: string }
  | { kind: 'throttled'; cause: string; retryAfterMs: number }
  | { kind: 'unknown'; cause: string }
  /** A non-2xx answer without a ret_code (wrong host or path, a gateway refusing us). */
  | { kind: 'http'; status: number; cause: string };

const asObject = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const asText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const DEFAULT_RETRY_AFTER_MS = 1000;
/** Pockyt-Request-IDs tried for one submit after replayed balance refusals (invoiceId, invoiceId.1, …). */
const MAX_REQUEST_KEYS = 8;

export function createAdapter(config: YuansferConfig, ctx: AdapterContext): ProviderAdapter {
  if (!/^https?:\/\//.test(config.baseUrl)) {
    throw new Error(`yuansfer: baseUrl must be an http(s) URL (got "${config.baseUrl}"); "sandbox" is resolved to the local sandbox's URL before the adapter is created`);
  }
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const timeoutMs = config.timeoutSeconds * 1000;
  const log = ctx.log;
  const isStop = (code: string) => config.stopCodes.includes(code);
  const isReject = (code: string) => config.rejectCodes.includes(code);
  /** customerNo per customerCode registered by this process: a retry after a failed add-account does not register again. */
  const registeredHere = new Map<string, string>();
  const unmappedLogged = new Set<string>();
  const inFlight = new Map<string, Promise<PrepareOutcome>>();

  // ---- send ------------------------------------------------------------------------------------------

  async function call(path: string, params: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<Reply> {
    const { body } = signedBody(
      { ...params, merchantNo: config.merchantNo, storeNo: config.storeNo, timestamp: apiTimestamp() },
      config.token,
    );
    const result = await httpCall({
      method: 'POST',
      url: baseUrl + path,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body,
      timeoutMs,
    });
    if (result.kind !== 'answer') return result;
    if (result.status === 429) {
      return { kind: 'throttled', cause: `HTTP 429 from ${path}`, retryAfterMs: result.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS };
    }
    if (result.status >= 500) return { kind: 'unknown', cause: `HTTP ${result.status} from ${path}` };
    const json = asObject(parseJson(result.text));
    const code = asText(json?.ret_code);
    if (json && code !== undefined) return { kind: 'answer', code, message: asText(json.ret_msg) ?? '', body: json };
    if (result.status >= 300) return { kind: 'http', status: result.status, cause: `HTTP ${result.status} from ${path} without a ret_code` };
    return { kind: 'unknown', cause: `unreadable answer from ${path} (HTTP ${result.status})` };
  }

  /** A 4xx without ret_code that can only mean our configuration is wrong (host, path, access). */
  const configurationHttp = (status: number) => status === 401 || status === 403 || status === 404 || status === 405;

  /**
   * The sign-error code also means "parameters do not match" (e.g. an accountToken of another customer).
   * A call that carries no row data tells the two apart: if the balance endpoint answers the same code (or
   * access denied), the token/merchant/store are wrong. undefined = could not tell.
   */
  async function credentialsRejected(): Promise<boolean | undefined> {
    const reply = await call(PATHS.balance, { currency: CURRENCY });
    if (reply.kind !== 'answer') return reply.kind === 'http' && configurationHttp(reply.status) ? true : undefined;
    if (reply.code === RET.success) return false;
    if (reply.code === config.signErrorCode || isStop(reply.code)) return true;
    return undefined;
  }

  const credentialStop = (code: string, message: string): { kind: 'stop'; code: string; message: string } => ({
    kind: 'stop',
    code,
    message: `Pockyt refused the credentials (${code} ${message}): check merchantNo, storeNo and token`,
  });

  // ---- prepare: register the payee, add the bank account -----------------------------------------------

  async function prepareFailure(reply: Reply, step: string): Promise<PrepareOutcome> {
    switch (reply.kind) {
      case 'notSent':
      case 'unknown':
        // Safe to repeat: register is idempotent by customerCode and add-account by account (assumed answers).
        return { kind: 'retry', cause: `${step}: ${reply.cause}` };
      case 'throttled':
        return { kind: 'retry', cause: `${step}: ${reply.cause}`, throttled: true, retryAfterMs: reply.retryAfterMs };
      case 'http':
        return configurationHttp(reply.status)
          ? { kind: 'stop', code: `HTTP_${reply.status}`, message: `${step}: ${reply.cause} (check baseUrl)` }
          : { kind: 'retry', cause: `${step}: ${reply.cause}` };
      case 'answer': {
        const { code, message } = reply;
        if (isStop(code)) return credentialStop(code, message);
        if (code === config.signErrorCode) {
          const bad = await credentialsRejected();
          if (bad !== false) return credentialStop(code, message);
        }
        if (config.unknownCodes.includes(code)) return { kind: 'retry', cause: `${step}: ${code} ${message}` };
        if (isReject(code)) return { kind: 'rejected', code, message: `${step}: ${message || code}` };
        return { kind: 'retry', cause: `${step}: unexpected ret_code ${code} ${message}` };
      }
    }
  }

  async function register(fields: PayoutRequest['fields']): Promise<{ customerNo: string } | PrepareOutcome> {
    const reply = await call(PATHS.register, registerParams(fields));
    if (reply.kind !== 'answer' || reply.code !== RET.success) return prepareFailure(reply, 'register payee');
    const customerNo = asText(asObject(reply.body.customer)?.customerNo);
    if (!customerNo) return { kind: 'retry', cause: 'register payee: answer without customer.customerNo' };
    return { customerNo };
  }

  async function addBankAccount(fields: PayoutRequest['fields'], customerNo: string): Promise<PrepareOutcome> {
    const reply = await call(PATHS.addBankAccount, bankAccountParams(fields, customerNo, config.clientIp));
    if (reply.kind !== 'answer' || reply.code !== RET.success) return prepareFailure(reply, 'add bank account');
    const result = asObject(reply.body.result);
    const accountToken = asText(result?.accountToken);
    if (!accountToken) return { kind: 'retry', cause: 'add bank account: answer without result.accountToken' };
    const status = asText(result?.accountStatus) ?? '';
    if (ACCOUNT_STATUS_BLOCKED.has(status.toLowerCase())) {
      return { kind: 'rejected', code: `ACCOUNT_${status.toUpperCase()}`, message: 'Pockyt marked the bank account invalid' };
    }
    return { kind: 'ready', prepared: { customerNo, accountToken } };
  }

  /** After a crash: is the customer still there, and does it already have this bank account? */
  async function recover(fields: PayoutRequest['fields'], customerNo: string, checkCustomer: boolean): Promise<
    { found: PrepareOutcome } | { customerGone: true } | { customerNo: string }
  > {
    if (checkCustomer) {
      const reply = await call(PATHS.retrieve, { customerNo });
      if (reply.kind === 'answer' && reply.code === config.notFoundCode) return { customerGone: true };
      if (reply.kind !== 'answer' || reply.code !== RET.success) return { found: await prepareFailure(reply, 'retrieve payee') };
      const payeeStatus = asText(asObject(reply.body.customer)?.payeeStatus) ?? '';
      if (PAYEE_STATUS_BLOCKED.has(payeeStatus.toLowerCase())) {
        return { found: { kind: 'rejected', code: `PAYEE_${payeeStatus.toUpperCase()}`, message: `the Pockyt payee is ${payeeStatus}` } };
      }
    }
    const reply = await call(config.payoutAccountsPath, { customerNo });
    if (reply.kind === 'notSent' || reply.kind === 'unknown' || reply.kind === 'throttled') return { found: await prepareFailure(reply, 'list payout accounts') };
    if (reply.kind !== 'answer' || reply.code !== RET.success) {
      // The listing path is disputed between two Pockyt pages; without it, adding the account again is still
      // safe (same account → same accountToken, assumed answer).
      log.warn('yuansfer: could not list payout accounts; adding the bank account again', {
        path: config.payoutAccountsPath,
        answer: reply.kind === 'answer' ? reply.code : reply.cause,
      });
      return { customerNo };
    }
    const tag = accountTag(fields);
    const last4 = lastFour((fields.account_number ?? '').trim());
    const accounts = Array.isArray(reply.body.accounts) ? reply.body.accounts : [];
    for (const raw of accounts) {
      const account = asObject(raw);
      if (!account || asText(account.accountTag) !== tag) continue;
      const masked = asText(account.cardNumber);
      if (masked && !masked.endsWith(last4)) continue; // same tag, different digits: not ours
      const accountToken = asText(account.accountToken);
      if (!accountToken) continue;
      const status = asText(account.status) ?? '';
      if (ACCOUNT_STATUS_BLOCKED.has(status.toLowerCase())) {
        return { found: { kind: 'rejected', code: `ACCOUNT_${status.toUpperCase()}`, message: 'Pockyt marked the bank account invalid' } };
      }
      return { found: { kind: 'ready', prepared: { customerNo, accountToken } } };
    }
    return { customerNo };
  }

  /**
   * `checkpoint` journals the registered customerNo before the bank account is added: after a crash in
   * between, the engine hands it back in `payout.prepared` and recovery looks it up instead of registering.
   */
  function prepare(payout: PayoutRequest, checkpoint?: (partial: Record<string, string>) => void): Promise<PrepareOutcome> {
    // Rows of the same payee prepared concurrently share one set-up: the payee is registered once.
    const key = payeeKey(payout.fields);
    if (!key) return setUp(payout, checkpoint);
    const running = inFlight.get(key);
    if (running) return running;
    const started = setUp(payout, checkpoint).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async function setUp(payout: PayoutRequest, checkpoint?: (partial: Record<string, string>) => void): Promise<PrepareOutcome> {
    const registered = registeredPayee(payout.fields);
    if (registered) return { kind: 'ready', prepared: registered };
    const prepared = payout.prepared ?? {};
    if (prepared.customerNo && prepared.accountToken) return { kind: 'ready', prepared: { customerNo: prepared.customerNo, accountToken: prepared.accountToken } };

    const code = customerCode(payout.fields);
    let customerNo: string | undefined;
    // A partially prepared payee (customerNo cached, no accountToken): a crash came between register and
    // add-account. Never register again blindly: look the customer and its accounts up first.
    const known = prepared.customerNo ?? registeredHere.get(code);
    if (known) {
      const found = await recover(payout.fields, known, Boolean(prepared.customerNo));
      if ('found' in found) return found.found;
      if ('customerNo' in found) customerNo = found.customerNo;
    }
    if (!customerNo) {
      const result = await register(payout.fields);
      if ('kind' in result) return result;
      customerNo = result.customerNo;
      registeredHere.set(code, customerNo);
      log.info('yuansfer: payee registered', { customerCode: code, customerNo, payoutId: payout.payoutId });
      checkpoint?.({ customerNo });
    }
    return addBankAccount(payout.fields, customerNo);
  }

  // ---- submit: transfer payout -------------------------------------------------------------------------

  function reading(result: Json | undefined, fallbackRaw: string): StatusReading {
    const raw = asText(result?.status) ?? fallbackRaw;
    const mapped = mapPayoutStatus(raw);
    if (!mapped.known && !unmappedLogged.has(raw)) {
      unmappedLogged.add(raw);
      log.warn('yuansfer: unmapped payout status treated as pending', { rawStatus: raw });
    }
    const out: StatusReading = { canonical: mapped.canonical, raw };
    const transactionNo = asText(result?.transactionNo);
    if (transactionNo) out.providerRef = transactionNo;
    if (mapped.canonical === 'succeeded') {
      const paid = parseAmountMinor(asText(result?.amount));
      if (paid !== undefined) out.paidAmountMinor = paid;
    }
    if (mapped.canonical === 'failed' || mapped.canonical === 'reversed') {
      const failureCode = asText(result?.failureCode);
      const failureReason = asText(result?.failureReason);
      if (failureCode) out.errorCode = failureCode;
      if (failureReason) out.message = failureReason;
    }
    return out;
  }

  async function submit(payout: PayoutRequest): Promise<SubmitOutcome> {
    const payee = registeredPayee(payout.fields) ?? payout.prepared;
    const customerNo = payee?.customerNo;
    const accountToken = payee?.accountToken;
    if (!customerNo || !accountToken) {
      return { kind: 'stop', code: 'NOT_PREPARED', message: `row ${payout.rowNumber}: the payee was not prepared (no customerNo/accountToken); nothing was sent` };
    }
    if (payout.currency !== CURRENCY) return { kind: 'rejected', code: 'CURRENCY', message: `Yuansfer payouts are in USD only, not ${payout.currency}` };
    // [C] Pockyt-Request-ID: a replay returns the original answer, so every attempt of a payout sends the same
    // key, and a resend after an unknown outcome gets the first answer instead of a second payout. A balance
    // refusal (holdCodes) is an answer too, and would be replayed after the merchant tops up. So a refusal
    // while the balance now covers the payout is read as a replay, and the next key of a fixed sequence
    // (invoiceId, invoiceId.1, …) is tried: fixed, so that a resend after an unknown outcome walks to the same
    // key as the attempt that may have created the payout. The invoiceId stays the same throughout, and a used
    // invoiceId under another key answers duplicateCode: never a second payout.
    for (let k = 0; ; k++) {
      const requestId = k === 0 ? payout.merchantReference : `${payout.merchantReference}.${k}`;
      const outcome = await payOnce(payout, customerNo, accountToken, requestId);
      if (outcome.kind !== 'hold' || k + 1 >= MAX_REQUEST_KEYS) return outcome;
      const now = await balance(CURRENCY).catch(() => undefined);
      if (!now || now.availableMinor < payout.amountMinor) return outcome;
      log.info('yuansfer: balance refusal replayed for a covered payout; trying the next request id', { invoiceId: payout.merchantReference, requestId });
    }
  }

  async function payOnce(payout: PayoutRequest, customerNo: string, accountToken: string, requestId: string): Promise<SubmitOutcome> {
    const note = (payout.fields.note ?? '').trim();
    const invoiceId = payout.merchantReference;
    const reply = await call(
      PATHS.pay,
      {
        customerNo,
        accountToken,
        amount: amountText(payout.amountMinor),
        currency: CURRENCY,
        invoiceId,
        ipnUrl: ctx.callbackUrl ?? undefined,
        description: (note || config.description).slice(0, 100),
        note: note ? note.slice(0, 100) : undefined,
        subject: config.subject,
        processingChannel: config.processingChannel ?? undefined,
      },
      { 'Pockyt-Request-ID': requestId },
    );
    switch (reply.kind) {
      case 'notSent':
        return { kind: 'notSent', cause: reply.cause };
      case 'throttled':
        return { kind: 'notSent', cause: reply.cause, throttled: true, retryAfterMs: reply.retryAfterMs };
      case 'unknown':
        return { kind: 'unknown', cause: reply.cause };
      case 'http':
        return configurationHttp(reply.status)
          ? { kind: 'stop', code: `HTTP_${reply.status}`, message: `${reply.cause} (check baseUrl)` }
          : { kind: 'unknown', cause: reply.cause };
      case 'answer':
        break;
    }
    const { code, message } = reply;
    if (code === RET.success) return { kind: 'accepted', reading: reading(asObject(reply.body.result), 'pending') };
    if (isStop(code)) return credentialStop(code, message);
    if (code === config.signErrorCode) {
      const bad = await credentialsRejected();
      if (bad !== false) return credentialStop(code, message);
    }
    if (code === config.duplicateCode) {
      // Also "parameter value error": only a payout found under this invoiceId makes it a duplicate.
      const existing = await inquire(invoiceId);
      if (existing.kind === 'status') return { kind: 'unknown', cause: `${code} ${message}: invoiceId already used`, alreadyCreated: true };
      if (existing.kind !== 'notFound') return { kind: 'unknown', cause: `${code} ${message}, and the inquiry could not tell whether invoiceId ${invoiceId} exists` };
    }
    // A refusal about the merchant's account, not the row: every row after it would be refused the same way.
    if (config.holdCodes.includes(code)) return { kind: 'hold', code, message: message || 'Account balance is not sufficient' };
    if (isReject(code)) return { kind: 'rejected', code, message: message || code, raw: code };
    return { kind: 'unknown', cause: `ret_code ${code} ${message}` };
  }

  // ---- query: inquire payout ---------------------------------------------------------------------------

  async function inquire(invoiceId: string): Promise<QueryOutcome> {
    const reply = await call(PATHS.inquiry, { invoiceId });
    switch (reply.kind) {
      case 'notSent':
      case 'unknown':
        return { kind: 'unknown', cause: reply.cause };
      case 'throttled':
        return { kind: 'unknown', cause: reply.cause, throttled: true, retryAfterMs: reply.retryAfterMs };
      case 'http':
        return configurationHttp(reply.status)
          ? { kind: 'stop', code: `HTTP_${reply.status}`, message: `${reply.cause} (check baseUrl)` }
          : { kind: 'unknown', cause: reply.cause };
      case 'answer':
        break;
    }
    const { code, message } = reply;
    if (code === RET.success) {
      const result = asObject(reply.body.result);
      const answeredFor = asText(result?.invoiceId);
      if (!result || (answeredFor !== undefined && answeredFor !== invoiceId)) {
        return { kind: 'unknown', cause: `inquiry answer does not describe invoiceId ${invoiceId}` };
      }
      return { kind: 'status', reading: reading(result, 'pending') };
    }
    if (code === config.notFoundCode) return { kind: 'notFound', cause: `${code} ${message}` };
    // An inquiry carries no row data to disagree with: a sign error here is the credentials.
    if (isStop(code) || code === config.signErrorCode) return credentialStop(code, message);
    return { kind: 'unknown', cause: `ret_code ${code} ${message}` };
  }

  // ---- balance -----------------------------------------------------------------------------------------

  async function balance(currency: string): Promise<BalanceReading | undefined> {
    if (currency !== CURRENCY) return undefined;
    const reply = await call(PATHS.balance, { currency });
    if (reply.kind !== 'answer' || reply.code !== RET.success) {
      log.warn('yuansfer: balance unavailable', { answer: reply.kind === 'answer' ? `${reply.code} ${reply.message}` : reply.cause });
      return undefined;
    }
    const result = asObject(reply.body.result);
    const text = asText(result?.balance) ?? asText(result?.availableBalance);
    const availableMinor = parseAmountMinor(text);
    if (availableMinor === undefined) return undefined;
    return { currency, availableMinor, raw: text };
  }

  // ---- IPN ---------------------------------------------------------------------------------------------

  function verifyCallback(request: CallbackRequest): CallbackVerdict {
    const params = parseCallbackParams(request.rawBody);
    if (!params) return { ok: false, reason: 'IPN body is neither form-encoded nor a JSON object of text values' };
    if (!params.verifySign) return { ok: false, reason: 'IPN without verifySign' };
    if (!verifySignMatches(params, config.token)) return { ok: false, reason: 'IPN verifySign does not match' };
    if (params.merchantNo !== undefined && params.merchantNo !== config.merchantNo) return { ok: false, reason: 'IPN for another merchantNo' };
    if (params.storeNo !== undefined && params.storeNo !== config.storeNo) return { ok: false, reason: 'IPN for another storeNo' };
    const merchantReference = params.invoiceId || params.reference;
    if (!merchantReference) return { ok: false, reason: 'IPN names no invoiceId or reference' };
    return { ok: true, merchantReference, providerReference: params.transactionNo || undefined, rawStatus: params.status || undefined };
  }

  return {
    id: 'yuansfer',
    prepare,
    payeeKey: (payout) => payeeKey(payout.fields),
    submit,
    query: (payout) => inquire(payout.merchantReference),
    balance,
    verifyCallback,
    callbackAck: CALLBACK_ACK,
  };
}

/**
 * IPN parameters. [C] the payload is URL-encoded (form); a JSON object of text values is read too, since the
 * payout-specific IPN page was not readable [U]. A parameter given twice is refused (ambiguous what was signed).
 */
export function parseCallbackParams(rawBody: Buffer): Record<string, string> | undefined {
  const text = rawBody.toString('utf8').trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const object = asObject(parsed);
    if (!object) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(object)) {
      if (v === null || v === undefined) continue;
      const t = asText(v) ?? (typeof v === 'boolean' ? String(v) : undefined);
      if (t === undefined) return undefined;
      out[k] = t;
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (Object.prototype.hasOwnProperty.call(out, k)) return undefined;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

