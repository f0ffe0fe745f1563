// The simulated PayStar: same paths, bearer JWT checked as PayStar would (401 without a body), 400 answers
// in PayStar's shape (VALIDATION_ERROR, 1-4007 duplicate, LIMITS_ERROR), 423 on request, settlement via the
// shared ledger, and signed callbacks to the order's callbackUrl.
import crypto from 'node:crypto';
import { z } from 'zod';
import { startSandboxServer, type SandboxContext, type SandboxReply, type SandboxRequest, type SandboxRoute } from '../../sandbox/server.ts';
import type { LedgerRecord } from '../../sandbox/ledger.ts';
import { parseSandboxSettings } from '../../sandbox/settings.ts';
import { currencyExponent } from '../../validate/currencies.ts';
import { wireToMinor } from '../money.ts';
import { scalarLiteral } from '../raw-json.ts';
import { seededDigits } from '../sandbox-kit.ts';
import type { SandboxHandle, SandboxKit, SandboxPayoutView, SandboxStartOptions } from '../types.ts';
import { cardDigits, luhnValid, maskCard6x4, maskKeepLength } from './card.ts';
import { SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY } from './schema.ts';
import { callbackSignature, verifyJwtHs256 } from './sign.ts';

/** PayStar-only sandbox settings, next to the shared ones (src/sandbox/settings.ts). */
export const paystarSandboxSettingsSchema = z.object({
  /** Per-payout limit in minor units; above it the create answers 400 LIMITS_ERROR. */
  limitMinor: z.number().int().positive().default(1_000_000),
  /** Limit id named in the LIMITS_ERROR message. */
  limitId: z.string().default('sbx-per-payout'),
  /** Answer the next n create requests with HTTP 423 (nothing created). */
  lockedTimes: z.number().int().min(0).default(0),
  /** Retry-After (seconds) on a 423; none by default (the documented answer shows no header). */
  lockedRetryAfterSeconds: z.number().min(0).optional(),
  /** The success spelling: "Success" (status pages) or "Successful" (glossary). */
  successStatus: z.enum(['Success', 'Successful']).default('Success'),
  /** Write the callback Signature in upper-case hex (PayStar's case is unknown). */
  signatureUpperCase: z.boolean().default(false),
  /** Spell the callback's id `externald`, as the older doc copy does. */
  misspellExternalId: z.boolean().default(false),
});

const WITHDRAWAL = /^\/api\/v1\/integration\/withdrawal-order\/?$/;
const BY_MERCHANT_ID = /^\/api\/v1\/integration\/withdrawal-order\/([^/]+)\/status-by-external-transaction-id\/?$/;
const BY_PAYSTAR_ID = /^\/api\/v1\/integration\/withdrawal-order\/([^/]+)\/status\/?$/;
const BALANCE = /^\/api\/v1\/balance\/merchant\/?$/;

const validation = (message: string): SandboxReply => ({
  status: 400,
  body: { label: 'VALIDATION_ERROR.', message, statusDescrption: '0-0000' },
});
const duplicate = (): SandboxReply => ({
  status: 400,
  body: { label: 'VALIDATION_ERROR.', statusDescrption: '1-4007', message: 'Order with this external_transaction_id already exist' },
});
const unauthorized: SandboxReply = { status: 401, body: '' };

/**
 * A callback body as PayStar writes it: `amount` is the literal the merchant sent ("100.50" stays 100.50),
 * signed as written; `idKey` is `externalId` (or the older doc copy's `externald`).
 */
function callbackBody(p: SandboxPayoutView, status: string, externalParams: Record<string, unknown>, idKey = 'externalId'): string {
  return (
    `{${JSON.stringify(idKey)}:${JSON.stringify(p.providerRef)},"amount":${p.amount},"currency":${JSON.stringify(p.currency)},` +
    `"status":${JSON.stringify(status)},"orderType":"Withdrawal","externalParams":${JSON.stringify(externalParams)}}`
  );
}

/** A 16-digit Visa-shaped card number passing Luhn and ending in `ending` (the digit before it is free). */
function cardEnding(seed: string, ending: string): string {
  for (let x = 0; x <= 9; x++) {
    const card = `4${seededDigits(seed, 10)}${x}${ending}`;
    if (luhnValid(card)) return card;
  }
  throw new Error(`no card number ends in ${ending}`);
}

