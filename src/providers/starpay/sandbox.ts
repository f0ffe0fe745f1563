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
import type { SandboxHandle, SandboxStartOptions } from '../types.ts';
import { majorToMinor } from './amount.ts';
import { RawJsonNumber, envelope, loadPrivateKey, loadPublicKey, readSignedBody, sign, verify } from './sign.ts';
import { formatMinorWithExponent } from '../../validate/currencies.ts';

// ---- TEST ONLY key pairs (generated for this sandbox; never valid anywhere else) ----
/** TEST ONLY: the built-in merchant private key (PKCS#8), the `privateKey` sandbox value. */
export const TEST_MERCHANT_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCzCnjyVFXjxx1T
5Y+j32y2OIZGqUyLNFHZ6W+k12SLGOJsjWBblqUFhQZSCz3Pp3W88IE1WNuWFFcr
9rlJVYf3dI7xiy9lYbVaQ2Pe1IhYpxtvbIyVOmobC1sQStDrwG1TnuysZtgkii0z
4idg/dJoFFT2o8ZOnYxpHyeS7sI9T/FypB45m6p2HYI0+v6y2lOzsk3Xn3Ad6xW0
UkOwdU3nHjy4lgXCuUhLgdZfBto/F7BmMhcndwSfscUxuXvP4vTXuwJkPGcnBAFC
8V8J1dUU18GkaquY2UK61it2sP3FYpH3bo2lNAWPRJrm/A5tt1SXgcvH3F8Ur6V4
j9hRSO/zAgMBAAECggEAJkKlp/t3w05IqSYUdQuI2sPnhfAl6FWM7EljT1GsLcFq
mZH4tnnR2AUeXagDVH3PvkmTAwhzHHZKTp3R6Kb7gFkLNvjsbvjbXWerTvISFQfY
6A3FWRp7lD3v/uJOFSMw+b6riwgLRnu0vzKkAakcLpuxsGc9OI2YdNpwhYi6P4ma
J+ea5tO97/P+47KyuaS0v+xGzaKiS8A9u2dRSvWH/BKTlK0R5+CHOwez0wqs9UnM
YqcjTJ9AB/aIU/GWf/bMYOlpAbwrKB0KAznKHkEmv58Hncfp99DV5lcP5tK14igA
udUMFd679sFAEE9KdL2WFwqxwf5Nd8MAAR8fqYrLMQKBgQD8piWwJei4QPlhy0/F
28EoY2aXWuIZn4aONPwTByOkEZt9kHAWvyRAa/gDOsDhudbxT+o/RriqVtZ1n8I5
lbpAYpH2vvmpuQf9lPFcVjfwf+ACeaP1rfSrrUUzLCvh0Nh+F0Qx77bIIw20OuwH
AO70tOo+IXSiGS0+gpPWMvEzWQKBgQC1amTTCxPnOjSnZFIRE6Y9otzDYC31ClQN
CIoSbC2nicBj9RUf22DXel1DRVl5hHP9LFWEWK55clvA2xo3+xJz7/tnYtlmJDAS
OZ69n7AB7JV95UTgzjK9IBVz+FyzBFD+b+rI5Fw/wOXkGlDxUyeOr8ehmSuEpROr
0PwokNXQKwKBgGJ8NdbLgENK+KuZgHhFaK9gyB4aDGcmm2IV32lfcBJF1tIEmt0T
F4ORUvWXUpbrRZF9sHeIDvY/sYvagfDGn/r3MaT43wO9IBNGmyt+ZIH4pw7v8e0U
KXs+qOoAvv5g1fOZCDlbE2pC19W43kcAoyV63JDpo7iIje1/IzftVb7JAoGADQsh
RKs/OxjMQFzOKbwn77aN+N4pb7zWXjmG89wjTDBzTLyKUEgNpnB91CBgVoRXcpSF
cYaOxNycDDm0oOHEaeGPSdepmdZwPl82MpwQo5LHDM43LZKlw0NTR4tL3vMof6K8
VsVUfKD55nSd7Tv1VCT/TXcd0eOsjmXwO1puhRECgYEAsWYisrk+2rI3TwFl8cmp
hVr2Cihhp9mQYXUTdHmeayWEb0PDG65q7/AsZZIf0CtgnENaIIXr1fmgiuraSlqx
mK2JjQtopxBqEA02au18+882RIfck6X4jcXgmbhhnrZr8zUjLm8db6iS65BeDVDD
o70sZbz3artbnhzKeDuWWDE=
-----END PRIVATE KEY-----
`;
/** TEST ONLY: its public key, what the sandbox verifies requests with by default. */
export const TEST_MERCHANT_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAswp48lRV48cdU+WPo99s
tjiGRqlMizRR2elvpNdkixjibI1gW5alBYUGUgs9z6d1vPCBNVjblhRXK/a5SVWH
93SO8YsvZWG1WkNj3tSIWKcbb2yMlTpqGwtbEErQ68BtU57srGbYJIotM+InYP3S
aBRU9qPGTp2MaR8nku7CPU/xcqQeOZuqdh2CNPr+stpTs7JN159wHesVtFJDsHVN
5x48uJYFwrlIS4HWXwbaPxewZjIXJ3cEn7HFMbl7z+L017sCZDxnJwQBQvFfCdXV
FNfBpGqrmNlCutYrdrD9xWKR926NpTQFj0Sa5vwObbdUl4HLx9xfFK+leI/YUUjv
8wIDAQAB
-----END PUBLIC KEY-----
`;
/** TEST ONLY: the sandbox platform's private key, which signs its answers and notifications. */
export const TEST_PLATFORM_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDbmm5P7VhtPU+F
gPU75o3ZXn5YkYIYjBvElZZXMoJcMNG4Ocu0mrVlxMse0fZBTmgDFmEfmYHeQVp1
cMjnNr8HCGDkWcbuaYHH+gDYOGEGEO3XjOxt/UjagzhF14S455eS0JEvCbIxBR78
eScpgIz73v3qrRgUkInY/ln0ECl7dd9Ql6cviBm8PCQg8EpwKY6KnXSlCT7it49Z
VgixUT6ZcZHlTd/U6fomg125ogAVp8yY81dxJ1u46LRCWHRpZbU4IXeTo/copgQQ
mgh0huJpP7W1ZoTbGlhj+tWGyr00fS1py+OukeaOSdkg2wRvBSOrXy+zZdw0kPsx
GTF5kWuZAgMBAAECggEADCJUBPiU7iNqyqsd05gMBOjdZ+emz5tPLCVCDF65xQxN
9rU0nRFUPGOoHDqhi00gyX9Ugy+zA3L8xySwIZy0BFh2uhy30gW5v79VNGRtjjuy
WKxeMOmnHwBFYLsB+Z/MHbb4VAuYxqjajq5VTGiLNxALzUM6//NzRSBNOFjRKROw
mRo2x1Fi+/cEGJp822btHI6cUpPTsIdZ6vukopVCf7FVTuxsqWBATatfrrFSKqiB
yifqYGGIvEkU3RILQm1Kjxb0vB2N0Rg4BvCAcfRWGjwz/96D5GYsR5Zc3YWXAmTb
s81MEJbC/u7jPLQ8ic0wVOpMAUY3GzeF50Wn24O4/QKBgQD4iUsYBMM5hknIuNjz
gr4ue1oYcfuBd7/NzMgphBHZSi1gNWqb32nnXjoNO89KjFO+PjlHbfeFUzlHEtt4
fkRfnKpWD8XToou3MrT2rVZ2+d0D5nyLIc5JSo9UI/s4zCpMFRWG+ArKiYNLQovr
9UJ2oB5KnNrJpwlFMImaVGe2swKBgQDiMrR2/cOrGi30uPKj49QDgpXUZ+QdDM7Q
5cMhsyp45zdV41M0N1Kpwn0bx7zb2rBwCd+QSTpMxJ3+ZY1osREhdH34IVq3Al+A
XkMO0uSJeqTC8U5EtIZJZlpTe2lXjpgvbtR8xOgdooDCSiWw28smXSTRs3QV6mbO
VeWHpqxagwKBgG+L/z4qdQyObvM9s3GnjoACMO+jyMPU4SsW7AdmFTS3DCKQFuca
oMeNDPT/kQvea3+JIeAjROJ79csmdYZg9YMMJ480yQ8xdw+kHIBST+paPo4PlnpD
k/hlFGspMwnM6Hb5R44qKX25tknC9lXS4B+pwa6vM6sp4wlAvaGcnGftAoGAdn7R
gzRU+KFySa1Jjwme22fhTbBPE9jNzylOG61cJpIZruizgbsplrzIBXGRQitCGq9R
aqix3d1yVv6kIaAAtWHtS7tNZmnb1ceLoYxhJJQXE/iNY/ieEH2J/Am+mZudpduN
fP86CaxDf4SQUiISPjq1OxWjTofI63acE4AA8jkCgYEA0tp3xFVD74wCdI2bxZrg
rhM98mOVhc/l914jNpB+IVC0ABqJQu0l2P/so4XqbdwC00UzCPKp/uYeyjMUSPEg
KVdJqmEYqslWB+p8gZ1JKpSettQ9qzvHerHP0HdH6He0TpZlTc1m2clXeRlj/JlS
ZINOPGcdpVj9kcmRdvXY+Os=
-----END PRIVATE KEY-----
`;
/** TEST ONLY: the sandbox platform's public key, the `platformPublicKey` sandbox value. */
export const TEST_PLATFORM_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA25puT+1YbT1PhYD1O+aN
2V5+WJGCGIwbxJWWVzKCXDDRuDnLtJq1ZcTLHtH2QU5oAxZhH5mB3kFadXDI5za/
Bwhg5FnG7mmBx/oA2DhhBhDt14zsbf1I2oM4RdeEuOeXktCRLwmyMQUe/HknKYCM
+9796q0YFJCJ2P5Z9BApe3XfUJenL4gZvDwkIPBKcCmOip10pQk+4rePWVYIsVE+
mXGR5U3f1On6JoNduaIAFafMmPNXcSdbuOi0Qlh0aWW1OCF3k6P3KKYEEJoIdIbi
aT+1tWaE2xpYY/rVhsq9NH0tacvjrpHmjknZINsEbwUjq18vs2XcNJD7MRkxeZFr
mQIDAQAB
-----END PUBLIC KEY-----
`;

