// Starpay adapter. Every call reads top to bottom: build the request fields → sign the exact JSON text →
// send those bytes → verify the answer's signature over its raw `response` text → classify the code.
import crypto from 'node:crypto';
import { httpCall } from '../http.ts';
import type {
  AdapterContext,
  BalanceReading,
  CallbackAck,
  CallbackRequest,
  CallbackVerdict,
  PayoutRequest,
  ProviderAdapter,
  QueryOutcome,
  RowIssue,
  StatusReading,
  SubmitOutcome,
} from '../types.ts';
import { answerAmount, majorToMinor, requestAmount } from './amount.ts';
import {
  accountNameOf,
  methodOf,
  qrPayloadOf,
  referencePattern,
  resolveBaseUrl,
  type StarpayConfig,
  type StarpayMethod,
} from './schema.ts';
import { envelope, loadPrivateKey, loadPublicKey, readSignedBody, requestJson, sign, verify, type RequestValue } from './sign.ts';
import { mapTrxState } from './status.ts';

/** 5.5 / [3P]: "StarPay expects exactly this response". */
export const STARPAY_CALLBACK_ACK: CallbackAck = { status: 200, contentType: 'application/json', body: '{"code":"200","message":"success"}' };

type Fields = [string, RequestValue][];

/** What one signed exchange produced, before an operation gives the code its meaning. */
type Exchange =
  | { kind: 'answer'; response: Record<string, unknown>; code: string; message: string }
  | { kind: 'notSent'; cause: string; retryAfterMs?: number; throttled?: boolean }
  | { kind: 'unknown'; cause: string; retryAfterMs?: number; throttled?: boolean; untrusted?: boolean }
  | { kind: 'stop'; code: string; message: string };

interface Keys {
  mchId: string;
  privateKey: crypto.KeyObject;
  platformKey?: crypto.KeyObject;
}

/**
 * Fresh msgIds for queries, bank list, balance and Scan QR: every message needs its own (a repeated msgId
 * is 403), never a payout's. "9" + epoch ms + 6 random digits + a counter: 26 digits, while derived payout
 * msgIds start with their batch date ("20…").
 */
export class MessageIds {
  private readonly instance = crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');
  private counter = 0;
  next(): string {
    this.counter = (this.counter + 1) % 1_000_000;
    return `9${Date.now()}${this.instance}${String(this.counter).padStart(6, '0')}`;
  }
}

