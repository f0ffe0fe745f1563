// The simulated StarPago v3: same paths, Bearer JWTs from the token endpoint (HTTP 401 for a missing,
// expired or forged token), the envelope {code, msg, data} and the "Assumed answers" of PROVIDERS.md,
// asynchronous settlement through the shared ledger, and unsigned JSON callbacks to the notifyUrl.
import crypto from 'node:crypto';
import { z } from 'zod';
import { startSandboxServer, type SandboxReply, type SandboxRequest, type SandboxServer } from '../../sandbox/server.ts';
import { defaultOutcomes, type OutcomeRule, type SandboxSettings, parseSandboxSettings } from '../../sandbox/settings.ts';
import type { LedgerRecord } from '../../sandbox/ledger.ts';
import { currencyExponent } from '../../validate/currencies.ts';
import type { SandboxHandle, SandboxKit, SandboxStartOptions } from '../types.ts';
import { CREATE_PATH } from './client.ts';
import { clabeCheckDigit } from './identifiers.ts';
import { field, isObject, JsonNumber, parseLossless, stringifyLossless, textOf, type JsonObject, type JsonValue } from './json.ts';
import { exponentOf, literalToMinorUnits, minorToWire } from '../money.ts';
import { seededDigits } from '../sandbox-kit.ts';
import { checkCurrencyRules, referencePattern } from './schema.ts';
import { signJwt, verifyJwt } from './sign.ts';
import { TOKEN_PATH } from './token.ts';

/** Built-in sandbox credentials (the module's `credentials[].sandboxValue`). */
export const SANDBOX_APP_ID = 'sbx-starpago-app-100';
export const SANDBOX_APP_SECRET = 'sbx-starpago-secret-2f9c41d07e5a4b83';

/** A payout whose account ends in 0006 stays "Transaction Abnormal" (EXCEPTION) after the settle delay. */
export const EXCEPTION_RULE: OutcomeRule = {
  accountEndsWith: '0006',
  outcome: 'stuck',
  code: 'EXCEPTION',
  message: 'transaction abnormal: under review at StarPago',
};

/** StarPago-only sandbox settings, beside the shared ones (src/sandbox/settings.ts). */
export const starpagoSandboxSettingsSchema = z.object({
  /** Lifetime of issued tokens (token.html: 1800). Tests set a few seconds to exercise the refresh. */
  tokenTtlSeconds: z.number().positive().default(1800),
  /** Must match the client's config when it is changed there. */
  queryPath: z.string().startsWith('/').default('/api/v3/payout/query'),
  balancePath: z.string().startsWith('/').default('/api/v3/merchant/balance'),
});

const DEFAULTS = {
  feeMinor: 150,
  balances: { MXN: '2500000.00', BRL: '400000.00', COP: '900000000.00', CLP: '150000000', PEN: '300000.00', ARS: '90000000.00', USD: '100000.00', USDT: '100000.00' },
  outcomes: [...defaultOutcomes, EXCEPTION_RULE],
};

export interface StarPagoSandbox extends SandboxHandle {
  server: SandboxServer;
  /** Shared stats plus the token endpoint's counters. */
  stats(): ReturnType<SandboxServer['stats']> &
    ReturnType<SandboxServer['ledger']['stats']> & { tokenRequests: number; tokensIssued: number; unauthorized: number };
  /** Invalidates every token issued so far (as a key rotation or restart at StarPago would). */
  revokeTokens(): void;
}

const json = (status: number, body: JsonValue, headers: Record<string, string> = {}): SandboxReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: stringifyLossless(body),
});

const envelope = (code: number, msg: string, data: JsonValue = null): JsonObject => {
  const o = Object.create(null) as JsonObject;
  o.code = new JsonNumber(String(code));
  o.msg = msg;
  o.data = data;
  return o;
};

const obj = (entries: Record<string, JsonValue | undefined>): JsonObject => {
  const o = Object.create(null) as JsonObject;
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) o[k] = v;
  return o;
};

const num = (text: string | number | bigint) => new JsonNumber(String(text));

function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** An 18-digit CLABE with a valid Banxico check digit ending in `ending` (the digit before it is free). */
function clabeEnding(seed: string, ending: string): string {
  const head = `072180${seededDigits(seed, 7)}`; // 13 digits
  for (let x = 0; x <= 9; x++) {
    const first17 = `${head}${x}${ending.slice(0, 3)}`;
    if (String(clabeCheckDigit(first17)) === ending[3]) return first17 + ending[3];
  }
  throw new Error(`no CLABE ends in ${ending}`);
}