/** The built-in merchant id (the 2.4 sample's). */
export const SANDBOX_MCH_ID = '105510000001';

/** A realistic slice of the InstaPay receiving institutions (5.1 answer: receivers [{bankCode, bankName}]). */
export const SANDBOX_BANKS: readonly { bankCode: string; bankName: string }[] = Object.freeze([
  { bankCode: 'BNORPHMM', bankName: 'BDO Unibank, Inc.' },
  { bankCode: 'BOPIPHMM', bankName: 'Bank of the Philippine Islands' },
  { bankCode: 'MBTCPHMM', bankName: 'Metropolitan Bank and Trust Company' },
  { bankCode: 'PNBMPHMM', bankName: 'Philippine National Bank' },
  { bankCode: 'TLBPPHMM', bankName: 'Land Bank of the Philippines' },
  { bankCode: 'UBPHPHMM', bankName: 'Union Bank of the Philippines, Inc.' },
  { bankCode: 'SETCPHMM', bankName: 'Security Bank Corporation' },
  { bankCode: 'RCBCPHMM', bankName: 'Rizal Commercial Banking Corporation' },
  { bankCode: 'CHBKPHMM', bankName: 'China Banking Corporation' },
  { bankCode: 'SUSVPHM1', bankName: 'Sun Savings Bank, Inc.' },
  { bankCode: 'PAPHPHM1', bankName: 'Maya Bank, Inc.' },
  { bankCode: 'GXCHPHM2', bankName: 'GCash' },
  { bankCode: 'SRCPPHM1', bankName: 'ShopeePay Philippines, Inc.' },
  { bankCode: 'EWBCPHMM', bankName: 'EastWest Banking Corporation' },
]);

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
function toJson(value: unknown): string {
  if (value instanceof RawJsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

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
      return minor > 0n ? { major: formatMinorWithExponent(minor, 2), form: 'string' } : undefined;
    }
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return { major: formatMinorWithExponent(BigInt(value), 2), form: 'number' };
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
      fee: paid && fee > 0 ? echoAmount(formatMinorWithExponent(BigInt(fee), 2), record.fields.amountForm) : undefined,
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
    return signedReply({ code: '200', message: 'success', msgId: v.msgId, balance: formatMinorWithExponent(opening - held, 2), currency: 'PHP' });
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
    const text = toJson({
      code: '200',
      message: 'success',
      trxDate: manilaTime(record.updatedAt),
      trxAmount: echoAmount(paid ? record.paidAmount : record.amount, record.fields.amountForm),
      trxState: STATE[record.state],
      originalMsgId: record.reference,
      msgId: `8${Date.now()}${String(notifyCounter).padStart(6, '0')}`,
      mchId,
      refNo: record.providerRef,
      currency: record.currency,
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
