// The Yuansfer / Pockyt Payouts v3 adapter. Every call reads top to bottom: build the parameters → sign and
// send (call.ts) → interpret Pockyt's ret_code here. Payee set-up lives in prepare.ts, IPNs in ipn.ts.
import { queryFailure, submitFailure } from '../http.ts';
import { statusReader } from '../status-table.ts';
import type { AdapterContext, BalanceReading, CallbackAck, PayoutRequest, ProviderAdapter, QueryOutcome, StatusReading, SubmitOutcome } from '../types.ts';
import { amountText, parseAmountMinor } from './amount.ts';
import { asObject, asText, configurationHttp, denied, httpStop, PATHS, pockytCaller, type Json } from './call.ts';
import { verifyIpn } from './ipn.ts';
import { payeeKey, registeredPayee } from './payee.ts';
import { payeeSetup } from './prepare.ts';
import { CURRENCY, RET, type YuansferConfig } from './schema.ts';
import { payoutStatusTable } from './status.ts';

export { PATHS } from './call.ts';
export { parseCallbackParams } from './ipn.ts';

/** [C] Pockyt resends an IPN until it reads exactly this plain-text body. */
export const CALLBACK_ACK: CallbackAck = { status: 200, contentType: 'text/plain', body: 'success' };

/** Pockyt-Request-IDs tried for one submit after replayed balance refusals (invoiceId, invoiceId.1, …). */
const MAX_REQUEST_KEYS = 8;

export function createAdapter(config: YuansferConfig, ctx: AdapterContext): ProviderAdapter {
  if (!/^https?:\/\//.test(config.baseUrl)) {
    throw new Error(`yuansfer: baseUrl must be an http(s) URL (got "${config.baseUrl}"); "sandbox" is resolved to the local sandbox's URL before the adapter is created`);
  }
  const log = ctx.log;
  const call = pockytCaller(config);
  const readStatus = statusReader(payoutStatusTable, log, 'yuansfer: unmapped payout status treated as pending');

  const credentialStop = (code: string, message: string) => ({
    kind: 'stop' as const,
    code,
    message: `Pockyt refused the credentials (${code} ${message}): check merchantNo, storeNo and token`,
  });

  /**
   * The sign-error code also means "parameters do not match" (e.g. an accountToken of another customer).
   * A call that carries no row data tells the two apart: if the balance endpoint answers the same code (or
   * access denied), the token/merchant/store are wrong. undefined = could not tell.
   */
  async function credentialsRejected(): Promise<boolean | undefined> {
    const reply = await call(PATHS.balance, { currency: CURRENCY });
    if (reply.kind === 'denied') return true;
    if (reply.kind !== 'ret') return reply.kind === 'http' && configurationHttp(reply.status) ? true : undefined;
    if (reply.code === RET.success) return false;
    if (reply.code === config.signErrorCode || config.stopCodes.includes(reply.code)) return true;
    return undefined;
  }

  const setup = payeeSetup(config, ctx, call, { stop: credentialStop, rejected: credentialsRejected });

  function reading(result: Json | undefined, fallbackRaw: string): StatusReading {
    const raw = asText(result?.status) ?? fallbackRaw;
    const { canonical } = readStatus(raw);
    const out: StatusReading = { canonical, raw };
    const transactionNo = asText(result?.transactionNo);
    if (transactionNo) out.providerRef = transactionNo;
    if (canonical === 'succeeded') {
      const paid = parseAmountMinor(asText(result?.amount));
      if (paid !== undefined) out.paidAmountMinor = paid;
    }
    if (canonical === 'failed' || canonical === 'reversed') {
      const failureCode = asText(result?.failureCode);
      const failureReason = asText(result?.failureReason);
      if (failureCode) out.errorCode = failureCode;
      if (failureReason) out.message = failureReason;
    }
    return out;
  }

  // ---- submit: transfer payout -------------------------------------------------------------------------

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
    // build
    const note = (payout.fields.note ?? '').trim();
    const invoiceId = payout.merchantReference;
    const params = {
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
    };
    // sign → send
    const reply = await call(PATHS.pay, params, { 'Pockyt-Request-ID': requestId });
    // interpret
    if (reply.kind === 'http') return configurationHttp(reply.status) ? httpStop(reply.status, reply.cause) : { kind: 'unknown', cause: reply.cause };
    if (reply.kind !== 'ret') return submitFailure(reply, denied);
    const { code, message } = reply;
    if (code === RET.success) return { kind: 'accepted', reading: reading(asObject(reply.body.result), 'pending') };
    if (config.stopCodes.includes(code)) return credentialStop(code, message);
    if (code === config.signErrorCode && (await credentialsRejected()) !== false) return credentialStop(code, message);
    if (code === config.duplicateCode) {
      // Also "parameter value error": only a payout found under this invoiceId makes it a duplicate.
      const existing = await inquire(invoiceId);
      if (existing.kind === 'status') return { kind: 'unknown', cause: `${code} ${message}: invoiceId already used`, alreadyCreated: true };
      if (existing.kind !== 'notFound') return { kind: 'unknown', cause: `${code} ${message}, and the inquiry could not tell whether invoiceId ${invoiceId} exists` };
    }
    // A refusal about the merchant's account, not the row: every row after it would be refused the same way.
    if (config.holdCodes.includes(code)) return { kind: 'hold', code, message: message || 'Account balance is not sufficient' };
    if (config.rejectCodes.includes(code)) return { kind: 'rejected', code, message: message || code, raw: code };
    return { kind: 'unknown', cause: `ret_code ${code} ${message}` };
  }

  // ---- query: inquire payout ---------------------------------------------------------------------------

  async function inquire(invoiceId: string): Promise<QueryOutcome> {
    const reply = await call(PATHS.inquiry, { invoiceId });
    if (reply.kind === 'http') return configurationHttp(reply.status) ? httpStop(reply.status, reply.cause) : { kind: 'unknown', cause: reply.cause };
    if (reply.kind !== 'ret') return queryFailure(reply, denied);
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
    if (config.stopCodes.includes(code) || code === config.signErrorCode) return credentialStop(code, message);
    return { kind: 'unknown', cause: `ret_code ${code} ${message}` };
  }

  // ---- balance -----------------------------------------------------------------------------------------

  async function balance(currency: string): Promise<BalanceReading | undefined> {
    if (currency !== CURRENCY) return undefined;
    const reply = await call(PATHS.balance, { currency });
    if (reply.kind !== 'ret' || reply.code !== RET.success) {
      log.warn('yuansfer: balance unavailable', { answer: reply.kind === 'ret' ? `${reply.code} ${reply.message}` : reply.cause });
      return undefined;
    }
    const result = asObject(reply.body.result);
    const text = asText(result?.balance) ?? asText(result?.availableBalance);
    const availableMinor = parseAmountMinor(text);
    if (availableMinor === undefined) return undefined;
    return { currency, availableMinor, raw: text };
  }

  return {
    id: 'yuansfer',
    prepare: setup.prepare,
    payeeKey: (payout) => payeeKey(payout.fields),
    submit,
    query: (payout) => inquire(payout.merchantReference),
    balance,
    verifyCallback: (request) => verifyIpn(request, config),
    callbackAck: CALLBACK_ACK,
  };
}
