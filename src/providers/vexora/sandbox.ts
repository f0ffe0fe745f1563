// The Vexora sandbox: same paths, `merchantNo` header and MD5 sign checked on every call, payouts
// settled asynchronously, signed webhooks to notifyUrl, answers per PROVIDERS.md "Assumed answers".
import { z } from 'zod';
import { startSandboxServer, type SandboxContext, type SandboxReply, type SandboxRequest, type SandboxRoute } from '../../sandbox/server.ts';
import type { LedgerRecord } from '../../sandbox/ledger.ts';
import { parseJsonObject } from '../http.ts';
import { seededDigits } from '../sandbox-kit.ts';
import type { SandboxHandle, SandboxKit, SandboxStartOptions } from '../types.ts';
import { countryProfiles, vexoraCountries, type VexoraCountry } from './schema.ts';
import { vexoraSign, vexoraSignMatches } from './sign.ts';

export const VEXORA_SANDBOX_MERCHANT_NO = '1000000001';
export const VEXORA_SANDBOX_SECRET = 'vexora-sandbox-secret-not-for-production';

const statusOf: Record<LedgerRecord['state'], { status: string; message: string }> = {
  processing: { status: '0015', message: 'Processing' },
  succeeded: { status: '0000', message: 'success' },
  failed: { status: '00029', message: 'REJECTED_TRANSACTION' },
  // Vexora documents no reversal: a reversed sandbox payout still reads as paid.
  reversed: { status: '0000', message: 'success' },
};

/** Which payouts a scripted answer applies to: every given matcher must match (none given: every payout). */
const matcher = { reference: z.string().optional(), accountEndsWith: z.string().optional() };

/** Vexora-only sandbox settings, beside the shared ones (src/sandbox/settings.ts). Vexora's code table is
 *  unknown, so these let a test hear the answers the adapter must not over-read. */
export const vexoraSandboxSettingsSchema = z.object({
  /** A create for a matching payout answers this request-level code (`success: false`); with `created` the
   *  payout is created first (the provider acted, then answered an error nobody documented). */
  createAnswers: z
    .array(z.object({ ...matcher, code: z.string(), msg: z.string().default('error'), created: z.boolean().default(false) }))
    .default([]),
  /** While a matching payout is processing, queries answer `code 0000` with this data.status (null: the
   *  field left out) and message. */
  queryStatuses: z.array(z.object({ ...matcher, status: z.string().nullable(), message: z.string().optional() })).default([]),
});

type Matcher = { reference?: string; accountEndsWith?: string };
const matches = (rule: Matcher, reference: string, account: string) =>
  (rule.reference === undefined || rule.reference === reference) && (rule.accountEndsWith === undefined || account.endsWith(rule.accountEndsWith));

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A webhook's signed fields, in the order the sandbox writes them. */
function webhookFields(p: { reference: string; providerRef: string; amount: string }, status: string, message: string): Record<string, string> {
  return { platFormTradeNo: p.providerRef, tradeNo: p.reference, amount: p.amount, status, message };
}

/** How tests drive this sandbox (built-in credentials, country AR): rows it pays or not, webhooks it sends. */
export const vexoraSandboxKit: SandboxKit = {
  accountColumn: 'account_number',
  row: (seed, i, ending) => ({
    amount: String(150 + i),
    currency: 'ARS',
    account_number: `0000003100${seededDigits(`${seed}/${i}`, 8)}${ending}`,
    mobile: `09${seededDigits(`${seed}/${i}/mobile`, 8)}`,
    email: `p${i}@example.com`,
    first_name: 'Ana',
    last_name: 'Perez',
  }),
  // Below Argentina's minimum amount: parameter error 1001, nothing created.
  refused: (seed, i) => ({ ...vexoraSandboxKit.row(seed, i, '1111'), amount: '50' }),
  callback(payout, claim, variant, serial) {
    // Never byte-identical to what the sandbox itself sends later (that would be a repeat, not acted on).
    const paid = claim === 'succeeded';
    const fields = webhookFields(payout, paid ? '0000' : '00029', `${paid ? 'success' : 'REJECTED_TRANSACTION'} (test ${serial})`);
    const sign = vexoraSign(fields, variant === 'forged' ? 'not-the-merchant-secret' : VEXORA_SANDBOX_SECRET);
    const sent = variant === 'tampered' ? { ...fields, amount: '999999' } : fields;
    return { body: JSON.stringify({ ...sent, sign }), headers: JSON_HEADERS };
  },
};

function answer(code: string, msg: string, data?: unknown): SandboxReply {
  return { status: 200, body: { msg, code, timestamp: Date.now(), success: code === '0000', ...(data ? { data } : {}) } };
}

const parseBody = (req: SandboxRequest) => parseJsonObject(req.text);

