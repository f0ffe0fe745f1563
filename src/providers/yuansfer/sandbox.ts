// The simulated Pockyt Payouts v3 API: the same paths, verifySign checked on every call, payee and bank
// account records, Pockyt-Request-ID replays, asynchronous settlement through the shared ledger, and
// form-encoded IPNs signed with verifySign to the ipnUrl given in the transfer.
import crypto from 'node:crypto';
import type { LedgerRecord, LedgerState } from '../../sandbox/ledger.ts';
import { startSandboxServer, type SandboxContext, type SandboxReply, type SandboxRequest, type SandboxRoute, type SandboxServer } from '../../sandbox/server.ts';
import { parseSandboxSettings } from '../../sandbox/settings.ts';
import { parseJsonObject } from '../http.ts';
import type { SandboxHandle, SandboxStartOptions } from '../types.ts';
import { amountText, parseAmountMinor } from './amount.ts';
import { PATHS } from './call.ts';
import { PayeeBook, type BankAccount, type Customer, type PayeeStats } from './sandbox-payees.ts';

export type { PayeeStats } from './sandbox-payees.ts';
import { isValidEmail, isValidRoutingNumber, parseIsoDate, RET } from './schema.ts';
import { apiTimestamp, TIMESTAMP_PATTERN, verifySign, verifySignMatches } from './sign.ts';
import { FORM_HEADERS, ipnParams } from './sandbox-ipn.ts';
import { PAYEE_STATS_PATH, SANDBOX_CREDENTIALS, SEEDED_PAYEE } from './sandbox-credentials.ts';

export { yuansferSandboxKit } from './sandbox-ipn.ts';

export { PAYEE_STATS_PATH, SANDBOX_CREDENTIALS, SEEDED_PAYEE } from './sandbox-credentials.ts';

/** Both paths the two Pockyt pages give for listing funding accounts are served. */
export const PAYOUT_ACCOUNTS_PATHS = ['/v3/payee/payout-accounts', '/v3/payout-accounts'] as const;


const DEFAULT_BALANCE = '1000000.00';

export interface YuansferSandboxHandle extends SandboxHandle {
  server: SandboxServer;
  payeeStats(): PayeeStats;
  /** The shared server's stats plus `yuansfer: PayeeStats`. */
  stats(): Record<string, unknown>;
}

type Params = Record<string, string>;

const ok = (body: Record<string, unknown>, message = 'success'): SandboxReply => ({ status: 200, body: { ...body, ret_code: RET.success, ret_msg: message } });
const fail = (code: string, message: string): SandboxReply => ({ status: 200, body: { ret_code: code, ret_msg: message } });
const digits = (n: number) => Array.from(crypto.randomBytes(n), (b) => String(b % 10)).join('');

const readJson = (req: SandboxRequest) => parseJsonObject(req.text);

const ledgerStatus: Record<LedgerState, string> = { processing: 'pending', succeeded: 'success', failed: 'failed', reversed: 'returned' };