/** How tests drive this sandbox: SPEI rows to a CLABE it pays or not, and its unsigned callbacks. */
export const starpagoSandboxKit: SandboxKit = {
  accountColumn: 'extra.clabe',
  row: (seed, i, ending) => ({ amount: `${150 + i}.00`, currency: 'MXN', method: 'SPEI', 'extra.clabe': clabeEnding(`${seed}/${i}`, ending), 'extra.customerName': 'María López' }),
  // A CLABE whose check digit is wrong: business code 400, nothing created.
  refused: (seed, i) => {
    const row = starpagoSandboxKit.row(seed, i, '1111');
    const clabe = row['extra.clabe']!;
    return { ...row, 'extra.clabe': clabe.slice(0, 17) + String((Number(clabe[17]) + 1) % 10) };
  },
  callback(payout, claim, variant, serial) {
    // StarPago signs nothing: a forged callback cannot be told from a real one, and a tampered one is valid.
    if (variant === 'forged') return undefined;
    const status = variant === 'tampered' || claim === 'succeeded' ? 'PAID' : 'FAILED';
    const now = Date.now();
    const body = stringifyLossless(
      obj({
        orderNo: payout.providerRef, merOrderNo: payout.reference, status, amount: num(payout.amount), tradeCharge: num('1.50'),
        currency: payout.currency, payMethod: 'SPEI', attach: '', createTime: num(now), updateTime: num(now + serial), message: null,
      }),
    );
    return { body, headers: { 'content-type': 'application/json', 'user-agent': 'StarPago-Notify' } };
  },
};

/** The beneficiary account the outcome rules look at: the first of these `extra` keys that is present. */
const ACCOUNT_KEYS = ['clabe', 'accountNumber', 'pixKey', 'accountNo', 'account_number', 'cbu', 'cvu', 'iban', 'cardNo', 'address'];