export async function startVexoraSandbox(options: SandboxStartOptions): Promise<SandboxHandle & { stats(): Record<string, unknown> }> {
  const merchantNo = options.credentials.merchantNo ?? VEXORA_SANDBOX_MERCHANT_NO;
  const secret = options.credentials.secret ?? VEXORA_SANDBOX_SECRET;
  const countryInput = (options.credentials.country ?? 'AR') as VexoraCountry;
  const country: VexoraCountry = vexoraCountries.includes(countryInput) ? countryInput : 'AR';
  const profile = countryProfiles[country];
  const own = vexoraSandboxSettingsSchema.parse(options.settings ?? {});

  /** Header and sign checks every Vexora call makes. */
  function authenticate(req: SandboxRequest): { body: Record<string, unknown> } | { reply: SandboxReply } {
    const body = parseBody(req);
    if (!body) return { reply: answer('1001', 'request body must be JSON') };
    if (req.headers.merchantno !== merchantNo) return { reply: answer('1003', 'merchant not found') };
    if (!vexoraSignMatches(body, secret)) return { reply: answer('1002', 'sign error') };
    return { body };
  }

  /** A Vexora endpoint: every call is authenticated first, and names its payout by tradeNo. */
  const signedRoute = (path: string, kind: SandboxRoute['kind'], handle: (body: Record<string, unknown>, ctx: SandboxContext) => SandboxReply): SandboxRoute => ({
    method: 'POST',
    path,
    kind,
    reference: (req) => parseBody(req)?.tradeNo as string | undefined,
    handle(req, ctx) {
      const auth = authenticate(req);
      return 'reply' in auth ? auth.reply : handle(auth.body, ctx);
    },
  });

  const server = await startSandboxServer({
    name: 'vexora',
    settings: options.settings,
    host: options.host,
    port: options.port,
    statePath: options.statePath,
    log: options.log,
    duplicateReply: () => answer('0100024', 'DUPLICATE_REFERENCE_NUMBER'),
    errorReply: (status) => ({ status, body: { msg: 'System Error', code: '8000', success: false } }),
    routes: [
      signedRoute('/v1/vexora/disbursements', 'create', (body, ctx) => {
        const required = ['tradeNo', 'amount', 'timestamp', ...profile.fields.map((f) => f.wire).filter((w) => w !== 'ipAddress')];
        const missing = required.filter((k) => typeof body[k] !== 'string' || body[k] === '');
        if (missing.length) return answer('1001', `parameter error: ${missing.join(', ')} required`);
        const amount = String(body.amount);
        if (!/^\d+(\.\d{1,2})?$/.test(amount)) return answer('00028', 'AMOUNT_NOT_NUMERIC');
        if (profile.integerOnly && amount.includes('.')) return answer('1001', 'parameter error: amount must be an integer');
        if (profile.min !== undefined && BigInt(amount.split('.')[0]) < profile.min) return answer('1001', `parameter error: amount below ${profile.min}`);
        const account = String(body.accountNo ?? body.bankNumber ?? body.bankAccountNo ?? '');
        const scripted = own.createAnswers.find((r) => matches(r, String(body.tradeNo), account));
        if (scripted && !scripted.created) return answer(scripted.code, scripted.msg);
        const result = ctx.ledger.create({
          reference: String(body.tradeNo),
          amount,
          currency: profile.currency,
          account,
          fields: body,
          notifyUrl: typeof body.notifyUrl === 'string' ? body.notifyUrl : undefined,
        });
        if (!result.created) return answer('0100024', 'DUPLICATE_REFERENCE_NUMBER');
        if (scripted) return answer(scripted.code, scripted.msg);
        const r = result.record;
        return answer('0000', 'success', {
          tradeNo: r.reference,
          platFormTradeNo: r.providerRef,
          status: '0015',
          message: 'Processing',
          remark: typeof body.remark === 'string' ? body.remark : '',
        });
      }),
      signedRoute('/v1/vexora/queryPayOutResult', 'query', (body, ctx) => {
        const record = ctx.ledger.get(String(body.tradeNo ?? ''));
        if (!record) return answer('1004', 'order not found');
        const s = statusOf[record.state];
        const scripted = record.state === 'processing' ? own.queryStatuses.find((r) => matches(r, record.reference, record.account)) : undefined;
        const status = scripted ? scripted.status : s.status;
        return answer('0000', 'success', {
          tradeNo: record.reference,
          platFormTradeNo: record.providerRef,
          amount: record.amount,
          payAmount: record.state === 'succeeded' ? record.paidAmount : '0',
          ...(status === null ? {} : { status }),
          message: scripted?.message ?? (record.state === 'failed' ? (record.failMessage ?? s.message) : s.message),
          ...(record.state === 'succeeded' ? { successTime: new Date(record.updatedAt).toISOString() } : {}),
        });
      }),
    ],
  });

  // Webhooks on final states, signed with the same MD5 rule (PROVIDERS.md: "if present, expect the same rule").
  const callbacksOn = (options.settings as { callbacks?: boolean }).callbacks !== false;
  server.ledger.onChange((record) => {
    if (!callbacksOn || !record.notifyUrl || record.state === 'processing') return;
    const s = statusOf[record.state];
    const fields = webhookFields(
      { reference: record.reference, providerRef: record.providerRef, amount: record.state === 'succeeded' ? record.paidAmount : record.amount },
      s.status,
      record.state === 'failed' ? (record.failMessage ?? s.message) : s.message,
    );
    server.callbacks.send({ url: record.notifyUrl, headers: JSON_HEADERS, body: JSON.stringify({ ...fields, sign: vexoraSign(fields, secret) }) });
  });

  return { url: server.url, close: () => server.close(), stats: () => server.stats() };
}