/** How tests drive this sandbox (built-in keys): card payouts it pays or not, and its signed callbacks. */
export const paystarSandboxKit: SandboxKit = {
  accountColumn: 'field.cardNumber',
  row: (seed, i, ending) => ({ amount: `${15 + i}.00`, currency: 'USD', 'field.cardNumber': cardEnding(`${seed}/${i}`, ending), 'field.bankName': 'Chase', 'field.email': `p${i}@example.com` }),
  // A card number failing Luhn: 400 VALIDATION_ERROR, nothing created.
  refused: (seed, i) => {
    const card = cardEnding(`${seed}/${i}`, '1111');
    return { ...paystarSandboxKit.row(seed, i, '1111'), 'field.cardNumber': card.slice(0, 10) + String((Number(card[10]) + 1) % 10) + card.slice(11) };
  },
  callback(payout, claim, variant, serial) {
    const status = claim === 'succeeded' ? 'Success' : 'Failed';
    // Tampered: signed as the opposite status, sent as the claim.
    const signedStatus = variant === 'tampered' ? (claim === 'succeeded' ? 'Failed' : 'Success') : status;
    const key = variant === 'forged' ? 'not-the-private-key' : SANDBOX_PRIVATE_KEY;
    const body = callbackBody(payout, status, { cardToken: null, cardStorageToken: null, cardNumber: null, cardHolder: null, n: serial });
    const signature = callbackSignature({ externalId: payout.providerRef, status: signedStatus, amount: payout.amount, orderType: 'Withdrawal' }, key);
    return { body, headers: { 'content-type': 'application/json', Signature: signature } };
  },
};

