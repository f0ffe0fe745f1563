// The adapter contract (DESIGN §2). The engine knows providers only through these types; which providers
// exist is the registry's business alone (registry.ts), so nothing here names one.
import type { z } from 'zod';
import type { Logger } from '../log.ts';

/** A provider's id as the registry lists it (registry.ts `RegisteredProviderId` is the literal union). */
export type ProviderId = string;

/** Integer minor units of a currency (ISO 4217 exponent). Never a float. */
export type MinorUnits = bigint;

/** Canonical payout statuses every provider's status.ts maps onto. */
export type CanonicalStatus = 'pending' | 'succeeded' | 'failed' | 'reversed' | 'needs_review';

/** A row as validated and journaled, handed to an adapter. */
export interface PayoutRequest {
  payoutId: string;
  batchId: string;
  rowNumber: number;
  /** Fixed when journaled, reused on every attempt (DESIGN §3 rule 1). */
  merchantReference: string;
  amountMinor: MinorUnits;
  /** The same amount as canonical decimal text in major units ("1500.00"; "1500" for exponent 0). */
  amount: string;
  currency: string;
  /** Canonical columns (DESIGN §5) by name, trimmed; absent columns are missing, never undefined-as-text. */
  fields: Readonly<Record<string, string>>;
  /** `extra.<key>` columns (StarPago extra), keyed without the prefix. */
  extra: Readonly<Record<string, string>>;
  /** `field.<key>` columns (PayStar additionalFields), keyed without the prefix. */
  additional: Readonly<Record<string, string>>;
  /** What prepare() produced and the journal cached (Yuansfer customerNo/accountToken). */
  prepared?: Readonly<Record<string, string>>;
  /** The provider's reference for this payout as journaled (from the create answer or an earlier query),
   *  so a query can check that its answer describes the same payout. */
  providerReference?: string;
}

/** What a provider said about a payout's state. */
export interface StatusReading {
  canonical: CanonicalStatus;
  /** The provider's own status code, kept for the report. */
  raw: string;
  providerRef?: string;
  paidAmountMinor?: MinorUnits;
  feeMinor?: MinorUnits;
  errorCode?: string;
  message?: string;
}

/**
 * Outcome classes of a create call, named for what they mean to money:
 * - accepted: created at the provider;
 * - rejected: definitely not created (safe to report failed);
 * - notSent: never reached the provider, or it refused before creating (safe to retry later);
 * - unknown: may have been created; only a query may resolve it (DESIGN §3 rule 3).
 *   `alreadyCreated` marks a duplicate-reference answer (rule 4): query it, never fail it.
 * - stop: a configuration/credential error: nothing was created and nothing else should be sent.
 * - hold: definitely not created, and the merchant's account cannot pay now (Yuansfer 000040, insufficient
 *   balance): the row goes back to the queue and the batch is held until `paybatch approve`, as the
 *   balance pre-check holds it.
 */
export type SubmitOutcome =
  | { kind: 'accepted'; reading: StatusReading }
  | { kind: 'rejected'; code: string; message: string; raw?: string }
  | { kind: 'notSent'; cause: string; retryAfterMs?: number; throttled?: boolean }
  | { kind: 'unknown'; cause: string; alreadyCreated?: boolean }
  | { kind: 'stop'; code: string; message: string }
  | { kind: 'hold'; code: string; message: string };

export type QueryOutcome =
  | { kind: 'status'; reading: StatusReading }
  | { kind: 'notFound'; cause?: string }
  | { kind: 'unknown'; cause: string; retryAfterMs?: number; throttled?: boolean }
  | { kind: 'stop'; code: string; message: string };

export type PrepareOutcome =
  | { kind: 'ready'; prepared: Record<string, string> }
  | { kind: 'rejected'; code: string; message: string }
  | { kind: 'retry'; cause: string; retryAfterMs?: number; throttled?: boolean }
  | { kind: 'stop'; code: string; message: string };

export interface BalanceReading {
  currency: string;
  availableMinor: MinorUnits;
  raw?: string;
}

export interface CallbackRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: Buffer;
}

export type CallbackVerdict =
  | { ok: true; merchantReference: string; providerReference?: string; rawStatus?: string }
  | { ok: false; reason: string };

export interface CallbackAck {
  status: number;
  contentType: string;
  body: string;
}

