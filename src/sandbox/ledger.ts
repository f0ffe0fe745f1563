// The sandbox's book of payouts: created once per reference, settled asynchronously by outcome rules,
// optionally persisted (an append-only log, written before answering) so an embedded sandbox keeps its
// payouts across paybatch runs, even when paybatch is killed right after the provider answered.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { OutcomeRule, SandboxSettings } from './settings.ts';

export type LedgerState = 'processing' | 'succeeded' | 'failed' | 'reversed';

export interface LedgerRecord {
  reference: string;
  providerRef: string;
  /** Amount as the client sent it (text), and as the sandbox paid it (short-pay outcome pays less). */
  amount: string;
  paidAmount: string;
  currency: string;
  account: string;
  fields: Record<string, unknown>;
  state: LedgerState;
  failCode?: string;
  failMessage?: string;
  notifyUrl?: string;
  createdAt: number;
  updatedAt: number;
  /** When the payout settles; null = never (a `stuck` payout). */
  settleAt: number | null;
  reverseAt: number | null;
  outcome: OutcomeRule['outcome'];
  outcomeCode?: string;
  outcomeMessage?: string;
}

export interface CreateInput {
  reference: string;
  amount: string;
  currency: string;
  account: string;
  fields?: Record<string, unknown>;
  notifyUrl?: string;
}

export type CreateResult = { created: true; record: LedgerRecord } | { created: false; existing: LedgerRecord };

function normaliseAmount(text: string): string {
  const [int, frac = ''] = String(text).trim().split('.');
  const f = frac.replace(/0+$/, '');
  return (int.replace(/^0+(?=\d)/, '') || '0') + (f ? '.' + f : '');
}

export class Ledger {
  private readonly byReference = new Map<string, LedgerRecord>();
  private readonly byProviderRef = new Map<string, LedgerRecord>();
  /** Every payout created, including second ones for the same reference when duplicateCheck is off. */
  readonly all: LedgerRecord[] = [];
  /** Create requests that reached the provider's create logic, per reference. */
  readonly createRequests = new Map<string, number>();
  /** Payouts created per reference: more than 1 means someone was paid twice. */
  readonly created = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private dirReady = false;
  private listeners: ((record: LedgerRecord, previous: LedgerState) => void)[] = [];

  constructor(
    private settings: SandboxSettings,
    private readonly statePath?: string,
  ) {
    if (statePath && fs.existsSync(statePath)) {
      // Replay the log: the last line for a provider reference is that payout's latest state.
      const latest = new Map<string, LedgerRecord>();
      for (const line of fs.readFileSync(statePath, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = JSON.parse(line) as LedgerRecord;
          latest.set(r.providerRef, r);
        } catch {
          // a line cut short by a crash: the payout before it is intact
        }
      }
      for (const r of latest.values()) this.index(r);
    }
    this.timer = setInterval(() => this.tick(Date.now()), 50);
    this.timer.unref();
  }

  updateSettings(settings: SandboxSettings): void {
    this.settings = settings;
  }

  onChange(listener: (record: LedgerRecord, previous: LedgerState) => void): void {
    this.listeners.push(listener);
  }

  private index(record: LedgerRecord): void {
    this.all.push(record);
    if (!this.byReference.has(record.reference)) this.byReference.set(record.reference, record);
    this.byProviderRef.set(record.providerRef, record);
    this.created.set(record.reference, (this.created.get(record.reference) ?? 0) + 1);
  }

  get(reference: string): LedgerRecord | undefined {
    return this.byReference.get(reference);
  }

  getByProviderRef(providerRef: string): LedgerRecord | undefined {
    return this.byProviderRef.get(providerRef);
  }

