// The simulated Starpay (Wallyt) disbursement API on the shared sandbox server. It behaves as PROVIDERS.md
// "Decisions" and "Assumed answers" describe the real one: same paths and envelope; every request's
// SHA256withRSA signature is checked over the raw bytes of its `request` member (a re-serialised or
// tampered body fails with 401/402 in the envelope); every answer and notification is signed with the
// platform key; every message needs a fresh msgId (a repeat answers 403); an unknown originalMsgId answers
// 404; "too frequent" answers 406; payouts settle asynchronously through the shared ledger.
import crypto from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { startSandboxServer, type SandboxContext, type SandboxReply, type SandboxRequest, type SandboxRoute, type SandboxServer } from '../../sandbox/server.ts';
import type { LedgerRecord } from '../../sandbox/ledger.ts';
import { parseSandboxSettings, type OutcomeRule, type SandboxSettings } from '../../sandbox/settings.ts';
import { minorToWire } from '../money.ts';
import { writeJson } from '../raw-json.ts';
import type { SandboxHandle, SandboxStartOptions } from '../types.ts';
import { majorToMinor } from './amount.ts';
import { RawJsonNumber, envelope, loadPrivateKey, loadPublicKey, readSignedBody, sign, verify } from './sign.ts';
import { SANDBOX_BANKS, SANDBOX_MCH_ID, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PRIVATE_KEY } from './sandbox-keys.ts';
import { notificationText } from './sandbox-notify.ts';

export { starpaySandboxKit } from './sandbox-notify.ts';
export { SANDBOX_BANKS, SANDBOX_MCH_ID, TEST_MERCHANT_PRIVATE_KEY, TEST_MERCHANT_PUBLIC_KEY, TEST_PLATFORM_PRIVATE_KEY, TEST_PLATFORM_PUBLIC_KEY } from './sandbox-keys.ts';

/** Settings of this sandbox on top of the shared ones (src/sandbox/settings.ts). */
export const starpaySandboxSettingsSchema = z.object({
  /** PEM; default the TEST ONLY platform key above. */
  platformPrivateKey: z.string().optional(),
  /** PEM; default: derived from the credentials' privateKey (else the TEST ONLY merchant key). */
  merchantPublicKey: z.string().optional(),
  banks: z.array(z.object({ bankCode: z.string(), bankName: z.string() })).optional(),
  /** Send notifications with `request` as a JSON string (the [3P] shape) instead of an object. */
  notifyRequestAsString: z.boolean().default(false),
  /** Service names the disburse path accepts (defaults as the adapter's config). */
  services: z
    .object({ disburse: z.string(), transfer: z.string(), p2mQr: z.string(), p2pQr: z.string() })
    .partial()
    .default({}),
});

/** Starpay's failure codes: InstaPay reason codes (9 Instapay Error Code List). */
export const starpayDefaultOutcomes: OutcomeRule[] = [
  { accountEndsWith: '0002', outcome: 'fail', code: 'AC01', message: 'Incorrect Account Number' },
  { accountEndsWith: '0003', outcome: 'stuck' },
  { accountEndsWith: '0004', outcome: 'reverse', code: 'RETURNED', message: 'returned by the receiving institution' },
  { accountEndsWith: '0005', outcome: 'short-pay' },
];

const STATE: Record<LedgerRecord['state'], string> = { processing: 'PROCESSING', succeeded: 'SUCCESS', failed: 'FAIL', reversed: 'REVERSED' };

/** JSON text where RawJsonNumber values are written as they are (centavos as JSON numbers, no floats). */
const toJson = writeJson;

const manilaTime = (ms: number) => DateTime.fromMillis(ms, { zone: 'Asia/Manila' }).toISO({ suppressMilliseconds: true }) ?? '';

/** Minimal EMV TLV read of a QR Ph payload: tag → value (top level only). */
function readQr(payload: string): Map<string, string> | undefined {
  if (!payload.startsWith('000201')) return undefined;
  const tags = new Map<string, string>();
  let i = 0;
  while (i < payload.length) {
    const tag = payload.slice(i, i + 2);
    const len = Number(payload.slice(i + 2, i + 4));
    if (!/^\d{2}$/.test(tag) || !Number.isInteger(len) || i + 4 + len > payload.length) return undefined;
    tags.set(tag, payload.slice(i + 4, i + 4 + len));
    i += 4 + len;
  }
  return tags;
}

export interface StarpaySandbox extends SandboxHandle {
  server: SandboxServer;
}

type Verified = { ok: true; request: Record<string, unknown>; msgId: string } | { ok: false; reply: SandboxReply };