/** Problems a provider finds with a row (DESIGN §5: file, row, column, value, rule). */
export interface RowIssue {
  column: string;
  value: string;
  rule: string;
  message: string;
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  /**
   * Provider-side set-up a row needs first; results are cached in the journal by `payeeKey`. `checkpoint`
   * journals partial progress (e.g. a registered payee before its bank account is added) so that a crash in
   * between resumes from it instead of registering again; `payout.prepared` holds what was checkpointed.
   */
  prepare?(payout: PayoutRequest, checkpoint?: (partial: Record<string, string>) => void): Promise<PrepareOutcome>;
  /** Key under which prepare() results are cached, so a payee is set up once across rows and batches. */
  payeeKey?(payout: PayoutRequest): string | undefined;
  submit(payout: PayoutRequest): Promise<SubmitOutcome>;
  query(payout: PayoutRequest): Promise<QueryOutcome>;
  balance?(currency: string): Promise<BalanceReading | undefined>;
  /** Checks needing the provider before anything is sent (Starpay: bank list). Returns issues per row. */
  preflight?(rows: readonly PayoutRequest[]): Promise<Map<string, RowIssue[]>>;
  verifyCallback?(request: CallbackRequest): CallbackVerdict;
  readonly callbackAck?: CallbackAck;
  close?(): Promise<void>;
}

/** One sheet column a provider reads (also drives `paybatch template`). */
export interface ColumnSpec {
  /** Canonical name (DESIGN §5) or `extra.<key>` / `field.<key>`. */
  name: string;
  required: boolean;
  description: string;
  example: string;
  /** Extra header aliases on top of the canonical ones (e.g. the provider's own field name). */
  aliases?: string[];
  maxLength?: number;
  pattern?: RegExp;
  patternHint?: string;
  /** An identifier (account, phone, card): Excel-damaged numbers are rejected. */
  identifier?: boolean;
  /** An account or card number under a provider's own name (CLABE, PIX key): masked in reports and logs as
   *  account numbers are (DESIGN §7). `account_number` and columns named for a card or account always are. */
  masked?: boolean;
}

export interface RowRules {
  columns: ColumnSpec[];
  /** Currencies accepted; the first is the default when the sheet leaves currency out. */
  currencies: string[] | 'any';
  defaultCurrency?: string;
  /** Cross-field and provider-specific checks on a row whose columns already passed the common rules. */
  check(row: Readonly<Record<string, string>>, money: { currency: string; amountMinor: MinorUnits }): RowIssue[];
}

export interface PollDefaults {
  firstAfterSeconds: number;
  maxIntervalSeconds: number;
  deadlineHours: number;
}

export interface ProviderDefaults {
  rate: { perSecond: number; concurrency: number };
  poll: PollDefaults;
  /** "Not found" after an unknown create may be resubmitted with the same reference only where the
   *  provider rejects or replays a duplicate reference (DESIGN §3 rule 3). */
  resubmitOnNotFound: boolean;
  /** How long after the last create attempt a "not found" is trusted (seconds). */
  notFoundWindowSeconds: number;
  /** Providers that can reverse a paid payout (Yuansfer returned, StarPago REFUNDED, Starpay REVERSED). */
  canReverse: boolean;
}

export interface SandboxHandle {
  url: string;
  close(): Promise<void>;
}

export interface SandboxStartOptions {
  port?: number;
  host?: string;
  /** Credentials the sandbox accepts (the provider block's resolved credentials). */
  credentials: Record<string, string>;
  /** The provider block's `sandbox` settings (settle delay, outcome rules, faults, rate limit). */
  settings: Record<string, unknown>;
  /** Where the sandbox keeps its ledger between runs (embedded default), if anywhere. */
  statePath?: string;
  log?: Logger;
}

export interface AdapterContext {
  log: Logger;
  /** The URL a provider should call back (config callbackUrl), if any. */
  callbackUrl?: string;
}

/** A credential key of a provider block, its built-in sandbox value and whether it is a secret. */
export interface CredentialSpec {
  key: string;
  sandboxValue: string;
  secret: boolean;
}

/**
 * What a provider can do beyond `submit` and `query` (Hyperswitch-style flows). The engine, the CLI and the
 * tests ask these, never a provider's name; defineProvider checks that every adapter matches its declaration.
 */
export interface ProviderCapabilities {
  /** Payee set-up before the first payout (`prepare`/`payeeKey`): Yuansfer registers payees and accounts. */
  readonly prepare: boolean;
  /** `balance(currency)`: the pre-check that holds a batch the account cannot pay. */
  readonly balance: boolean;
  /** `preflight(rows)`: checks that need the provider before anything is sent (Starpay's bank list). */
  readonly preflight: boolean;
  /** How `verifyCallback` trusts a callback: by its signature, or not at all (a trigger to query, StarPago). */
  readonly callbacks: 'signed' | 'unsigned';
  /** A live block must name `callbackUrl`: the provider requires a notify URL on every create (Vexora). */
  readonly callbackUrlRequired: boolean;
}

