// The Yuansfer sandbox's payee records: customers, bank accounts and Pockyt-Request-ID answers, kept in
// memory and appended to a JSON-lines file, so a SIGKILLed embedded sandbox loses nothing it answered.
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxReply } from '../../sandbox/server.ts';

export interface Customer {
  customerNo: string;
  customerCode: string;
  firstName: string;
  lastName: string;
  email: string;
  dateOfBirth: string;
  phone?: string;
  street?: string;
  city?: string;
  state?: string;
  zip?: string;
  countryCode?: string;
  profileType: string;
  payeeStatus: string;
  createdTime: string;
}

export interface BankAccount {
  accountToken: string;
  customerNo: string;
  accountTag?: string;
  branchId: string;
  bankAccountId: string;
  bankAccountPurpose: string;
  status: string;
  createdAt: string;
}

/** One line of the sandbox's append-only payee log (so a SIGKILLed embedded sandbox loses nothing it answered). */
type PayeeEvent =
  | { customer: Customer }
  | { account: BankAccount }
  /** A register call that passed validation, by customerCode. */
  | { registration: string }
  /** An add-bank-account call that passed validation, by customerNo. */
  | { accountRequest: string }
  /** The first answer to a Pockyt-Request-ID (transfers). */
  | { reply: [string, SandboxReply] };

/** Payees, bank accounts and request-id answers, kept in memory and appended to a JSON-lines file. */
export class PayeeBook {
  readonly customers = new Map<string, Customer>();
  readonly customerByCode = new Map<string, Customer>();
  readonly accounts = new Map<string, BankAccount>();
  readonly registrations: Record<string, number> = {};
  readonly accountRequests: Record<string, number> = {};
  readonly replies = new Map<string, SandboxReply>();

  constructor(private readonly file?: string) {
    if (file && fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          this.apply(JSON.parse(line) as PayeeEvent);
        } catch {
          // a line torn by a crash mid-write: everything before it is intact
        }
      }
    }
    if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  record(event: PayeeEvent): void {
    this.apply(event);
    if (this.file) fs.appendFileSync(this.file, JSON.stringify(event) + '\n', { mode: 0o600 });
  }

  /** Adds without logging (the seeded payee exists in every sandbox anyway). */
  apply(event: PayeeEvent): void {
    if ('customer' in event) {
      this.customers.set(event.customer.customerNo, event.customer);
      this.customerByCode.set(event.customer.customerCode, event.customer);
    } else if ('account' in event) {
      this.accounts.set(event.account.accountToken, event.account);
    } else if ('registration' in event) {
      this.registrations[event.registration] = (this.registrations[event.registration] ?? 0) + 1;
    } else if ('accountRequest' in event) {
      this.accountRequests[event.accountRequest] = (this.accountRequests[event.accountRequest] ?? 0) + 1;
    } else if ('reply' in event) {
      if (!this.replies.has(event.reply[0])) this.replies.set(event.reply[0], event.reply[1]);
    }
  }
}

export interface PayeeStats {
  customers: number;
  accounts: number;
  registrations: Record<string, number>;
  customersByCode: Record<string, number>;
  accountRequests: Record<string, number>;
  accountsByCustomer: Record<string, number>;
  replays: number;
}