function decodePathPart(part: string | undefined): string | undefined {
  try {
    return part === undefined ? undefined : decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export async function startPaystarSandbox(options: SandboxStartOptions): Promise<SandboxHandle> {
  const extra = paystarSandboxSettingsSchema.parse(options.settings ?? {});
  const shared = parseSandboxSettings(options.settings);
  // PayStar has no reversal status: the shared "reverse" outcome (account ending 0004) simply succeeds here.
  const outcomes = shared.outcomes.map((rule) => (rule.outcome === 'reverse' ? { ...rule, outcome: 'succeed' as const } : rule));
  const publicKey = options.credentials.publicKey || SANDBOX_PUBLIC_KEY;
  const privateKey = options.credentials.privateKey || SANDBOX_PRIVATE_KEY;
  const readyToken = options.credentials.token || undefined;
  let lockedLeft = extra.lockedTimes;
  /** Shared settings as last seen by a handler (the control endpoint may change them). */
  let sendCallbacks = shared.callbacks;

  /** PayStar's check: a ready token issued to us, or an HS256 JWT of our publicKey signed with our privateKey. */
  function authorised(req: SandboxRequest): boolean {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) return false;
    const token = m[1]!;
    if (readyToken && token.length === readyToken.length && crypto.timingSafeEqual(Buffer.from(token), Buffer.from(readyToken))) return true;
    const check = verifyJwtHs256(token, privateKey);
    return check.ok && check.payload.publicKey === publicKey;
  }

  function orderStatus(record: LedgerRecord, settleAfterSeconds: number): string {
    if (record.state === 'succeeded' || record.state === 'reversed') return extra.successStatus;
    if (record.state === 'failed') return 'Failed';
    return Date.now() - record.createdAt < (settleAfterSeconds * 1000) / 2 ? 'Created' : 'Processing';
  }

  function history(record: LedgerRecord, status: string): { time: string; action: string }[] {
    const at = (ms: number) => new Date(ms).toISOString().replace('Z', '000');
    // Action codes follow PayStar's "X.Y.Z.W" scheme; the table is [U], these values are the sandbox's own.
    const out = [{ time: at(record.createdAt), action: '1.1.0.0' }];
    if (status === 'Processing') out.push({ time: at(record.createdAt), action: '1.2.0.0' });
    if (status === 'Failed') out.push({ time: at(record.updatedAt), action: '1.4.0.0' });
    if (status === extra.successStatus) out.push({ time: at(record.updatedAt), action: '1.3.0.0' });
    return out;
  }

  function statusReply(record: LedgerRecord | undefined, settleAfterSeconds: number): SandboxReply {
    if (!record) return { status: 404, body: { label: 'NOT_FOUND', message: 'Order not found' } };
    const status = orderStatus(record, settleAfterSeconds);
    return { status: 200, body: { externalId: record.providerRef, orderStatus: status, orderHistory: history(record, status) } };
  }

  function statusRoute(path: RegExp, find: (ledger: SandboxContext['ledger'], id: string) => LedgerRecord | undefined, reference?: SandboxRoute['reference']): SandboxRoute {
    return {
      method: 'GET',
      path,
      kind: 'query',
      ...(reference ? { reference } : {}),
      handle(req, ctx) {
        if (!authorised(req)) return unauthorized;
        const id = decodePathPart(req.params[0]);
        return statusReply(id === undefined ? undefined : find(ctx.ledger, id), ctx.settings.settleAfterSeconds);
      },
    };
  }

  const routes: SandboxRoute[] = [
    {
      method: 'POST',
      path: WITHDRAWAL,
      kind: 'create',
      reference: (req) => (JSON.parse(req.text) as { externalTransactionId?: string }).externalTransactionId,
      handle(req, ctx) {
        sendCallbacks = ctx.settings.callbacks;
        if (!authorised(req)) return unauthorized;
        if (lockedLeft > 0) {
          lockedLeft--;
          const headers: Record<string, string> = extra.lockedRetryAfterSeconds !== undefined ? { 'retry-after': String(extra.lockedRetryAfterSeconds) } : {};
          return { status: 423, headers, body: { label: 'TEMPORARY_ERROR', message: 'Temporary error, try again later' } };
        }
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(req.text) as Record<string, unknown>;
        } catch {
          return validation('Request body is not valid JSON');
        }
        if (!body || typeof body !== 'object' || Array.isArray(body)) return validation('Request body is not valid JSON');
        const amount = scalarLiteral(req.text, 'amount');
        if (!amount.ok) return validation('Amount is required property');
        if (amount.kind !== 'number') return validation('Amount must be a number');
        const currency = typeof body.currency === 'string' ? body.currency : '';
        if (!currency) return validation('Currency is required property');
        if (currencyExponent(currency) === undefined) return validation('Currency is not supported');
        const minor = wireToMinor(amount.text, currency);
        if (minor === undefined) return validation('Amount has more decimals than the currency allows');
        if (minor <= 0n) return validation('Amount must be greater than 0');
        const reference = body.externalTransactionId;
        if (typeof reference !== 'string' || reference === '') return validation('ExternalTransactionId is required property');
        const fields = body.additionalFields ?? [];
        if (!Array.isArray(fields) || fields.some((f) => !f || typeof f.key !== 'string' || typeof f.value !== 'string')) {
          return validation('AdditionalFields must be a list of {key, value} strings');
        }
        const additional = fields as { key: string; value: string }[];
        const card = additional.find((f) => f.key.toLowerCase() === 'cardnumber')?.value;
        if (card !== undefined && !(/^\d{12,19}$/.test(card) && luhnValid(card))) return validation('CardNumber is invalid');
        if (minor > BigInt(extra.limitMinor)) {
          return { status: 400, body: { label: 'LIMITS_ERROR', message: `Limit id: ${extra.limitId}-${currency} was reached`, statusDescrption: '0001-0', externalTransactionId: null } };
        }
        const account = card ?? additional.find((f) => /account|phone|iban/i.test(f.key))?.value ?? additional[0]?.value ?? '';
        const notifyUrl = typeof body.callbackUrl === 'string' ? body.callbackUrl : undefined;
        // The ledger never holds a full card number: same-length masks keep "ends with 0002" rules working.
        const storedFields = additional.map((f) => (f.key.toLowerCase() === 'cardnumber' ? { key: f.key, value: maskKeepLength(f.value) } : f));
        const result = ctx.ledger.create({
          reference,
          amount: amount.text,
          currency,
          account: card !== undefined ? maskKeepLength(card) : account,
          fields: { additionalFields: storedFields, cardMask: card !== undefined ? maskCard6x4(cardDigits(card)) : null },
          notifyUrl,
        });
        if (!result.created) return duplicate();
        return { status: 200, body: { externalId: result.record.providerRef, orderStatus: 'Created' } };
      },
    },
    // The status of an order by our reference, or by PayStar's own id.
    statusRoute(BY_MERCHANT_ID, (ledger, id) => ledger.get(id), (req) => decodePathPart(req.params[0])),
    statusRoute(BY_PAYSTAR_ID, (ledger, id) => ledger.getByProviderRef(id)),
    {
      method: 'GET',
      path: BALANCE,
      kind: 'other',
      handle(req, ctx) {
        if (!authorised(req)) return unauthorized;
        const currency = req.url.searchParams.get('currency') ?? '';
        if (!currency || currencyExponent(currency) === undefined) return validation('Currency is required property');
        const balance = ctx.settings.balances[currency] ?? '100000.00';
        if (!/^\d+(\.\d+)?$/.test(balance)) return validation('sandbox balance setting is not a decimal');
        // Assumed shape ([U]): the amount as a JSON number literal, written from the setting's text.
        return { status: 200, headers: { 'content-type': 'application/json' }, body: `{"currency":${JSON.stringify(currency)},"balance":${balance}}` };
      },
    },
  ];

  const server = await startSandboxServer({
    name: 'paystar',
    routes,
    settings: { ...shared, outcomes },
    host: options.host,
    port: options.port,
    statePath: options.statePath,
    log: options.log,
    duplicateReply: duplicate,
  });

  server.ledger.onChange((record) => {
    if (!sendCallbacks || !record.notifyUrl || !(record.state === 'succeeded' || record.state === 'failed')) return;
    const status = record.state === 'succeeded' ? extra.successStatus : 'Failed';
    const amount = record.state === 'succeeded' ? record.paidAmount : record.amount;
    const idKey = extra.misspellExternalId ? 'externald' : 'externalId';
    const cardMask = (record.fields as { cardMask?: string | null }).cardMask ?? null;
    const externalParams = {
      cardToken: cardMask ? 'sbx_' + crypto.createHash('sha256').update(record.providerRef).digest('hex').slice(0, 16) : null,
      cardStorageToken: null,
      cardNumber: cardMask,
      cardHolder: null,
    };
    const body = callbackBody({ ...record, amount }, status, externalParams, idKey);
    let signature = callbackSignature({ externalId: record.providerRef, status, amount, orderType: 'Withdrawal' }, privateKey);
    if (extra.signatureUpperCase) signature = signature.toUpperCase();
    server.callbacks.send({ url: record.notifyUrl, headers: { 'content-type': 'application/json', Signature: signature }, body });
  });

  return { url: server.url, close: () => server.close() };
}
