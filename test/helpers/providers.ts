// Per-provider test material for the never-twice suites: sheets of rows that settle successfully in each
// provider's sandbox, the built-in sandbox credentials, configurations for a sandbox process and for
// `paybatch run`, and small readers of the journal and the sandbox's counters.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { providers } from '../../src/providers/registry.ts';
import type { ProviderId, ProviderModule } from '../../src/providers/types.ts';
import { clabeCheckDigit } from '../../src/providers/starpago/identifiers.ts';
import { isValidRoutingNumber } from '../../src/providers/yuansfer/schema.ts';
import { SANDBOX_BANKS } from '../../src/providers/starpay/sandbox.ts';
import { spawnCli, writeJson, type CliResult } from './cli.ts';

export type { ProviderId };

/** Every provider, in the order the suites run them. */
export const allProviders: ProviderId[] = ['vexora', 'starpay', 'yuansfer', 'starpago', 'paystar'];

export function moduleOf(id: ProviderId): ProviderModule {
  const m = providers[id];
  if (!m) throw new Error(`provider ${id} is not registered`);
  return m;
}

/** The provider's built-in sandbox credentials, by the config keys of DESIGN §9. */
export function credentialsOf(id: ProviderId): Record<string, string> {
  return Object.fromEntries(moduleOf(id).credentials.map((c) => [c.key, c.sandboxValue]));
}

/** True where a trusted "not found" after an unknown create is sent again (DESIGN §3 rule 3). */
export const resubmitsOnNotFound = (id: ProviderId): boolean => moduleOf(id).defaults.resubmitOnNotFound;

// ---- account numbers that settle successfully ------------------------------------------------------

/** The sandbox outcome rules go by the last 4 digits: these endings fail, stick, reverse, short-pay, EXCEPTION. */
const SPECIAL_ENDINGS = new Set(['0002', '0003', '0004', '0005', '0006']);

/**
 * Which sandbox outcome a row's account ends in: `settles` (default: paid) avoids every special ending;
 * a four-digit text asks for that ending (e.g. '0003': never settles).
 */
export type Ending = 'settles' | string;
const fits = (account: string, ending: Ending) => (ending === 'settles' ? !SPECIAL_ENDINGS.has(account.slice(-4)) : account.endsWith(ending));

/** A few digits that differ per prefix, so sheets of different scenarios never share accounts or references. */
function digitsOf(text: string, n: number): string {
  const hex = crypto.createHash('sha256').update(text).digest('hex').slice(0, 12);
  return (BigInt('0x' + hex) % 10n ** BigInt(n)).toString().padStart(n, '0');
}