const normBank = (name: string) => name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** Levenshtein distance (small strings: bank names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The `count` bank names nearest to `wanted`: names containing it (or contained in it) first, then by edit distance. */
export function nearestBanks(wanted: string, names: readonly string[], count = 3): string[] {
  const w = normBank(wanted);
  return names
    .map((name) => {
      const n = normBank(name);
      const contains = w.length > 0 && (n.includes(w) || w.includes(n)) ? 0 : 1;
      return { name, contains, distance: editDistance(w, n) };
    })
    .sort((x, y) => x.contains - y.contains || x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, count)
    .map((x) => x.name);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StarpayAdapter implements ProviderAdapter {
  readonly id = 'starpay' as const;
  readonly callbackAck = STARPAY_CALLBACK_ACK;
  private readonly baseUrl: string;
  private readonly keys: Keys | { error: string };
  private readonly msgIds = new MessageIds();
  private readonly unmappedSeen = new Set<string>();
  private bankList: Promise<Map<string, string>> | undefined;
  /** normalised name → the bank list's own spelling, once fetched. */
  private banks: Map<string, string> | undefined;

  constructor(
    private readonly config: StarpayConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.baseUrl = resolveBaseUrl(config.baseUrl);
    this.keys = StarpayAdapter.loadKeys(config);
  }

  private static loadKeys(config: StarpayConfig): Keys | { error: string } {
    if (!config.mchId) return { error: 'starpay: mchId is not configured' };
    if (!config.privateKey) return { error: 'starpay: privateKey (the merchant PKCS#8 PEM) is not configured' };
    try {
      const privateKey = loadPrivateKey(config.privateKey);
      const platformKey = config.platformPublicKey ? loadPublicKey(config.platformPublicKey) : undefined;
      return { mchId: config.mchId, privateKey, platformKey };
    } catch (err) {
      return { error: `starpay: ${(err as Error).message}` };
    }
  }

  // ---- create ---------------------------------------------------------------------------------------

  async submit(payout: PayoutRequest): Promise<SubmitOutcome> {
    if (!referencePattern.pattern.test(payout.merchantReference)) {
      return { kind: 'rejected', code: 'reference', message: `merchant reference must be ${referencePattern.hint}` };
    }
    const method = methodOf(payout.fields.method, this.config.defaultMethod);
    if (!method) return { kind: 'rejected', code: 'method', message: `unknown method "${payout.fields.method}"` };
    const fields = this.createFields(payout, method);
    const exchange = await this.exchange(this.config.disbursePath, fields);
    if (exchange.kind === 'unknown') return { kind: 'unknown', cause: exchange.cause };
    if (exchange.kind !== 'answer') return exchange;
    const { code, message, response } = exchange;
    if (code === this.config.successCode) return { kind: 'accepted', reading: this.reading(response, payout, false) };
    if (this.config.duplicateCodes.includes(code)) return { kind: 'unknown', cause: `Starpay ${code} ${message}: msgId already used`, alreadyCreated: true };
    if (this.config.throttledCodes.includes(code)) return { kind: 'notSent', cause: `Starpay ${code} ${message}`, throttled: true, retryAfterMs: this.slowDownMs };
    if (this.config.stopCodes.includes(code)) return { kind: 'stop', code, message: this.stopMessage(code, message) };
    if (this.config.rejectedCodes.includes(code)) return { kind: 'rejected', code, message: message || 'rejected', raw: code };
    return { kind: 'unknown', cause: `Starpay answered code ${code || '(none)'} ${message}`.trim() };
  }

  /** The 2.4 sample's fields in its order, then notifyUrl when a callback URL is configured. */
  private createFields(payout: PayoutRequest, method: StarpayMethod): Fields {
    const f = payout.fields;
    const mchId = this.mchId;
    const amount = requestAmount(payout.amount, payout.amountMinor, this.config.amountUnit);
    const attach = f.note?.trim() || this.config.attach;
    let fields: Fields;
    if (method === 'instapay') {
      const bank = (f.bank_name ?? '').trim();
      fields = [
        ['msgId', payout.merchantReference],
        ['mchId', mchId],
        ['acctNo', (f.account_number ?? '').trim()],
        ['acctName', accountNameOf(f)],
        ['acctMiddleName', (f.middle_name ?? '').trim()],
        ['acctLastName', (f.last_name ?? '').trim()],
        ['receivingBank', this.banks?.get(normBank(bank)) ?? bank],
        ['trxAmount', amount],
        ['currency', payout.currency],
        ['service', this.config.disburseService],
        ['attach', attach],
      ];
    } else if (method === 'starpay') {
      // 5.3 Starpay-to-Starpay: field list not published [U]; the 2.4 fields that apply to a wallet.
      const name = accountNameOf(f);
      fields = [
        ['msgId', payout.merchantReference],
        ['mchId', mchId],
        ['acctNo', (f.account_number ?? '').trim() || (f.mobile ?? '').trim()],
        ...(name ? ([['acctName', name]] as Fields) : []),
        ['trxAmount', amount],
        ['currency', payout.currency],
        ['service', this.config.transferService],
        ['attach', attach],
      ];
    } else {
      // 5.8 / 5.9 Pay P2M / P2P QR: field list not published [U]; the QR payload travels as qrCode.
      fields = [
        ['msgId', payout.merchantReference],
        ['mchId', mchId],
        ['qrCode', qrPayloadOf(f, payout.extra, this.config.qrColumn)],
        ['trxAmount', amount],
        ['currency', payout.currency],
        ['service', method === 'p2m-qr' ? this.config.p2mQrService : this.config.p2pQrService],
        ['attach', attach],
      ];
    }
    const notifyUrl = this.ctx.callbackUrl ?? this.config.callbackUrl;
    if (notifyUrl) fields.push(['notifyUrl', notifyUrl]);
    return fields;
  }

  // ---- query ----------------------------------------------------------------------------------------

  async query(payout: PayoutRequest): Promise<QueryOutcome> {
    const exchange = await this.exchange(this.config.queryPath, [
      ['msgId', this.msgIds.next()],
      ['mchId', this.mchId],
      ['originalMsgId', payout.merchantReference],
      ['service', this.config.queryService],
    ]);
    if (exchange.kind === 'notSent' || exchange.kind === 'unknown') return { kind: 'unknown', cause: exchange.cause, retryAfterMs: exchange.retryAfterMs, throttled: exchange.throttled };
    if (exchange.kind !== 'answer') return exchange;
    const { code, message, response } = exchange;
    if (code === this.config.successCode) {
      if (response.originalMsgId !== undefined && String(response.originalMsgId) !== payout.merchantReference) {
        return { kind: 'unknown', cause: 'query answer is about another originalMsgId' };
      }
      return { kind: 'status', reading: this.reading(response, payout, true) };
    }
    if (code === this.config.notFoundCode) return { kind: 'notFound', cause: `Starpay ${code} ${message}`.trim() };
    if (this.config.throttledCodes.includes(code)) return { kind: 'unknown', cause: `Starpay ${code} ${message}`, throttled: true, retryAfterMs: this.slowDownMs };
    if (this.config.stopCodes.includes(code)) return { kind: 'stop', code, message: this.stopMessage(code, message) };
    return { kind: 'unknown', cause: `Starpay answered code ${code || '(none)'} ${message} to a query`.trim() };
  }

  /** A create or query answer as a status reading; the raw trxState is kept for the report. */
  private reading(response: Record<string, unknown>, payout: PayoutRequest, fromQuery: boolean): StatusReading {
    const raw = typeof response.trxState === 'string' || typeof response.trxState === 'number' ? String(response.trxState) : '';
    const mapped = raw ? mapTrxState(raw, this.config.trxStates) : { canonical: 'pending' as const, known: !fromQuery };
    if (!mapped.known) this.noteUnmapped(raw || '(missing)');
    const currency = typeof response.currency === 'string' && response.currency ? response.currency : payout.currency;
    const reading: StatusReading = { canonical: mapped.canonical, raw };
    if (response.refNo !== undefined && response.refNo !== null && response.refNo !== '') reading.providerRef = String(response.refNo);
    if (mapped.canonical === 'succeeded' || mapped.canonical === 'reversed') {
      const paid = answerAmount(response.trxAmount, this.config.amountUnit, currency);
      if (paid !== undefined) reading.paidAmountMinor = paid;
    }
    const fee = answerAmount(response.fee, this.config.amountUnit, currency);
    if (fee !== undefined) reading.feeMinor = fee;
    if (response.errorCode) reading.errorCode = String(response.errorCode);
    if (response.errorMsg) reading.message = String(response.errorMsg);
    return reading;
  }

  private noteUnmapped(raw: string): void {
    if (this.unmappedSeen.has(raw)) return;
    this.unmappedSeen.add(raw);
    this.ctx.log.warn('starpay: trxState not in the status table, treated as pending (add it to config trxStates)', { trxState: raw });
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

  /** The 5.1 bank list, fetched once per adapter: normalised name → Starpay's spelling. */
  private loadBanks(): Promise<Map<string, string>> {
    this.bankList ??= this.readOnly('bank list', this.config.bankListPath, this.config.bankListService, []).then(
      (response) => {
        const receivers = Array.isArray(response.receivers) ? response.receivers : [];
        const banks = new Map<string, string>();
        for (const r of receivers) {
          const name = r && typeof r === 'object' ? (r as Record<string, unknown>).bankName : undefined;
          if (typeof name === 'string' && name.trim()) banks.set(normBank(name), name);
        }
        if (banks.size === 0) throw new Error('starpay: the bank list answer names no banks');
        this.banks = banks;
        return banks;
      },
      (err: unknown) => {
        this.bankList = undefined; // a later run may try again
        throw err;
      },
    );
    return this.bankList;
  }

  /**
   * Before anything is sent: every InstaPay row's bank_name must be in the bank list (case-insensitive),
   * every QR row's payload must pass Scan QR. Issues are keyed by payoutId. A list that cannot be fetched
   * throws: the batch cannot be checked, which is not the rows' fault.
   */
  async preflight(rows: readonly PayoutRequest[]): Promise<Map<string, RowIssue[]>> {
    const issues = new Map<string, RowIssue[]>();
    const add = (payoutId: string, issue: RowIssue) => issues.set(payoutId, [...(issues.get(payoutId) ?? []), issue]);
    const methods = rows.map((row) => methodOf(row.fields.method, this.config.defaultMethod));
    if (this.config.validateBanks && methods.includes('instapay')) {
      const banks = await this.loadBanks();
      const names = [...banks.values()];
      rows.forEach((row, i) => {
        if (methods[i] !== 'instapay') return;
        const bank = (row.fields.bank_name ?? '').trim();
        if (!bank || banks.has(normBank(bank))) return;
        const nearest = nearestBanks(bank, names);
        add(row.payoutId, {
          column: 'bank_name',
          value: bank,
          rule: 'known-bank',
          message: `"${bank}" is not in the Starpay bank list; nearest: ${nearest.map((n) => `"${n}"`).join(', ')}`,
        });
      });
    }
    if (this.config.scanQrInPreflight) {
      for (let i = 0; i < rows.length; i++) {
        const method = methods[i];
        if (method !== 'p2m-qr' && method !== 'p2p-qr') continue;
        const row = rows[i]!;
        const payload = qrPayloadOf(row.fields, row.extra, this.config.qrColumn);
        if (!payload) continue;
        const refused = await this.scanQr(payload);
        if (refused) add(row.payoutId, { column: this.config.qrColumn, value: payload.slice(0, 24), rule: 'qr-scan', message: `Starpay Scan QR refused the payload: ${refused}` });
      }
    }
    return issues;
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
      const exchange = await this.exchange(path, [['msgId', this.msgIds.next()], ['mchId', this.mchId], ...extra, ['service', service]]);
      if (exchange.kind === 'stop') throw new Error(exchange.message);
      if (exchange.kind === 'answer') {
        const { code, message } = exchange;
        if (code === this.config.successCode) return exchange.response;
        if (this.config.stopCodes.includes(code)) throw new Error(this.stopMessage(code, message));
        if (this.config.rejectedCodes.includes(code)) throw new RefusedError(`code ${code} ${message}`.trim());
        last = `code ${code || '(none)'} ${message}`.trim();
        if (!this.config.throttledCodes.includes(code)) break;
        await sleep(this.slowDownMs);
        continue;
      }
      last = exchange.cause;
      if (exchange.kind === 'unknown' && exchange.untrusted) break;
      await sleep(exchange.retryAfterMs ?? Math.min(this.slowDownMs, 1000 * (attempt + 1)));
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
    if ('error' in this.keys) return { ok: false, reason: this.keys.error };
    const signed = readSignedBody(request.rawBody.toString('utf8'), 'request');
    if (!signed) return { ok: false, reason: 'not a Starpay notification ({"request": ..., "signature": ...})' };
    if (this.keys.platformKey && !verify(signed.signedText, signed.signature, this.keys.platformKey)) {
      return { ok: false, reason: 'notification signature does not verify with platformPublicKey' };
    }
    // "The callback message is in the form of an array, and each callback contains only one transaction."
    let value = signed.value;
    if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined;
    if (!value || typeof value !== 'object') return { ok: false, reason: 'notification request is not one transaction' };
    const body = value as Record<string, unknown>;
    if (body.mchId !== undefined && String(body.mchId) !== this.keys.mchId) return { ok: false, reason: 'notification is for another mchId' };
    const reference = body.originalMsgId;
    if ((typeof reference !== 'string' && typeof reference !== 'number') || String(reference) === '') {
      return { ok: false, reason: 'notification has no originalMsgId' };
    }
    const verdict: CallbackVerdict = { ok: true, merchantReference: String(reference) };
    if (body.refNo !== undefined && body.refNo !== null && body.refNo !== '') verdict.providerReference = String(body.refNo);
    if (typeof body.trxState === 'string') verdict.rawStatus = body.trxState;
    return verdict;
  }

  // ---- one signed exchange --------------------------------------------------------------------------

  private async exchange(path: string, fields: Fields): Promise<Exchange> {
    if ('error' in this.keys) return { kind: 'stop', code: 'config', message: this.keys.error };
    const msgId = fields.find(([k]) => k === 'msgId')?.[1] as string;
    const requestText = requestJson(fields);
    const body = envelope('request', requestText, sign(requestText, this.keys.privateKey));
    const result = await httpCall({
      method: 'POST',
      url: this.baseUrl + path,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      timeoutMs: this.config.timeoutSeconds * 1000,
    });
    if (result.kind !== 'answer') return result;
    const signed = readSignedBody(result.text, 'response');
    if (!signed || !signed.value || typeof signed.value !== 'object' || Array.isArray(signed.value)) {
      if (result.status === 429) return { kind: 'notSent', cause: 'HTTP 429', throttled: true, retryAfterMs: result.retryAfterMs ?? this.slowDownMs };
      return { kind: 'unknown', cause: `HTTP ${result.status} without a Starpay answer` };
    }
    // A verification failure is never shrugged off: the answer may not be Starpay's.
    if (this.keys.platformKey && !verify(signed.signedText, signed.signature, this.keys.platformKey)) {
      this.ctx.log.warn('starpay: answer signature does not verify with platformPublicKey', { path, msgId });
      return { kind: 'unknown', cause: 'answer signature does not verify with platformPublicKey', untrusted: true };
    }
    const response = signed.value as Record<string, unknown>;
    if (response.msgId !== undefined && String(response.msgId) !== msgId) return { kind: 'unknown', cause: 'answer is about another msgId', untrusted: true };
    const code = response.code === undefined || response.code === null ? '' : String(response.code);
    const message = typeof response.message === 'string' ? response.message : '';
    this.ctx.log.debug('starpay answer', { path, msgId, code });
    return { kind: 'answer', response, code, message };
  }

  private get mchId(): string {
    return 'error' in this.keys ? '' : this.keys.mchId;
  }

  private get slowDownMs(): number {
    return this.config.slowDownSeconds * 1000;
  }

  private stopMessage(code: string, message: string): string {
    const what = `Starpay refused the request: code ${code} ${message}`.trim();
    if (code === '401' || code === '402') return `${what}. Check that privateKey is the merchant key whose public key is registered with Starpay for mchId ${this.mchId}.`;
    if (code === '410' || code === '411') return `${what}. Check mchId and the merchant's set-up at Starpay (service names: disburseService, queryService, ...).`;
    return `${what}. Check the merchant's account status with Starpay.`;
  }
}

/** Starpay answered a read-only call with a refusal (400/412): the input is at fault. */
class RefusedError extends Error {}

export function createAdapter(config: StarpayConfig, ctx: AdapterContext): ProviderAdapter {
  return new StarpayAdapter(config, ctx);
}
