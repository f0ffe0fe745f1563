// prepare: the payee a row pays, set up once at Pockyt — register the payee, add its bank account — with
// recovery after a crash in between (the registered customerNo is checkpointed first) and one set-up shared
// by concurrent rows of the same payee.
import { prepareFailure } from '../http.ts';
import type { AdapterContext, PayoutRequest, PrepareOutcome } from '../types.ts';
import { asObject, asText, configurationHttp, denied, httpStop, PATHS, type PockytCall, type PockytReply } from './call.ts';
import { accountTag, bankAccountParams, customerCode, lastFour, payeeKey, registeredPayee, registerParams } from './payee.ts';
import { RET, type YuansferConfig } from './schema.ts';
import { ACCOUNT_STATUS_BLOCKED, PAYEE_STATUS_BLOCKED } from './status.ts';

type Fields = PayoutRequest['fields'];
type Checkpoint = (partial: Record<string, string>) => void;

export interface PayeeSetup {
  prepare(payout: PayoutRequest, checkpoint?: Checkpoint): Promise<PrepareOutcome>;
}

/** What a ret_code means for the account as a whole (shared by set-up and payouts). */
export interface Credentials {
  stop(code: string, message: string): { kind: 'stop'; code: string; message: string };
  /** Whether the credentials themselves are refused (undefined: could not tell). */
  rejected(): Promise<boolean | undefined>;
}

const blockedAccount = (status: string): PrepareOutcome => ({ kind: 'rejected', code: `ACCOUNT_${status.toUpperCase()}`, message: 'Pockyt marked the bank account invalid' });

export function payeeSetup(config: YuansferConfig, ctx: AdapterContext, call: PockytCall, credentials: Credentials): PayeeSetup {
  const log = ctx.log;
  /** customerNo per customerCode registered by this process: a retry after a failed add-account does not register again. */
  const registeredHere = new Map<string, string>();
  const inFlight = new Map<string, Promise<PrepareOutcome>>();

  async function failure(reply: PockytReply, step: string): Promise<PrepareOutcome> {
    switch (reply.kind) {
      case 'notSent':
      case 'unknown':
      case 'throttled':
      case 'denied':
        // Safe to repeat: register is idempotent by customerCode and add-account by account (assumed answers).
        return prepareFailure(reply, denied, step);
      case 'http':
        return configurationHttp(reply.status) ? httpStop(reply.status, `${step}: ${reply.cause}`) : { kind: 'retry', cause: `${step}: ${reply.cause}` };
      case 'ret': {
        const { code, message } = reply;
        if (config.stopCodes.includes(code)) return credentials.stop(code, message);
        if (code === config.signErrorCode && (await credentials.rejected()) !== false) return credentials.stop(code, message);
        if (config.unknownCodes.includes(code)) return { kind: 'retry', cause: `${step}: ${code} ${message}` };
        if (config.rejectCodes.includes(code)) return { kind: 'rejected', code, message: `${step}: ${message || code}` };
        return { kind: 'retry', cause: `${step}: unexpected ret_code ${code} ${message}` };
      }
    }
  }

  async function register(fields: Fields): Promise<{ customerNo: string } | PrepareOutcome> {
    const reply = await call(PATHS.register, registerParams(fields));
    if (reply.kind !== 'ret' || reply.code !== RET.success) return failure(reply, 'register payee');
    const customerNo = asText(asObject(reply.body.customer)?.customerNo);
    if (!customerNo) return { kind: 'retry', cause: 'register payee: answer without customer.customerNo' };
    return { customerNo };
  }

  async function addBankAccount(fields: Fields, customerNo: string): Promise<PrepareOutcome> {
    const reply = await call(PATHS.addBankAccount, bankAccountParams(fields, customerNo, config.clientIp));
    if (reply.kind !== 'ret' || reply.code !== RET.success) return failure(reply, 'add bank account');
    const result = asObject(reply.body.result);
    const accountToken = asText(result?.accountToken);
    if (!accountToken) return { kind: 'retry', cause: 'add bank account: answer without result.accountToken' };
    const status = asText(result?.accountStatus) ?? '';
    if (ACCOUNT_STATUS_BLOCKED.has(status.toLowerCase())) return blockedAccount(status);
    return { kind: 'ready', prepared: { customerNo, accountToken } };
  }

  /** After a crash: is the customer still there, and does it already have this bank account? */
  async function recover(fields: Fields, customerNo: string, checkCustomer: boolean): Promise<{ found: PrepareOutcome } | { customerGone: true } | { customerNo: string }> {
    if (checkCustomer) {
      const reply = await call(PATHS.retrieve, { customerNo });
      if (reply.kind === 'ret' && reply.code === config.notFoundCode) return { customerGone: true };
      if (reply.kind !== 'ret' || reply.code !== RET.success) return { found: await failure(reply, 'retrieve payee') };
      const payeeStatus = asText(asObject(reply.body.customer)?.payeeStatus) ?? '';
      if (PAYEE_STATUS_BLOCKED.has(payeeStatus.toLowerCase())) {
        return { found: { kind: 'rejected', code: `PAYEE_${payeeStatus.toUpperCase()}`, message: `the Pockyt payee is ${payeeStatus}` } };
      }
    }
    const reply = await call(config.payoutAccountsPath, { customerNo });
    if (reply.kind === 'notSent' || reply.kind === 'unknown' || reply.kind === 'throttled') return { found: await failure(reply, 'list payout accounts') };
    if (reply.kind !== 'ret' || reply.code !== RET.success) {
      // The listing path is disputed between two Pockyt pages; without it, adding the account again is still
      // safe (same account → same accountToken, assumed answer).
      log.warn('yuansfer: could not list payout accounts; adding the bank account again', {
        path: config.payoutAccountsPath,
        answer: reply.kind === 'ret' ? reply.code : reply.cause,
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
      if (ACCOUNT_STATUS_BLOCKED.has(status.toLowerCase())) return { found: blockedAccount(status) };
      return { found: { kind: 'ready', prepared: { customerNo, accountToken } } };
    }
    return { customerNo };
  }

  async function setUp(payout: PayoutRequest, checkpoint?: Checkpoint): Promise<PrepareOutcome> {
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

  return {
    /**
     * `checkpoint` journals the registered customerNo before the bank account is added: after a crash in
     * between, the engine hands it back in `payout.prepared` and recovery looks it up instead of registering.
     */
    prepare(payout, checkpoint) {
      // Rows of the same payee prepared concurrently share one set-up: the payee is registered once.
      const key = payeeKey(payout.fields);
      if (!key) return setUp(payout, checkpoint);
      const running = inFlight.get(key);
      if (running) return running;
      const started = setUp(payout, checkpoint).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
  };
}