function luhnCheckDigit(partial: string): number {
  let sum = 0;
  // Double every second digit from the right of the full number, i.e. starting with the last of `partial`.
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The three digits before a check digit: those of the asked ending, else "117". */
const beforeCheck = (ending: Ending) => (ending === 'settles' ? '117' : ending.slice(0, 3));

/** A 16-digit Visa-shaped card passing Luhn whose last 4 digits give the asked outcome. */
export function cardNumber(seed: string, i: number, ending: Ending = 'settles'): string {
  for (let bump = 0; bump < 100; bump++) {
    const partial = `4${digitsOf(seed, 3)}${String(i * 100 + bump).padStart(8, '0')}${beforeCheck(ending)}`;
    const card = partial + luhnCheckDigit(partial);
    if (card.length === 16 && fits(card, ending)) return card;
  }
  throw new Error(`no card number ending ${ending}`);
}

/** An 18-digit CLABE with a valid Banxico check digit whose last 4 digits give the asked outcome. */
export function clabe(seed: string, i: number, ending: Ending = 'settles'): string {
  for (let bump = 0; bump < 100; bump++) {
    const first17 = `072180${digitsOf(seed, 3)}${String(i * 100 + bump).padStart(5, '0')}${beforeCheck(ending)}`;
    const value = first17 + clabeCheckDigit(first17);
    if (value.length === 18 && fits(value, ending)) return value;
  }
  throw new Error(`no CLABE ending ${ending}`);
}

/** A plain 12-digit bank account ending 1111 (the sandbox pays it) or the asked ending. */
export function bankAccount(seed: string, i: number, ending: Ending = 'settles'): string {
  return `${digitsOf(seed, 4)}${String(i).padStart(4, '0')}${ending === 'settles' ? '1111' : ending}`;
}

// ---- sheets -------------------------------------------------------------------------------------------

export interface Sheet {
  csv: string;
  /** Merchant references, in row order. */
  references: string[];
}

/** A merchant reference the provider accepts (Starpay's msgId is digits only). */
export function referenceFor(id: ProviderId, prefix: string, i: number): string {
  if (id === 'starpay') return `${digitsOf(prefix, 10)}${String(i).padStart(4, '0')}`;
  return `${prefix}-${i}`;
}

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csvLine = (cells: string[]) => cells.map(csvCell).join(',');

/**
 * A sheet of `n` valid rows for `id`, with unique references (from `prefix`) and beneficiaries the sandbox
 * pays (or whose accounts end in `ending`). Columns follow samples/<id>-payouts.csv.
 */
export function sheetFor(id: ProviderId, n: number, prefix: string, ending: Ending = 'settles'): Sheet {
  const references = Array.from({ length: n }, (_, k) => referenceFor(id, prefix, k + 1));
  const lines: string[] = [];
  const bank = SANDBOX_BANKS.find((b) => !b.bankName.includes(','))!.bankName;
  switch (id) {
    case 'vexora':
      lines.push('reference,amount,currency,account_number,mobile,email,first_name,last_name,note');
      references.forEach((ref, k) =>
        lines.push(csvLine([ref, String(100 + k + 1), 'ARS', `0000003100${bankAccount(prefix, k + 1, ending)}`, `09${String(10000000 + k + 1).slice(-8)}`, `payee${k + 1}@example.com`, `Name${k + 1}`, `Surname${k + 1}`, `row ${k + 1}`])),
      );
      break;
    case 'starpay':
      lines.push('reference,method,amount,currency,account_number,first_name,last_name,bank_name,note');
      references.forEach((ref, k) =>
        lines.push(csvLine([ref, 'instapay', `${100 + k + 1}.50`, 'PHP', bankAccount(prefix, k + 1, ending), `Maria${k + 1}`, 'Reyes', bank, `row ${k + 1}`])),
      );
      break;
    case 'yuansfer': {
      const routing = '021000021';
      if (!isValidRoutingNumber(routing)) throw new Error('test routing number fails the ABA check');
      lines.push(
        'reference,amount,currency,payee_id,first_name,last_name,email,date_of_birth,mobile,street,city,state,zip,country,profile_type,routing_number,account_number,account_type,note',
      );
      references.forEach((ref, k) =>
        lines.push(
          csvLine([
            ref, `${10 + k + 1}.25`, 'USD', `${prefix}-P${k + 1}`.slice(-32), `Maria${k + 1}`, 'Garcia', `maria${k + 1}.${digitsOf(prefix, 4)}@example.com`,
            '1988-03-14', '2125550142', '350 Fifth Ave', 'New York', 'NY', '10118', 'US', 'INDIVIDUAL', routing, bankAccount(prefix, k + 1, ending), 'CHECKING', `row ${k + 1}`,
          ]),
        ),
      );
      break;
    }
    case 'starpago':
      lines.push('reference,amount,currency,method,extra.clabe,extra.customerName,note');
      references.forEach((ref, k) => lines.push(csvLine([ref, `${1000 + k + 1}.00`, 'MXN', 'SPEI', clabe(prefix, k + 1, ending), `Cliente ${k + 1}`, `row ${k + 1}`])));
      break;
    case 'paystar':
      lines.push('reference,amount,currency,field.cardNumber,field.bankName,field.email,note');
      references.forEach((ref, k) => lines.push(csvLine([ref, `${20 + k + 1}.10`, 'USD', cardNumber(prefix, k + 1, ending), 'Chase', `payee${k + 1}@example.com`, `row ${k + 1}`])));
      break;
  }
  return { csv: lines.join('\n') + '\n', references };
}

export function writeSheet(dir: string, id: ProviderId, n: number, prefix: string, ending: Ending = 'settles'): Sheet & { file: string } {
  const sheet = sheetFor(id, n, prefix, ending);
  const file = path.join(dir, `${prefix}.csv`);
  fs.writeFileSync(file, sheet.csv);
  return { ...sheet, file };
}

// ---- configurations -------------------------------------------------------------------------------------

/** The fast settings of the never-twice suites (seconds). */
export const fastProviderSettings = {
  rate: { perSecond: 50, concurrency: 4 },
  poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, deadlineHours: 1 },
  notFoundWindowSeconds: 0.5,
  timeoutSeconds: 2,
};

/** Configuration for `paybatch sandbox --provider id`: built-in credentials and these sandbox settings. */
export function sandboxConfig(dir: string, id: ProviderId, settings: Record<string, unknown>): string {
  return writeJson(path.join(dir, `sandbox-${id}.json`), {
    providers: { [id]: { ...credentialsOf(id), sandbox: { settleAfterSeconds: 0.3, duplicateCheck: false, ...settings } } },
  });
}

