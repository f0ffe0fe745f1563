// Per-provider test material for the never-twice suites, taken from the registry and from each provider's own
// sandbox kit (src/providers/<id>/, SandboxKit): sheets of rows that settle successfully in each provider's
// sandbox, the built-in sandbox credentials, configurations for a sandbox process and for `paybatch run`,
// and small readers of the journal and the sandbox's counters. Nothing here names a provider.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { getProvider, providerIds, type RegisteredProviderId } from '../../src/providers/registry.ts';
import type { ProviderModule } from '../../src/providers/types.ts';
import { spawnCli, writeJson, type CliResult } from './cli.ts';

export type ProviderId = RegisteredProviderId;

/** Every registered provider, in registry order (the order the suites run them). */
export const allProviders: readonly ProviderId[] = providerIds;

export function moduleOf(id: string): ProviderModule {
  const m = getProvider(id);
  if (!m) throw new Error(`provider ${id} is not registered`);
  return m;
}

/** The provider's built-in sandbox credentials, by the config keys of DESIGN §9. */
export function credentialsOf(id: string): Record<string, string> {
  return Object.fromEntries(moduleOf(id).credentials.map((c) => [c.key, c.sandboxValue]));
}

/** True where a trusted "not found" after an unknown create is sent again (DESIGN §3 rule 3). */
export const resubmitsOnNotFound = (id: string): boolean => moduleOf(id).defaults.resubmitOnNotFound;

/** Keys a live block must carry beyond the credentials: a notify URL where the provider requires one. */
export function liveBlockExtras(id: string, callbackUrl = `https://merchant.invalid/paybatch/callbacks/${id}`): Record<string, unknown> {
  return moduleOf(id).capabilities.callbackUrlRequired ? { callbackUrl } : {};
}

// ---- sheets -------------------------------------------------------------------------------------------

/**
 * Which sandbox outcome a row's account ends in: `settles` (default: paid) or a four-digit text asking
 * for that ending (the shared outcome rules: '0002' fails, '0003' never settles, '0004' is reversed…).
 */
export type Ending = 'settles' | string;
const endingOf = (ending: Ending) => (ending === 'settles' ? '1111' : ending);

export interface Sheet {
  csv: string;
  /** Merchant references, in row order. */
  references: string[];
}

/** A merchant reference the provider accepts: `<prefix>-<i>` where its pattern allows, else one it derives. */
export function referenceFor(id: string, prefix: string, i: number): string {
  const module = moduleOf(id);
  const readable = `${prefix}-${i}`;
  return module.referencePattern.pattern.test(readable) ? readable : module.deriveReference(prefix, i);
}

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csvLine = (cells: string[]) => cells.map(csvCell).join(',');

/** CSV of rows given as cells by column (the first row's columns, `reference` first). */
export function csvOf(rows: readonly Record<string, string>[]): string {
  const columns = ['reference', ...Object.keys(rows[0] ?? {}).filter((c) => c !== 'reference')];
  return [csvLine(columns), ...rows.map((r) => csvLine(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

/**
 * A sheet of `n` valid rows for `id`, with unique references (from `prefix`) and beneficiaries the sandbox
 * pays (or whose accounts end in `ending`), as the provider's sandbox kit writes them.
 */
export function sheetFor(id: string, n: number, prefix: string, ending: Ending = 'settles'): Sheet {
  const kit = moduleOf(id).sandboxKit;
  const references = Array.from({ length: n }, (_, k) => referenceFor(id, prefix, k + 1));
  const rows = references.map((reference, k) => ({ reference, ...kit.row(prefix, k + 1, endingOf(ending)), note: `row ${k + 1}` }));
  return { csv: csvOf(rows), references };
}

export function writeSheet(dir: string, id: string, n: number, prefix: string, ending: Ending = 'settles'): Sheet & { file: string } {
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
export function sandboxConfig(dir: string, id: string, settings: Record<string, unknown>): string {
  return writeJson(path.join(dir, `sandbox-${id}.json`), {
    providers: { [id]: { ...credentialsOf(id), sandbox: { settleAfterSeconds: 0.3, duplicateCheck: false, ...settings } } },
  });
}

/** Configuration for `paybatch run` against a sandbox at `url`, with the fast settings and any overrides. */
export function runConfig(
  file: string,
  id: string,
  work: string,
  url: string,
  overrides: Record<string, unknown> = {},
  /** Top-level keys (onInvalidRows, runOnce, limits, …). */
  top: Record<string, unknown> = {},
): string {
  return writeJson(file, {
    work,
    provider: id,
    // Balances are not what these suites test; a hold would only hide what they do test.
    balanceCheck: false,
    // A live block of a provider that requires a notify URL names one (not loopback: the sandbox never calls it).
    providers: { [id]: { baseUrl: url, ...credentialsOf(id), ...liveBlockExtras(id), ...fastProviderSettings, ...overrides } },
    ...top,
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