export async function startStarPagoSandbox(options: SandboxStartOptions): Promise<StarPagoSandbox> {
  const own = starpagoSandboxSettingsSchema.parse(options.settings ?? {});
  const input = { ...options.settings } as Record<string, unknown>;
  for (const [k, v] of Object.entries(DEFAULTS)) if (input[k] === undefined) input[k] = v;
  const appId = options.credentials.appId || SANDBOX_APP_ID;
  const appSecret = options.credentials.appSecret || SANDBOX_APP_SECRET;

  let signingKey = crypto.randomBytes(32);
  let live: SandboxSettings = parseSandboxSettings(input);
  const counters = { tokenRequests: 0, tokensIssued: 0, unauthorized: 0 };

  /** The fee per payout (settings.feeMinor, minor units of the payout's currency). */
  const fee = (_currency: string) => BigInt(live.feeMinor);

  function authorise(req: SandboxRequest): SandboxReply | undefined {
    const header = String(req.headers.authorization ?? '');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const verdict = m ? verifyJwt(m[1]!, signingKey, Date.now()) : { ok: false as const, reason: 'missing token' };
    if (verdict.ok) return undefined;
    counters.unauthorized++;
    return json(401, envelope(401, `Unauthorized: ${verdict.reason}`));
  }

  function statusOf(r: LedgerRecord): { status: string; message?: string } {
    switch (r.state) {
      case 'processing':
        if (r.outcome === 'stuck' && r.outcomeCode === 'EXCEPTION' && Date.now() >= r.createdAt + live.settleAfterSeconds * 1000) {
          return { status: 'EXCEPTION', message: r.outcomeMessage ?? 'transaction abnormal' };
        }
        return { status: 'PENDING' };
      case 'succeeded':
        return { status: 'PAID' };
      case 'failed':
        return { status: r.failCode === 'EXPIRED' ? 'EXPIRED' : 'FAILED', ...(r.failMessage ? { message: r.failMessage } : {}) };
      case 'reversed':
        return { status: 'REFUNDED', ...(r.failMessage ? { message: r.failMessage } : {}) };
    }
  }

  /** The query answer's data (and, without paidAmount, the callback's). */
  function orderData(r: LedgerRecord, withPaid: boolean): JsonObject {
    const { status, message } = statusOf(r);
    const paid = status === 'PAID' || status === 'REFUNDED';
    const completed = paid || status === 'FAILED' || status === 'EXPIRED';
    return obj({
      orderNo: r.providerRef,
      merOrderNo: r.reference,
      status,
      amount: num(r.amount),
      paidAmount: withPaid ? num(paid ? r.paidAmount : minorToWire(0n, r.currency)) : undefined,
      tradeCharge: num(minorToWire(paid ? fee(r.currency) : 0n, r.currency)),
      tradeNo: withPaid && completed ? `CH${r.providerRef.slice(3)}` : undefined,
      currency: r.currency,
      payMethod: String(r.fields.payMethod ?? ''),
      attach: withPaid ? undefined : '',
      createTime: num(r.createdAt),
      updateTime: num(r.updatedAt),
      message,
    });
  }

  const bad = (msg: string) => json(200, envelope(400, `Parameter error: ${msg}`));

  function createPayout(req: SandboxRequest): SandboxReply {
    const denied = authorise(req);
    if (denied) return denied;
    const body = parseLossless(req.text);
    if (!isObject(body)) return bad('body must be a JSON object');
    const merOrderNo = field(body, 'merOrderNo');
    const currency = field(body, 'currency');
    const payMethod = field(body, 'payMethod');
    const amount = field(body, 'amount');
    const notifyUrl = field(body, 'notifyUrl');
    const extra = field(body, 'extra') ?? Object.create(null);
    if (typeof merOrderNo !== 'string' || !referencePattern.pattern.test(merOrderNo)) return bad('merOrderNo is required (letters, digits, - or _, at most 32)');
    if (typeof currency !== 'string' || currencyExponent(currency) === undefined) return bad('currency is not supported');
    if (typeof payMethod !== 'string' || payMethod.trim() === '') return bad('payMethod is required');
    if (!(amount instanceof JsonNumber)) return bad('amount must be a number');
    if (notifyUrl !== undefined && typeof notifyUrl !== 'string') return bad('notifyUrl must be a string');
    if (!isObject(extra)) return bad('extra must be an object');
    const amountMinor = literalToMinorUnits(amount.text, exponentOf(currency));
    if (amountMinor === undefined) return bad(`amount has more decimals than ${currency} allows`);
    if (amountMinor <= 0n) return bad('amount must be positive');
    const row: Record<string, string> = { method: payMethod, amount: amount.text };
    for (const [k, v] of Object.entries(extra)) {
      const t = textOf(v);
      if (t !== undefined) row[`extra.${k}`] = t;
    }
    const issues = checkCurrencyRules(row, { currency, amountMinor });
    if (issues.length > 0) return bad(issues.map((i) => i.message).join('; '));

    const account = ACCOUNT_KEYS.map((k) => textOf(field(extra, k))).find((v) => v !== undefined && v !== '') ?? '';
    const result = ledgerRef.server!.ledger.create({
      reference: merOrderNo,
      amount: minorToWire(amountMinor, currency),
      currency,
      account,
      fields: { payMethod, extra: Object.fromEntries(Object.entries(extra)) },
      ...(typeof notifyUrl === 'string' && notifyUrl ? { notifyUrl } : {}),
    });
    if (!result.created) return json(200, envelope(409, 'Duplicate merOrderNo: order already exists'));
    const r = result.record;
    return json(
      200,
      envelope(
        0,
        'success',
        obj({
          orderNo: r.providerRef,
          merOrderNo: r.reference,
          status: 'CREATED',
          amount,
          currency,
          payMethod,
          createTime: num(r.createdAt),
          updateTime: num(r.updatedAt),
        }),
      ),
    );
  }

  function queryPayout(req: SandboxRequest): SandboxReply {
    const denied = authorise(req);
    if (denied) return denied;
    const merOrderNo = req.url.searchParams.get('merOrderNo');
    const orderNo = req.url.searchParams.get('orderNo');
    if (!merOrderNo && !orderNo) return bad('merOrderNo or orderNo is required');
    const ledger = ledgerRef.server!.ledger;
    const record = merOrderNo ? ledger.get(merOrderNo) : ledger.getByProviderRef(orderNo!);
    if (!record) return json(200, envelope(404, 'Order does not exist'));
    return json(200, envelope(0, 'success', orderData(record, true)));
  }

  function balanceOf(currency: string): JsonObject {
    const e = exponentOf(currency);
    let available = literalToMinorUnits(live.balances[currency] ?? '0', e) ?? 0n;
    let frozen = 0n;
    for (const r of ledgerRef.server!.ledger.all) {
      if (r.currency !== currency) continue;
      const amount = literalToMinorUnits(r.amount, e) ?? 0n;
      const paid = literalToMinorUnits(r.paidAmount, e) ?? 0n;
      if (r.state === 'succeeded') available -= paid + fee(currency);
      else if (r.state === 'reversed') available -= fee(currency);
      else if (r.state === 'processing') frozen += amount + fee(currency);
    }
    return obj({ currency, balance: num(minorToWire(available - frozen, currency)), frozenBalance: num(minorToWire(frozen, currency)) });
  }

  function balance(req: SandboxRequest): SandboxReply {
    const denied = authorise(req);
    if (denied) return denied;
    const currency = req.url.searchParams.get('currency');
    if (currency) {
      if (currencyExponent(currency) === undefined) return bad('currency is not supported');
      return json(200, envelope(0, 'success', balanceOf(currency)));
    }
    return json(200, envelope(0, 'success', Object.keys(live.balances).map(balanceOf)));
  }

  function token(req: SandboxRequest): SandboxReply {
    counters.tokenRequests++;
    const body = parseLossless(req.text);
    if (!isObject(body)) return json(400, envelope(400, 'Parameter error: body must be a JSON object'));
    if (field(body, 'grant_type') !== 'client_credentials') return json(400, envelope(400, 'Parameter error: unsupported grant_type'));
    const id = textOf(field(body, 'app_id')) ?? '';
    const secret = textOf(field(body, 'app_secret')) ?? '';
    if (!sameSecret(id, appId) || !sameSecret(secret, appSecret)) return json(401, envelope(401, 'Invalid app_id or app_secret'));
    counters.tokensIssued++;
    const now = Date.now();
    const expSeconds = Math.ceil((now + own.tokenTtlSeconds * 1000) / 1000);
    const jwt = signJwt({ mid: 100, type: 'merchant', iss: 'starpago', iat: Math.floor(now / 1000), exp: expSeconds, jti: crypto.randomBytes(6).toString('hex') }, signingKey);
    return json(200, envelope(0, 'success', obj({ token: jwt, token_type: 'Bearer', expires_in: num(own.tokenTtlSeconds) })));
  }

  const referenceFromBody = (req: SandboxRequest) => textOf(field(parseLossless(req.text), 'merOrderNo'));
  const ledgerRef: { server?: SandboxServer } = {};

  const server = await startSandboxServer({
    name: 'starpago',
    settings: input,
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.statePath ? { statePath: options.statePath } : {}),
    ...(options.log ? { log: options.log } : {}),
    routes: [
      { method: 'POST', path: TOKEN_PATH, kind: 'other', handle: (req, ctx) => ((live = ctx.settings), token(req)) },
      { method: 'POST', path: CREATE_PATH, kind: 'create', reference: referenceFromBody, handle: (req, ctx) => ((live = ctx.settings), createPayout(req)) },
      {
        method: 'GET',
        path: own.queryPath,
        kind: 'query',
        reference: (req) => req.url.searchParams.get('merOrderNo') ?? undefined,
        handle: (req, ctx) => ((live = ctx.settings), queryPayout(req)),
      },
      { method: 'GET', path: own.balancePath, kind: 'other', handle: (req, ctx) => ((live = ctx.settings), balance(req)) },
    ],
    rateLimitedReply: (ms) => json(429, envelope(429, 'Too Many Requests'), { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) }),
    duplicateReply: () => json(200, envelope(409, 'Duplicate merOrderNo: order already exists')),
    errorReply: (status) => ({ status, headers: { 'content-type': 'text/html' }, body: `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center></body></html>` }),
  });
  ledgerRef.server = server;

  // Callbacks (callback.html "payout callback notice"): JSON, no signature, on every final change.
  server.ledger.onChange((record) => {
    if (!live.callbacks || !record.notifyUrl) return;
    server.callbacks.send({
      url: record.notifyUrl,
      headers: { 'content-type': 'application/json', 'user-agent': 'StarPago-Notify' },
      body: stringifyLossless(orderData(record, false)),
    });
  });

  return {
    url: server.url,
    server,
    stats: () => ({ ...server.stats(), ...server.ledger.stats(), ...counters }),
    revokeTokens() {
      signingKey = crypto.randomBytes(32);
    },
    close: () => server.close(),
  };
}