/** A payout as the sandbox's ledger keeps it: what a test needs to craft the sandbox's own callbacks. */
export interface SandboxPayoutView {
  reference: string;
  providerRef: string;
  /** Decimal text in major units, as the ledger holds it. */
  amount: string;
  currency: string;
}

export interface CraftedCallback {
  body: string;
  headers: Record<string, string>;
}

/**
 * Test material beside each provider's sandbox: the shared contract suite (test/contract) and the e2e suites
 * drive every registered provider through it, so adding a provider adds no test code outside its folder.
 */
export interface SandboxKit {
  /**
   * Sheet cells (canonical column names, `extra.<key>` / `field.<key>` included, `reference` left out) of a
   * row this provider's sandbox accepts, whose beneficiary account ends in `ending` — the shared outcome
   * rules go by it: '1111' pays, '0002' fails, '0003' never settles, '0004' is reversed after paying,
   * '0005' is short-paid. `seed` and `i` make the accounts of different rows and scenarios differ.
   */
  row(seed: string, i: number, ending: string): Record<string, string>;
  /** A row the sandbox refuses as definitely not created (a value it does not accept), sheet rules aside. */
  refused(seed: string, i: number): Record<string, string>;
  /** The column whose last four characters the outcome rules read. */
  readonly accountColumn: string;
  /**
   * A callback as this sandbox sends it about `payout`, claiming `claim`: `valid` is signed as the sandbox
   * signs, `forged` with a wrong key (undefined where the provider signs nothing), `tampered` has a field
   * changed after signing. `serial` makes each crafted body differ from every other.
   */
  callback(payout: SandboxPayoutView, claim: 'succeeded' | 'failed', variant: 'valid' | 'forged' | 'tampered', serial: number): CraftedCallback | undefined;
  /**
   * Providers with `prepare`: how often the sandbox at `sandboxUrl` set up each payee of the rows made from
   * `seed`, and how many accounts each of them holds (a payee set up twice would be a duplicate at the provider).
   */
  payeeSetUps?(sandboxUrl: string, seed: string): Promise<{ perPayee: number[]; accountsPerPayee: number[] }>;
}

/**
 * A provider as the rest of paybatch sees it. Built by defineProvider (define.ts), which lets the module
 * parse its own config block: `rowRules` and `createAdapter` take the block the loader produced with
 * `configSchema` and hand the provider its own typed config, so no caller casts.
 */
export interface ProviderModule<C extends ProviderBlock = ProviderBlock> {
  readonly id: ProviderId;
  /** zod schema of the provider's config block (credentials and provider-specific keys). */
  readonly configSchema: z.ZodType<C>;
  /** Credential keys, their built-in sandbox values and which of them are secrets. */
  readonly credentials: readonly CredentialSpec[];
  readonly defaults: ProviderDefaults;
  readonly capabilities: ProviderCapabilities;
  /** The sheet rules of a block parsed by `configSchema`. */
  rowRules(block: ProviderBlock): RowRules;
  /** Deterministic merchant reference for a row without one (DESIGN §3 rule 1). */
  deriveReference(batchKey: string, rowNumber: number): string;
  /** Provider limits on a sheet's own `reference` value (format, length). */
  readonly referencePattern: { pattern: RegExp; hint: string };
  /** The adapter for a block parsed by `configSchema` (its baseUrl may since point at the embedded sandbox). */
  createAdapter(block: ProviderBlock, ctx: AdapterContext): ProviderAdapter;
  /**
   * USD value of one unit per currency (decimal text) that the reconciliation shows beside each total, when
   * the block configures any (StarPago `usdRate`). Declared here so the engine asks for them, never reads a
   * provider's key; they belong with the batch, so that a report written later agrees.
   */
  usdRates?(block: ProviderBlock): Record<string, string> | undefined;
  startSandbox(options: SandboxStartOptions): Promise<SandboxHandle>;
  /** The provider's own sandbox settings, beside the shared ones (src/sandbox/settings.ts), if it has any. */
  readonly sandboxSettingsSchema?: z.ZodObject;
  /** How tests drive this provider's sandbox (see SandboxKit). */
  readonly sandboxKit: SandboxKit;
  /** Field names whose values are secret or personal: masked in logs (and, as sheet columns, in reports). */
  readonly sensitiveFields: readonly string[];
}

/** Keys every provider block has (DESIGN §9); providers extend it. */
export interface ProviderBlock {
  baseUrl: string;
  rate?: { perSecond?: number; concurrency?: number };
  poll?: { firstAfterSeconds?: number; maxIntervalSeconds?: number; deadlineHours?: number };
  callbackUrl?: string | null;
  timeoutSeconds?: number;
  sandbox?: Record<string, unknown>;
  [key: string]: unknown;
}