/** Configuration for `paybatch run` against a sandbox at `url`, with the fast settings and any overrides. */
export function runConfig(file: string, id: ProviderId, work: string, url: string, overrides: Record<string, unknown> = {}): string {
  return writeJson(file, {
    work,
    provider: id,
    // Balances are not what these suites test; a hold would only hide what they do test.
    balanceCheck: false,
    // A live Vexora block must name its notify URL (not loopback: the sandbox never calls it).
    providers: { [id]: { baseUrl: url, ...credentialsOf(id), ...(id === 'vexora' ? { callbackUrl: 'https://merchant.invalid/paybatch/callbacks/vexora' } : {}), ...fastProviderSettings, ...overrides } },
  });
}

// ---- processes -------------------------------------------------------------------------------------------

/** Spawns the CLI and resolves when it has exited, with its output; `onSpawn` may kill it. */
export function runToExit(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; onSpawn?: (child: ReturnType<typeof spawnCli>) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, { env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paybatch ${args.join(' ')} did not exit in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}

export interface BatchDoc {
  id: string;
  state: string;
  rows: number;
  counts: Record<'succeeded' | 'failed' | 'reversed' | 'invalid' | 'duplicate' | 'pending' | 'needs_review', number>;
  reports: Record<string, string | null>;
}

/** The one batch of a `--json` document. */
export function batchOf(r: CliResult): BatchDoc {
  let doc: { batches: BatchDoc[] };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`not a JSON document (exit ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  if (doc.batches.length !== 1) throw new Error(`expected one batch, got ${doc.batches.length}`);
  return doc.batches[0]!;
}

/**
 * Runs `paybatch run <file>` again (up to 3 times) until no row is pending, as an operator would after a
 * crash; every run must end by itself.
 */
export async function runUntilSettled(file: string, cfg: string, timeoutMs: number): Promise<BatchDoc> {
  let batch: BatchDoc | undefined;
  for (let i = 0; i < 3 && (!batch || batch.counts.pending > 0); i++) {
    const r = await runToExit(['run', file, '--config', cfg, '--json'], { timeoutMs });
    if (r.signal !== null) throw new Error(`paybatch run ended by ${r.signal}\nstderr: ${r.stderr}`);
    batch = batchOf(r);
  }
  return batch!;
}

/** Payouts the sandbox created per reference: the largest count among `references` (more than 1 = paid twice). */
export function maxCreatedOf(stats: SandboxStats, references: readonly string[]): number {
  return Math.max(0, ...references.map((ref) => stats.created[ref] ?? 0));
}

// ---- the sandbox's control endpoints not wrapped by cli.ts ------------------------------------------------

export async function clearFaults(url: string): Promise<void> {
  await fetch(`${url}/__sandbox/faults`, { method: 'DELETE' });
}

export interface SandboxStats {
  requests: number;
  byKind: { create: number; query: number; other: number };
  createRequests: Record<string, number>;
  created: Record<string, number>;
  maxCreatedPerReference: number;
  faultsInjected: number;
}

export async function statsOf(url: string): Promise<SandboxStats> {
  return (await fetch(`${url}/__sandbox/stats`)).json() as Promise<SandboxStats>;
}

// ---- the journal, read-only -----------------------------------------------------------------------------

export interface JournalView {
  payout(reference: string): { id: string; status: string; createAttempts: number } | undefined;
  events(payoutId: string): { type: string; from: string | null; to: string | null; detail: string | null }[];
  attempts(payoutId: string): { kind: string; outcome: string | null }[];
  /** How many events of this type the journal holds (all batches). */
  eventCount(type: string): number;
  close(): void;
}

export function openJournal(work: string): JournalView {
  const db = new Database(path.join(work, 'journal.sqlite'), { readonly: true, fileMustExist: true });
  return {
    payout(reference) {
      const r = db
        .prepare(`SELECT id, status, create_attempts FROM payouts WHERE merchant_reference = ? AND status NOT IN ('invalid','duplicate')`)
        .get(reference) as { id: string; status: string; create_attempts: number } | undefined;
      return r && { id: r.id, status: r.status, createAttempts: r.create_attempts };
    },
    events: (payoutId) => db.prepare('SELECT type, from_status AS "from", to_status AS "to", detail FROM events WHERE payout_id = ? ORDER BY id').all(payoutId) as never,
    attempts: (payoutId) => db.prepare('SELECT kind, outcome FROM attempts WHERE payout_id = ? ORDER BY id').all(payoutId) as never,
    eventCount: (type) => (db.prepare('SELECT COUNT(*) n FROM events WHERE type = ?').get(type) as { n: number }).n,
    close: () => db.close(),
  };
}

/** Seeded PRNG (the sandbox's own), so a soak's kill schedule can be replayed from its seed. */
export { seededRandom as seeded } from '../../src/sandbox/faults.ts';