export async function startStarpaySandbox(options: SandboxStartOptions): Promise<StarpaySandbox> {
  const own = starpaySandboxSettingsSchema.parse(options.settings ?? {});
  const mchId = options.credentials.mchId || SANDBOX_MCH_ID;
  const merchantKey = own.merchantPublicKey
    ? loadPublicKey(own.merchantPublicKey)
    : crypto.createPublicKey(loadPrivateKey(options.credentials.privateKey || TEST_MERCHANT_PRIVATE_KEY));
  const platformKey = loadPrivateKey(own.platformPrivateKey ?? TEST_PLATFORM_PRIVATE_KEY);
  const banks = own.banks ?? SANDBOX_BANKS;
  const bankByName = new Map(banks.map((b) => [b.bankName.trim().toLowerCase(), b]));
  const services = {
    disburse: own.services.disburse ?? 'pay.starpay.instapay.disburse',
    transfer: own.services.transfer ?? 'pay.starpay.transfer.disburse',
    p2mQr: own.services.p2mQr ?? 'pay.starpay.p2m.qr.disburse',
    p2pQr: own.services.p2pQr ?? 'pay.starpay.p2p.qr.disburse',
  };
  /** msgIds of every message that was not a payout (payout msgIds live in the ledger). */
  const usedMsgIds = new Set<string>();
  /** The settings in force (the control endpoint may change them), for the notification listener. */
  let latestSettings: SandboxSettings | undefined;
  let notifyCounter = 0;

  // ---- envelope -----------------------------------------------------------------------------------

  const signedReply = (response: Record<string, unknown>): SandboxReply => {
    const text = toJson(response);
    return { status: 200, headers: { 'content-type': 'application/json;charset=UTF-8' }, body: envelope('response', text, sign(text, platformKey)) };
  };
  const refuse = (code: string, message: string, msgId?: string) => signedReply({ code, message, msgId });

  const peek = (req: SandboxRequest): Record<string, unknown> | undefined => {
    const signed = readSignedBody(req.text, 'request');
    return signed?.value && typeof signed.value === 'object' ? (signed.value as Record<string, unknown>) : undefined;
  };

  /** Signature over the raw request text, merchant id, msgId format: what every endpoint checks first. */
  const verified = (req: SandboxRequest): Verified => {
    const signed = readSignedBody(req.text, 'request');
    if (!signed || typeof signed.body.request !== 'object' || Array.isArray(signed.body.request)) {
      return { ok: false, reply: refuse('400', 'Bad request') };
    }
    const signature = signed.signature;
    if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature.replace(/\s+/g, ''))) {
      return { ok: false, reply: refuse('401', 'Invalid signature') };
    }
    if (!verify(signed.signedText, signature, merchantKey)) return { ok: false, reply: refuse('402', 'Verify signature failed') };
    const request = signed.value as Record<string, unknown>;
    const msgId = request.msgId;
    if (String(request.mchId ?? '') !== mchId) return { ok: false, reply: refuse('410', 'Configuration error: unknown mchId', typeof msgId === 'string' ? msgId : undefined) };
    if (typeof msgId !== 'string' || !/^\d{1,32}$/.test(msgId)) return { ok: false, reply: refuse('412', 'Illegal parameter: msgId') };
    return { ok: true, request, msgId };
  };

  /** A non-payout message: its msgId must never have been used (by anything). */
  const freshMessage = (req: SandboxRequest, server: SandboxServer): Verified => {
    const v = verified(req);
    if (!v.ok) return v;
    if (usedMsgIds.has(v.msgId) || server.ledger.get(v.msgId)) return { ok: false, reply: refuse('403', 'Repeated msgId', v.msgId) };
    usedMsgIds.add(v.msgId);
    return v;
  };

  // ---- amounts ------------------------------------------------------------------------------------

  /** trxAmount as sent → major decimal text with 2 decimals, and the form to echo it in. */
  const readAmount = (value: unknown): { major: string; form: 'string' | 'number' } | undefined => {
    if (typeof value === 'string' && /^\d+(\.\d{1,2})?$/.test(value)) {
      const minor = majorToMinor(value, 'PHP')!;
      return minor > 0n ? { major: minorToWire(minor, 'PHP'), form: 'string' } : undefined;
    }
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return { major: minorToWire(BigInt(value), 'PHP'), form: 'number' };
    return undefined;
  };
  const echoAmount = (major: string, form: unknown): string | RawJsonNumber =>
    form === 'number' ? new RawJsonNumber(majorToMinor(major, 'PHP')!.toString()) : major;

  // ---- routes -------------------------------------------------------------------------------------

  let server: SandboxServer;

  const disburse = (req: SandboxRequest, ctx: SandboxContext): SandboxReply => {
    const v = verified(req);
    if (!v.ok) return v.reply;
    const { request, msgId } = v;
    if (usedMsgIds.has(msgId)) return refuse('403', 'Repeated msgId', msgId);
    const existing = server.ledger.get(msgId);
    if (existing && ctx.settings.duplicateCheck) {
      server.ledger.create({ reference: msgId, amount: existing.amount, currency: existing.currency, account: existing.account }); // counted, not created
      return refuse('403', 'Repeated msgId', msgId);
    }
    const service = String(request.service ?? '');
    const str = (k: string) => (typeof request[k] === 'string' ? (request[k] as string).trim() : '');
    const amount = readAmount(request.trxAmount);
    if (!amount) return refuse('412', 'Illegal parameter: trxAmount', msgId);
    if (request.currency !== 'PHP') return refuse('412', 'Illegal parameter: currency', msgId);
    if (request.notifyUrl !== undefined && typeof request.notifyUrl !== 'string') return refuse('412', 'Illegal parameter: notifyUrl', msgId);
    let account: string;
    if (service === services.disburse) {
      if (!/^\d{1,34}$/.test(str('acctNo'))) return refuse('412', 'Illegal parameter: acctNo', msgId);
      if (!str('acctName')) return refuse('412', 'Illegal parameter: acctName', msgId);
      if (!bankByName.has(str('receivingBank').toLowerCase())) return refuse('412', 'Illegal parameter: receivingBank', msgId);
      account = str('acctNo');
    } else if (service === services.transfer) {
      if (!/^\+?\d{4,34}$/.test(str('acctNo'))) return refuse('412', 'Illegal parameter: acctNo', msgId);
      account = str('acctNo');
    } else if (service === services.p2mQr || service === services.p2pQr) {
      if (!readQr(str('qrCode'))) return refuse('412', 'Illegal parameter: qrCode', msgId);
      account = str('qrCode');
    } else {
      return refuse('412', 'Illegal parameter: service', msgId);
    }
    const result = server.ledger.create({
      reference: msgId,
      amount: amount.major,
      currency: 'PHP',
      account,
      fields: { ...request, amountForm: amount.form },
      notifyUrl: typeof request.notifyUrl === 'string' ? request.notifyUrl : undefined,
    });
    if (!result.created) return refuse('403', 'Repeated msgId', msgId);
    const record = result.record;
    return signedReply({
      code: '200',
      message: 'success',
      msgId,
      refNo: record.providerRef,
      trxState: STATE[record.state],
      trxAmount: echoAmount(record.amount, amount.form),
      currency: record.currency,
      trxDate: manilaTime(record.createdAt),
    });
  };

  const query = (req: SandboxRequest, ctx: SandboxContext): SandboxReply => {
    const v = freshMessage(req, server);
    if (!v.ok) return v.reply;
    const original = v.request.originalMsgId;
    if (typeof original !== 'string' || original === '') return refuse('412', 'Illegal parameter: originalMsgId', v.msgId);
    const record = server.ledger.get(original);
    if (!record) return refuse('404', 'Not found', v.msgId);
    const paid = record.state === 'succeeded' || record.state === 'reversed';
    const fee = ctx.settings.feeMinor;
    return signedReply({
      code: '200',
      message: 'success',
      msgId: v.msgId,
      originalMsgId: record.reference,
      refNo: record.providerRef,
      trxState: STATE[record.state],
      trxAmount: echoAmount(paid ? record.paidAmount : record.amount, record.fields.amountForm),
      currency: record.currency,
      trxDate: manilaTime(record.updatedAt),
      fee: paid && fee > 0 ? echoAmount(minorToWire(BigInt(fee), 'PHP'), record.fields.amountForm) : undefined,
      errorCode: record.state === 'failed' || record.state === 'reversed' ? record.failCode : undefined,
      errorMsg: record.state === 'failed' || record.state === 'reversed' ? record.failMessage : undefined,
    });
  };

  const bankList = (req: SandboxRequest): SandboxReply => {
    const v = freshMessage(req, server);
    if (!v.ok) return v.reply;
    return signedReply({ code: '200', message: 'success', msgId: v.msgId, receivers: banks.map((b) => ({ bankCode: b.bankCode, bankName: b.bankName })) });
  };

  const balance = (req: SandboxRequest, ctx: SandboxContext): SandboxReply => {
    const v = freshMessage(req, server);
    if (!v.ok) return v.reply;
    // Funds leave at create and come back when a payout fails or is returned.
    const opening = majorToMinor(ctx.settings.balances.PHP ?? '1000000.00', 'PHP') ?? 0n;
    let held = 0n;
    for (const r of server.ledger.all) {
      if (r.state === 'processing') held += majorToMinor(r.amount, 'PHP') ?? 0n;
      if (r.state === 'succeeded') held += (majorToMinor(r.paidAmount, 'PHP') ?? 0n) + BigInt(ctx.settings.feeMinor);
    }
    return signedReply({ code: '200', message: 'success', msgId: v.msgId, balance: minorToWire(opening - held, 'PHP'), currency: 'PHP' });
  };

  const scanQr = (req: SandboxRequest): SandboxReply => {
    const v = freshMessage(req, server);
    if (!v.ok) return v.reply;
    const tags = readQr(typeof v.request.qrCode === 'string' ? v.request.qrCode : '');
    if (!tags) return refuse('412', 'Illegal parameter: qrCode', v.msgId);
    return signedReply({
      code: '200',
      message: 'success',
      msgId: v.msgId,
      merchantName: tags.get('59') ?? '',
      merchantCity: tags.get('60') ?? '',
      currency: tags.get('53') === '608' || !tags.has('53') ? 'PHP' : tags.get('53'),
    });
  };

  const field = (req: SandboxRequest, key: string): string | undefined => {
    const value = peek(req)?.[key];
    return typeof value === 'string' ? value : undefined;
  };

  const routes: SandboxRoute[] = [
    { method: 'POST', path: '/v1/disburse', kind: 'create', reference: (req) => field(req, 'msgId'), handle: (req, ctx) => disburse(req, ctx) },
    { method: 'POST', path: '/v1/disburse/query', kind: 'query', reference: (req) => field(req, 'originalMsgId'), handle: (req, ctx) => query(req, ctx) },
    { method: 'POST', path: '/v1/disburse/query/receivers', kind: 'other', handle: (req) => bankList(req) },
    { method: 'POST', path: '/v1/disburse/inquireBalance', kind: 'other', handle: (req, ctx) => balance(req, ctx) },
    { method: 'POST', path: '/v1/disburse/scanqr', kind: 'other', handle: (req) => scanQr(req) },
    // 2.1: the connection check, unsigned.
    { method: 'GET', path: '/checkconnections', kind: 'other', handle: () => ({ status: 200, body: { status: 'UP' } }) },
  ];

  const settings = { ...(options.settings ?? {}) };
  if (settings.outcomes === undefined) settings.outcomes = starpayDefaultOutcomes;

  server = await startSandboxServer({
    name: 'starpay',
    routes: routes.map((r) => ({
      ...r,
      handle: (req, ctx) => {
        latestSettings = ctx.settings;
        return r.handle(req, ctx);
      },
    })),
    settings,
    host: options.host,
    port: options.port,
    statePath: options.statePath,
    log: options.log,
    // 7 Error code list: 406 "Requests are too frequent", in the envelope (HTTP 200).
    rateLimitedReply: () => refuse('406', 'Requests are too frequent'),
    duplicateReply: (req) => refuse('403', 'Repeated msgId', field(req, 'msgId')),
    // A gateway error in front of the Java service: no envelope.
    errorReply: (status) => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timestamp: new Date().toISOString(), status, error: status === 503 ? 'Service Unavailable' : 'Internal Server Error' }),
    }),
  });
  latestSettings = parseSandboxSettings(settings);

  // 5.5: a signed notification to the create request's notifyUrl when a payout reaches a final state.
  server.ledger.onChange((record) => {
    if (record.state === 'processing' || !record.notifyUrl) return;
    if (latestSettings && !latestSettings.callbacks) return;
    const paid = record.state === 'succeeded' || record.state === 'reversed';
    const failed = record.state === 'failed' || record.state === 'reversed';
    notifyCounter = (notifyCounter + 1) % 1_000_000;
    const text = notificationText(record, STATE[record.state], {
      trxDate: manilaTime(record.updatedAt),
      trxAmount: echoAmount(paid ? record.paidAmount : record.amount, record.fields.amountForm),
      msgId: `8${Date.now()}${String(notifyCounter).padStart(6, '0')}`,
      mchId,
      errorCode: failed ? record.failCode : undefined,
      errorMsg: failed ? record.failMessage : undefined,
    });
    const signature = sign(text, platformKey);
    const body = own.notifyRequestAsString
      ? `{"request":${JSON.stringify(text)},"signature":${JSON.stringify(signature)}}`
      : envelope('request', text, signature);
    server.callbacks.send({ url: record.notifyUrl, headers: { 'content-type': 'application/json' }, body });
  });

  return {
    url: server.url,
    server,
    close: () => server.close(),
  };
}
