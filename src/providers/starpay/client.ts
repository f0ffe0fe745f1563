// Starpay adapter. Every call reads top to bottom: build the request fields (fields.ts) → sign the exact JSON
// text, send those bytes and verify the answer's signature (exchange.ts) → interpret Starpay's own code here.
import { deniedStop, queryFailure, submitFailure } from '../http.ts';
import { statusReader, type MappedStatus } from '../status-table.ts';
import type { AdapterContext, BalanceReading, CallbackAck, CallbackRequest, CallbackVerdict, PayoutRequest, ProviderAdapter, QueryOutcome, RowIssue, StatusReading, SubmitOutcome } from '../types.ts';
import { answerAmount, majorToMinor } from './amount.ts';
import { Exchanger, MessageIds, stopMessage, type Exchange, type Fields } from './exchange.ts';
import { createFields } from './fields.ts';
import { bankNames, normBank, preflight } from './preflight.ts';
import { methodOf, referencePattern, type StarpayConfig } from './schema.ts';
import { readSignedBody, verify } from './sign.ts';
import { trxStateTable } from './status.ts';

export { nearestBanks } from './preflight.ts';

/** 5.5 / [3P]: "StarPay expects exactly this response". */
export const STARPAY_CALLBACK_ACK: CallbackAck = { status: 200, contentType: 'application/json', body: '{"code":"200","message":"success"}' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starpay answered a read-only call with a refusal (400/412): the input is at fault. */
class RefusedError extends Error {}

export class StarpayAdapter implements ProviderAdapter {
  readonly id = 'starpay' as const;
  readonly callbackAck = STARPAY_CALLBACK_ACK;
  private readonly wire: Exchanger;
  private readonly msgIds = new MessageIds();
  private readonly readStatus: (raw: string) => MappedStatus;
  private readonly denied = deniedStop((status) => `Starpay answered HTTP ${status}: check mchId, privateKey and baseUrl`);
  private bankList: Promise<Map<string, string>> | undefined;
  /** normalised name → the bank list's own spelling, once fetched. */
  private banks: Map<string, string> | undefined;

  constructor(
    private readonly config: StarpayConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.wire = new Exchanger(config, ctx);
    this.readStatus = statusReader(trxStateTable(config.trxStates), ctx.log, 'starpay: trxState not in the status table, treated as pending (add it to config trxStates)', 'trxState');
  }

  // ---- create ---------------------------------------------------------------------------------------

  async submit(payout: PayoutRequest): Promise<SubmitOutcome> {
    // build
    if (!referencePattern.pattern.test(payout.merchantReference)) {
      return { kind: 'rejected', code: 'reference', message: `merchant reference must be ${referencePattern.hint}` };
    }
    const method = methodOf(payout.fields.method, this.config.defaultMethod);
    if (!method) return { kind: 'rejected', code: 'method', message: `unknown method "${payout.fields.method}"` };
    const fields = createFields(payout, method, this.config, {
      mchId: this.wire.mchId,
      bankSpelling: (name) => this.banks?.get(normBank(name)) ?? name,
      notifyUrl: this.ctx.callbackUrl ?? this.config.callbackUrl ?? undefined,
    });
    // sign → send → verify
    const exchange = await this.wire.exchange(this.config.disbursePath, fields);
    // interpret
    if (exchange.kind === 'untrusted') return { kind: 'unknown', cause: exchange.cause };
    if (exchange.kind === 'stop') return exchange;
    if (exchange.kind !== 'answer') return submitFailure(exchange, this.denied);
    const { code, message, response } = exchange;
    if (code === this.config.successCode) return { kind: 'accepted', reading: this.reading(response, payout, false) };
    if (this.config.duplicateCodes.includes(code)) return { kind: 'unknown', cause: `Starpay ${code} ${message}: msgId already used`, alreadyCreated: true };
    if (this.config.throttledCodes.includes(code)) return { kind: 'notSent', cause: `Starpay ${code} ${message}`, throttled: true, retryAfterMs: this.wire.slowDownMs };
    if (this.config.stopCodes.includes(code)) return { kind: 'stop', code, message: stopMessage(code, message, this.wire.mchId) };
    if (this.config.rejectedCodes.includes(code)) return { kind: 'rejected', code, message: message || 'rejected', raw: code };
    return { kind: 'unknown', cause: `Starpay answered code ${code || '(none)'} ${message}`.trim() };
  }

  // ---- query ----------------------------------------------------------------------------------------

  async query(payout: PayoutRequest): Promise<QueryOutcome> {
    const exchange = await this.wire.exchange(this.config.queryPath, [
      ['msgId', this.msgIds.next()],
      ['mchId', this.wire.mchId],
      ['originalMsgId', payout.merchantReference],
      ['service', this.config.queryService],
    ]);
    if (exchange.kind === 'untrusted') return { kind: 'unknown', cause: exchange.cause };
    if (exchange.kind === 'stop') return exchange;
    if (exchange.kind !== 'answer') return queryFailure(exchange, this.denied);
    const { code, message, response } = exchange;
    if (code === this.config.successCode) {
      if (response.originalMsgId !== undefined && String(response.originalMsgId) !== payout.merchantReference) {
        return { kind: 'unknown', cause: 'query answer is about another originalMsgId' };
      }
      return { kind: 'status', reading: this.reading(response, payout, true) };
    }
    if (code === this.config.notFoundCode) return { kind: 'notFound', cause: `Starpay ${code} ${message}`.trim() };
    if (this.config.throttledCodes.includes(code)) return { kind: 'unknown', cause: `Starpay ${code} ${message}`, throttled: true, retryAfterMs: this.wire.slowDownMs };
    if (this.config.stopCodes.includes(code)) return { kind: 'stop', code, message: stopMessage(code, message, this.wire.mchId) };
    return { kind: 'unknown', cause: `Starpay answered code ${code || '(none)'} ${message} to a query`.trim() };
  }

  /** A create or query answer as a status reading; the raw trxState is kept for the report. */
  private reading(response: Record<string, unknown>, payout: PayoutRequest, fromQuery: boolean): StatusReading {
    const raw = typeof response.trxState === 'string' || typeof response.trxState === 'number' ? String(response.trxState) : '';
    // A create answer without trxState is a fresh payout (pending); a query answer without one is noted.
    const { canonical } = raw || fromQuery ? this.readStatus(raw) : { canonical: 'pending' as const };
    const currency = typeof response.currency === 'string' && response.currency ? response.currency : payout.currency;
    const reading: StatusReading = { canonical, raw };
    if (response.refNo !== undefined && response.refNo !== null && response.refNo !== '') reading.providerRef = String(response.refNo);
    if (canonical === 'succeeded' || canonical === 'reversed') {
      const paid = answerAmount(response.trxAmount, this.config.amountUnit, currency);
      if (paid !== undefined) reading.paidAmountMinor = paid;
    }
    const fee = answerAmount(response.fee, this.config.amountUnit, currency);
    if (fee !== undefined) reading.feeMinor = fee;
    if (response.errorCode) reading.errorCode = String(response.errorCode);
    if (response.errorMsg) reading.message = String(response.errorMsg);
    return reading;
  }

  // ---- balance, bank list, Scan QR (read-only calls) ------------------------------------------------

  async balance(currency: string): Promise<BalanceReading | undefined> {
    if (currency !== 'PHP') return undefined;
    const response = await this.readOnly('balance', this.config.balancePath, this.config.balanceService, []);
    const answered = typeof response.currency === 'string' && response.currency ? response.currency : 'PHP';
    if (answered !== currency) return undefined;
    const raw = typeof response.balance === 'string' || typeof response.balance === 'number' ? String(response.balance) : '';
    // The balance is decimal pesos ("Assumed answers"), whatever the trxAmount unit.
    const availableMinor = majorToMinor(raw, currency);
    if (availableMinor === undefined) throw new Error(`starpay: balance answer has no readable balance (${JSON.stringify(raw)})`);
    return { currency, availableMinor, raw };
  }

  /** Before anything is sent: InstaPay banks against the bank list, QR payloads through Scan QR. */
  preflight(rows: readonly PayoutRequest[]): Promise<Map<string, RowIssue[]>> {
    return preflight(rows, this.config, { banks: () => this.loadBanks(), scanQr: (payload) => this.scanQr(payload) });
  }

  /** The 5.1 bank list, fetched once per adapter: normalised name → Starpay's spelling. */
  private loadBanks(): Promise<Map<string, string>> {
    this.bankList ??= this.readOnly('bank list', this.config.bankListPath, this.config.bankListService, []).then(
      (response) => (this.banks = bankNames(response)),
      (err: unknown) => {
        this.bankList = undefined; // a later run may try again
        throw err;
      },
    );
    return this.bankList;
  }

  /** 5.7 Scan QR: undefined when Starpay reads the payload, else why it refused it. */
  private async scanQr(payload: string): Promise<string | undefined> {
    try {
      await this.readOnly('Scan QR', this.config.scanQrPath, this.config.scanQrService, [['qrCode', payload]]);
      return undefined;
    } catch (err) {
      if (err instanceof RefusedError) return err.message;
      throw err;
    }
  }

  /** A call without side effects: retried a few times when throttled or unanswered; a refusal throws. */
  private async readOnly(what: string, path: string, service: string, extra: Fields): Promise<Record<string, unknown>> {
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const exchange: Exchange = await this.wire.exchange(path, [['msgId', this.msgIds.next()], ['mchId', this.wire.mchId], ...extra, ['service', service]]);
      if (exchange.kind === 'stop') throw new Error(exchange.message);
      if (exchange.kind === 'denied') throw new Error(this.denied(exchange.status).message);
      if (exchange.kind === 'answer') {
        const { code, message } = exchange;
        if (code === this.config.successCode) return exchange.response;
        if (this.config.stopCodes.includes(code)) throw new Error(stopMessage(code, message, this.wire.mchId));
        if (this.config.rejectedCodes.includes(code)) throw new RefusedError(`code ${code} ${message}`.trim());
        last = `code ${code || '(none)'} ${message}`.trim();
        if (!this.config.throttledCodes.includes(code)) break;
        await sleep(this.wire.slowDownMs);
        continue;
      }
      last = exchange.cause;
      if (exchange.kind === 'untrusted') break;
      await sleep(exchange.kind === 'throttled' ? exchange.retryAfterMs : Math.min(this.wire.slowDownMs, 1000 * (attempt + 1)));
    }
    throw new Error(`starpay: ${what} failed: ${last}`);
  }

  // ---- notifications (5.5) --------------------------------------------------------------------------

  /**
   * `{"request": {...} | "<json>", "signature": "..."}`: the signature is checked over the raw request
   * text (a string member: over its content) with platformPublicKey. Without that key a notification is
   * accepted unverified — it only triggers a query, whose answer is what counts.
   */
  verifyCallback(request: CallbackRequest): CallbackVerdict {
    const keys = this.wire.keys;
    if ('error' in keys) return { ok: false, reason: keys.error };
    const signed = readSignedBody(request.rawBody.toString('utf8'), 'request');
    if (!signed) return { ok: false, reason: 'not a Starpay notification ({"request": ..., "signature": ...})' };
    if (keys.platformKey && !verify(signed.signedText, signed.signature, keys.platformKey)) {
      return { ok: false, reason: 'notification signature does not verify with platformPublicKey' };
    }
    // "The callback message is in the form of an array, and each callback contains only one transaction."
    let value = signed.value;
    if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined;
    if (!value || typeof value !== 'object') return { ok: false, reason: 'notification request is not one transaction' };
    const body = value as Record<string, unknown>;
    if (body.mchId !== undefined && String(body.mchId) !== keys.mchId) return { ok: false, reason: 'notification is for another mchId' };
    const reference = body.originalMsgId;
    if ((typeof reference !== 'string' && typeof reference !== 'number') || String(reference) === '') {
      return { ok: false, reason: 'notification has no originalMsgId' };
    }
    const verdict: CallbackVerdict = { ok: true, merchantReference: String(reference) };
    if (body.refNo !== undefined && body.refNo !== null && body.refNo !== '') verdict.providerReference = String(body.refNo);
    if (typeof body.trxState === 'string') verdict.rawStatus = body.trxState;
    return verdict;
  }
}

export function createAdapter(config: StarpayConfig, ctx: AdapterContext): ProviderAdapter {
  return new StarpayAdapter(config, ctx);
}