export async function startYuansferSandbox(options: SandboxStartOptions): Promise<YuansferSandboxHandle> {
  const credentials = {
    merchantNo: options.credentials.merchantNo || SANDBOX_CREDENTIALS.merchantNo,
    storeNo: options.credentials.storeNo || SANDBOX_CREDENTIALS.storeNo,
    token: options.credentials.token || SANDBOX_CREDENTIALS.token,
  };
  const book = new PayeeBook(options.statePath ? `${options.statePath}.yuansfer-payees.jsonl` : undefined);
  const { customers, customerByCode, accounts } = book;
  let replays = 0;
  let context: SandboxContext | undefined;
  const settingsAtStart = parseSandboxSettings(options.settings);
  if (!customers.has(SEEDED_PAYEE.customerNo)) seed();

  function seed(): void {
    const customer: Customer = {
      customerNo: SEEDED_PAYEE.customerNo, customerCode: SEEDED_PAYEE.customerCode, firstName: 'John', lastName: 'Doe',
      email: 'john.doe@example.com', dateOfBirth: '1990-01-01', street: '123 Main St', city: 'New York', state: 'NY',
      zip: '10005', countryCode: 'US', phone: '2125550142', profileType: 'INDIVIDUAL', payeeStatus: 'Activated',
      createdTime: '2023-02-13T11:45:37Z',
    };
    const account: BankAccount = {
      accountToken: SEEDED_PAYEE.accountToken, customerNo: SEEDED_PAYEE.customerNo, accountTag: SEEDED_PAYEE.accountTag,
      branchId: SEEDED_PAYEE.routingNumber, bankAccountId: SEEDED_PAYEE.accountNumber, bankAccountPurpose: 'CHECKING',
      status: 'ACTIVATED', createdAt: '2023-02-13T11:48:13Z',
    };
    book.apply({ customer });
    book.apply({ account });
  }

  /**
   * What Pockyt checks before anything else: the merchant and store (000030 when wrong), then verifySign over
   * every other parameter (000022 "Parameters Do Not Match" when wrong — the sandbox's choice, see README).
   */
  function authenticate(req: SandboxRequest): { params: Params } | { reply: SandboxReply } {
    const json = readJson(req);
    if (!json) return { reply: fail(RET.parameterNull, 'Parameter Null Error: the body must be a JSON object') };
    const params: Params = {};
    for (const [k, v] of Object.entries(json)) {
      if (v === null || v === undefined) continue;
      params[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    for (const key of ['merchantNo', 'storeNo', 'verifySign']) {
      if (!params[key]) return { reply: fail(RET.parameterNull, `Parameter Null Error: ${key}`) };
    }
    if (params.merchantNo !== credentials.merchantNo || params.storeNo !== credentials.storeNo) {
      return { reply: fail(RET.accessDenied, 'No Rights / Access Denied') };
    }
    if (!verifySignMatches(params, credentials.token)) {
      return { reply: fail(RET.parametersDoNotMatch, 'Parameters Do Not Match: verifySign') };
    }
    if (params.timestamp !== undefined && !TIMESTAMP_PATTERN.test(params.timestamp)) {
      return { reply: fail(RET.parameterValueError, 'Parameter Value Error: timestamp must be yyyy-MM-ddTHH:mm:ssZ (UTC)') };
    }
    return { params };
  }

  const missing = (params: Params, keys: string[]): SandboxReply | undefined => {
    const absent = keys.find((k) => !params[k]);
    return absent ? fail(RET.parameterNull, `Parameter Null Error: ${absent}`) : undefined;
  };

  /** Wraps a handler with authentication (every Pockyt call is signed). */
  const signed = (handler: (params: Params, req: SandboxRequest, ctx: SandboxContext) => SandboxReply) =>
    (req: SandboxRequest, ctx: SandboxContext): SandboxReply => {
      context = ctx;
      const auth = authenticate(req);
      if ('reply' in auth) return auth.reply;
      return handler(auth.params, req, ctx);
    };

  function customerView(c: Customer): Record<string, unknown> {
    return { firstName: c.firstName, lastName: c.lastName, customerCode: c.customerCode, createdTime: c.createdTime, customerNo: c.customerNo, email: c.email };
  }

  const register = signed((p) => {
    const absent = missing(p, ['customerCode', 'firstName', 'lastName', 'email', 'dateOfBirth', 'profileType']);
    if (absent) return absent;
    if (!/^(INDIVIDUAL|BUSINESS)$/.test(p.profileType!)) return fail(RET.parameterValueError, 'Parameter Value Error: profileType');
    if (!parseIsoDate(p.dateOfBirth!)) return fail(RET.parameterValueError, 'Parameter Value Error: dateOfBirth');
    if (!isValidEmail(p.email!)) return fail(RET.parameterValueError, 'Parameter Value Error: email');
    const code = p.customerCode!;
    book.record({ registration: code });
    // Assumed answer: registering a known customerCode returns the same customer.
    let customer = customerByCode.get(code);
    if (!customer) {
      customer = {
        customerNo: '2000' + digits(18), customerCode: code, firstName: p.firstName!, lastName: p.lastName!, email: p.email!,
        dateOfBirth: p.dateOfBirth!, phone: p.phone, street: p.street, city: p.city, state: p.state, zip: p.zip,
        countryCode: p.countryCode, profileType: p.profileType!, payeeStatus: 'Activated', createdTime: apiTimestamp(),
      };
      book.record({ customer });
    }
    return ok({ customer: customerView(customer) });
  });

  const retrieve = signed((p) => {
    const absent = missing(p, ['customerNo']);
    if (absent) return absent;
    const c = customers.get(p.customerNo!);
    if (!c) return fail(RET.noRelatedInformation, 'Parameter No Related Information: customerNo');
    return ok({ customer: { ...c, updatedTime: c.createdTime, lang: 'en' } }, 'query success');
  });

  const addBankAccount = signed((p) => {
    const absent = missing(p, ['customerNo', 'accountType', 'branchId', 'bankAccountId', 'bankAccountPurpose']);
    if (absent) return absent;
    const customer = customers.get(p.customerNo!);
    if (!customer) return fail(RET.noRelatedInformation, 'Parameter No Related Information: customerNo');
    if (p.accountType !== 'BANK_ACCOUNT') return fail(RET.parameterValueError, 'Parameter Value Error: accountType');
    if (!isValidRoutingNumber(p.branchId!)) return fail(RET.parameterValueError, 'Parameter Value Error: branchId');
    if (!/^\d{4,17}$/.test(p.bankAccountId!)) return fail(RET.parameterValueError, 'Parameter Value Error: bankAccountId');
    if (!/^(CHECKING|SAVINGS)$/.test(p.bankAccountPurpose!)) return fail(RET.parameterValueError, 'Parameter Value Error: bankAccountPurpose');
    if (p.accountCurrency && p.accountCurrency !== 'USD') return fail(RET.parameterValueError, 'Parameter Value Error: accountCurrency');
    book.record({ accountRequest: customer.customerNo });
    // Assumed answer: adding the same bank account again returns the same accountToken.
    let account = [...accounts.values()].find(
      (a) => a.customerNo === customer.customerNo && a.branchId === p.branchId && a.bankAccountId === p.bankAccountId,
    );
    if (!account) {
      account = {
        accountToken: '2010' + digits(18), customerNo: customer.customerNo, accountTag: p.accountTag, branchId: p.branchId!,
        bankAccountId: p.bankAccountId!, bankAccountPurpose: p.bankAccountPurpose!, status: 'ACTIVATED', createdAt: apiTimestamp(),
      };
      book.record({ account });
    }
    return ok({
      result: {
        accountTag: account.accountTag, accountStatus: account.status, country: 'US', firstName: customer.firstName,
        lastName: customer.lastName, accountType: 'BANK_ACCOUNT', currency: 'USD', accountToken: account.accountToken,
        customerNo: customer.customerNo, email: customer.email, timestamp: apiTimestamp(),
      },
    });
  });

  const payoutAccounts = signed((p) => {
    const absent = missing(p, ['customerNo']);
    if (absent) return absent;
    const customer = customers.get(p.customerNo!);
    if (!customer) return fail(RET.noRelatedInformation, 'Parameter No Related Information: customerNo');
    const list = [...accounts.values()]
      .filter((a) => a.customerNo === customer.customerNo)
      .map((a) => ({
        accountTag: a.accountTag, country: 'US', createdAt: a.createdAt, accountType: 'BANK_ACCOUNT', currency: 'USD',
        accountToken: a.accountToken, cardNumber: '****' + a.bankAccountId.slice(-4), status: a.status.toLowerCase(),
      }));
    return ok({ accounts: list, user: customerView(customer) });
  });

  function available(ctx: SandboxContext, ledger: SandboxServer['ledger']): bigint {
    const start = parseAmountMinor(ctx.settings.balances.USD ?? DEFAULT_BALANCE) ?? 0n;
    let reserved = 0n;
    for (const r of ledger.all) {
      if (r.state === 'processing' || r.state === 'succeeded') reserved += parseAmountMinor(r.paidAmount) ?? 0n;
    }
    return start - reserved;
  }

  const pay = signed((p, req, ctx) => {
    // [C] Pockyt-Request-ID: a replay returns the original answer, whatever the body says now.
    const requestId = headerValue(req, 'pockyt-request-id');
    const replayed = requestId ? book.replies.get(requestId) : undefined;
    if (replayed) {
      replays++;
      return replayed;
    }
    const reply = transfer(p, ctx);
    if (requestId) book.record({ reply: [requestId, reply] });
    return reply;
  });

  function transfer(p: Params, ctx: SandboxContext): SandboxReply {
    const absent = missing(p, ['customerNo', 'accountToken', 'amount', 'currency', 'invoiceId']);
    if (absent) return absent;
    const amountMinor = parseAmountMinor(p.amount);
    if (amountMinor === undefined || amountMinor <= 0n) return fail(RET.parameterValueError, 'Parameter Value Error: amount');
    if (p.currency !== 'USD') return fail(RET.parameterValueError, 'Parameter Value Error: currency');
    if (p.invoiceId!.length > 64) return fail(RET.parameterValueError, 'Parameter Value Error: invoiceId');
    if (p.description && p.description.length > 100) return fail(RET.parameterValueError, 'Parameter Value Error: description');
    if (p.note && p.note.length > 100) return fail(RET.parameterValueError, 'Parameter Value Error: note');
    if (p.processingChannel && !/^(STANDARD_ACH|SAME_DAY_ACH|REAL_TIME_PAY)$/.test(p.processingChannel)) {
      return fail(RET.parameterValueError, 'Parameter Value Error: processingChannel');
    }
    if (!customers.has(p.customerNo!)) return fail(RET.noRelatedInformation, 'Parameter No Related Information: customerNo');
    const account = accounts.get(p.accountToken!);
    if (!account) return fail(RET.noRelatedInformation, 'Parameter No Related Information: accountToken');
    if (account.customerNo !== p.customerNo) return fail(RET.parametersDoNotMatch, 'Parameters Do Not Match: accountToken does not belong to customerNo');
    const ledger = server.ledger;
    if (!ledger.get(p.invoiceId!) && amountMinor > available(ctx, ledger)) return fail(RET.balanceNotSufficient, 'Account balance is not sufficient');
    const created = ledger.create({
      reference: p.invoiceId!,
      amount: amountText(amountMinor),
      currency: 'USD',
      account: account.bankAccountId,
      fields: { customerNo: p.customerNo, accountToken: p.accountToken, processingChannel: p.processingChannel },
      notifyUrl: p.ipnUrl,
    });
    // Assumed answer: a used invoiceId (without the same Pockyt-Request-ID) answers 000023.
    if (!created.created) return fail(RET.parameterValueError, 'Parameter Value Error: invoiceId already exists');
    return ok({ result: payoutView(created.record) }, 'succeeded');
  }

  function payoutView(r: LedgerRecord): Record<string, unknown> {
    const status = ledgerStatus[r.state];
    const view: Record<string, unknown> = {
      amount: r.state === 'succeeded' ? r.paidAmount : r.amount,
      transactionNo: r.providerRef,
      createdTime: apiTimestamp(new Date(r.createdAt)),
      invoiceId: r.reference,
      currency: r.currency,
      accountToken: r.fields.accountToken,
      customerNo: r.fields.customerNo,
      status,
    };
    if (r.state === 'failed' || r.state === 'reversed') {
      if (r.failCode) view.failureCode = r.failCode;
      if (r.failMessage) view.failureReason = r.failMessage;
    }
    return view;
  }

  const inquiry = signed((p) => {
    const absent = missing(p, ['invoiceId']);
    if (absent) return absent;
    const record = server.ledger.get(p.invoiceId!);
    // Assumed answer: an unknown invoiceId answers 000021.
    if (!record) return fail(RET.noRelatedInformation, 'Parameter No Related Information: invoiceId');
    return ok({ result: payoutView(record) }, 'query success');
  });

  const balance = signed((p, _req, ctx) => {
    const currency = p.currency ?? 'USD';
    if (currency !== 'USD') return fail(RET.parameterValueError, 'Parameter Value Error: currency');
    return ok({ result: { currency, balance: amountText(available(ctx, server.ledger)) } }, 'query success');
  });

  const invoiceOf = (req: SandboxRequest) => {
    const v = readJson(req)?.invoiceId;
    return typeof v === 'string' ? v : undefined;
  };

  const routes: SandboxRoute[] = [
    { method: 'POST', path: PATHS.register, kind: 'other', handle: register },
    { method: 'POST', path: PATHS.retrieve, kind: 'other', handle: retrieve },
    { method: 'POST', path: PATHS.addBankAccount, kind: 'other', handle: addBankAccount },
    ...PAYOUT_ACCOUNTS_PATHS.map((p): SandboxRoute => ({ method: 'POST', path: p, kind: 'other', handle: payoutAccounts })),
    { method: 'POST', path: PATHS.pay, kind: 'create', reference: invoiceOf, handle: pay },
    { method: 'POST', path: PATHS.inquiry, kind: 'query', reference: invoiceOf, handle: inquiry },
    { method: 'POST', path: PATHS.balance, kind: 'other', handle: balance },
    { method: 'GET', path: PAYEE_STATS_PATH, kind: 'other', handle: () => ({ status: 200, body: stats() }) },
  ];

  const server = await startSandboxServer({
    name: 'yuansfer',
    routes,
    settings: options.settings,
    host: options.host,
    port: options.port,
    statePath: options.statePath,
    log: options.log,
    duplicateReply: () => fail(RET.parameterValueError, 'Parameter Value Error: invoiceId already exists'),
    rateLimitedReply: (ms) => ({
      status: 429,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'content-type': 'application/json' },
      body: { ret_code: '429', ret_msg: 'Too Many Requests' },
    }),
  });

  // IPN on every change of a payout's status [C]: form-encoded, verifySign over the other parameters.
  server.ledger.onChange((record) => {
    const settings = context?.settings ?? settingsAtStart;
    if (!settings.callbacks || !record.notifyUrl) return;
    const params = ipnParams(
      { ...record, amount: record.state === 'succeeded' ? record.paidAmount : record.amount },
      ledgerStatus[record.state],
      { accountToken: String(record.fields.accountToken ?? ''), paymentTime: apiTimestamp(new Date(record.updatedAt)) },
    );
    params.verifySign = verifySign(params, credentials.token);
    server.callbacks.send({ url: record.notifyUrl, headers: FORM_HEADERS, body: new URLSearchParams(params).toString() });
  });

  function payeeStats(): PayeeStats {
    const customersByCode: Record<string, number> = {};
    for (const c of customers.values()) customersByCode[c.customerCode] = (customersByCode[c.customerCode] ?? 0) + 1;
    const accountsByCustomer: Record<string, number> = {};
    for (const a of accounts.values()) accountsByCustomer[a.customerNo] = (accountsByCustomer[a.customerNo] ?? 0) + 1;
    return {
      customers: customers.size,
      accounts: accounts.size,
      registrations: { ...book.registrations },
      customersByCode,
      accountRequests: { ...book.accountRequests },
      accountsByCustomer,
      replays,
    };
  }

  function stats(): Record<string, unknown> {
    return { ...server.stats(), yuansfer: payeeStats() };
  }

  return {
    url: server.url,
    server,
    payeeStats,
    stats,
    close: () => server.close(),
  };
}

function headerValue(req: SandboxRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