  /** Counts a create request; creates the payout unless the reference exists and duplicateCheck is on. */
  create(input: CreateInput): CreateResult {
    this.createRequests.set(input.reference, (this.createRequests.get(input.reference) ?? 0) + 1);
    const existing = this.byReference.get(input.reference);
    if (existing && this.settings.duplicateCheck) return { created: false, existing };
    const rule = this.outcomeFor(input);
    const now = Date.now();
    const settleAt = rule.outcome === 'stuck' ? null : now + this.settings.settleAfterSeconds * 1000;
    const record: LedgerRecord = {
      reference: input.reference,
      providerRef: 'SBX' + crypto.randomBytes(8).toString('hex').toUpperCase(),
      amount: input.amount,
      paidAmount: input.amount,
      currency: input.currency,
      account: input.account,
      fields: input.fields ?? {},
      state: 'processing',
      notifyUrl: input.notifyUrl,
      createdAt: now,
      updatedAt: now,
      settleAt,
      reverseAt: null,
      outcome: rule.outcome,
      outcomeCode: rule.code,
      outcomeMessage: rule.message,
    };
    this.index(record);
    this.append(record);
    return { created: true, record };
  }

  private outcomeFor(input: CreateInput): OutcomeRule {
    for (const rule of this.settings.outcomes) {
      if (rule.accountEndsWith !== undefined && !input.account.endsWith(rule.accountEndsWith)) continue;
      if (rule.amountEquals !== undefined && normaliseAmount(rule.amountEquals) !== normaliseAmount(input.amount)) continue;
      return rule;
    }
    return { outcome: 'succeed' };
  }

  /** Settles due payouts and turns due reversals; tests may call it with a future `now`. */
  tick(now: number): void {
    for (const record of this.all) {
      const previous = record.state;
      if (record.state === 'processing' && record.settleAt !== null && record.settleAt <= now) {
        if (record.outcome === 'fail') {
          record.state = 'failed';
          record.failCode = record.outcomeCode ?? 'ACCOUNT_REJECTED';
          record.failMessage = record.outcomeMessage ?? 'rejected by the beneficiary bank';
        } else {
          record.state = 'succeeded';
          if (record.outcome === 'short-pay') record.paidAmount = shortPay(record.amount);
          if (record.outcome === 'reverse') record.reverseAt = now + this.settings.reverseAfterSeconds * 1000;
        }
      } else if (record.state === 'succeeded' && record.reverseAt !== null && record.reverseAt <= now) {
        record.state = 'reversed';
        record.reverseAt = null;
        record.failCode = record.outcomeCode ?? 'RETURNED';
        record.failMessage = record.outcomeMessage ?? 'returned after payment';
      }
      if (record.state !== previous) {
        record.updatedAt = now;
        this.append(record);
        for (const listener of this.listeners) listener(record, previous);
      }
    }
  }

  /** Forces a payout's state (tests and the control endpoint). */
  force(reference: string, state: LedgerState, code?: string, message?: string): LedgerRecord | undefined {
    const record = this.byReference.get(reference);
    if (!record) return undefined;
    const previous = record.state;
    record.state = state;
    record.settleAt = null;
    record.reverseAt = null;
    if (code) record.failCode = code;
    if (message) record.failMessage = message;
    record.updatedAt = Date.now();
    this.append(record);
    if (previous !== state) for (const listener of this.listeners) listener(record, previous);
    return record;
  }

  stats(): { payouts: number; createRequests: Record<string, number>; created: Record<string, number>; maxCreatedPerReference: number } {
    let max = 0;
    for (const n of this.created.values()) max = Math.max(max, n);
    return {
      payouts: this.all.length,
      createRequests: Object.fromEntries(this.createRequests),
      created: Object.fromEntries(this.created),
      maxCreatedPerReference: max,
    };
  }

  private append(record: LedgerRecord): void {
    if (!this.statePath) return;
    if (!this.dirReady) {
      fs.mkdirSync(path.dirname(this.statePath), { recursive: true, mode: 0o700 });
      this.dirReady = true;
    }
    fs.appendFileSync(this.statePath, JSON.stringify(record) + '\n', { mode: 0o600 });
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** The `short-pay` outcome pays 1 minor unit (last decimal place) less, to exercise amount-difference exceptions. */
function shortPay(amount: string): string {
  const [int, frac = ''] = amount.split('.');
  const digits = BigInt(int + frac) - 1n;
  if (!frac) return digits.toString();
  const s = digits.toString().padStart(frac.length + 1, '0');
  return s.slice(0, -frac.length) + '.' + s.slice(-frac.length);
}
