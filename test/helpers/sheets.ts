// Generators for the e2e tests of issue 6 (callbacks, operations, hostile input, secrets, outputs): small
// valid sheets per provider whose rows settle as chosen (the sandboxes decide by the account's last 4
// digits: 0002 fails, 0003 never settles, 0004 reverses later; StarPago 0006 ends in EXCEPTION), written by
// each provider's own sandbox kit; raw ZIP reading/writing for XLSX inspection and hostile workbooks, and a
// few sandbox control calls. The provider list is the registry's.
import net from 'node:net';
import zlib from 'node:zlib';
import { providerIds, type RegisteredProviderId } from '../../src/providers/registry.ts';
import { clabeCheckDigit } from '../../src/providers/starpago/identifiers.ts';
import { luhnValid } from '../../src/providers/paystar/card.ts';
import { credentialsOf, csvOf, liveBlockExtras, moduleOf, referenceFor } from './providers.ts';

export type ProviderName = RegisteredProviderId;
/** Every registered provider, in registry order. */
export const PROVIDERS: readonly ProviderName[] = providerIds;

// ---- credentials and config ---------------------------------------------------------------------

/** The provider's built-in sandbox credentials (what an embedded sandbox would use). */
export const sandboxCredentials = (id: string): Record<string, string> => credentialsOf(id);

/** Fast settling, as the tests need it. */
export const FAST_SANDBOX = { settleAfterSeconds: 0.3 };
export const FAST_POLL = { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, deadlineHours: 1 };

/** A free loopback TCP port (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

// ---- sandbox control (beyond test/helpers/cli.ts) -------------------------------------------------

export async function sandboxForce(url: string, reference: string, state: 'processing' | 'succeeded' | 'failed' | 'reversed'): Promise<number> {
  const res = await fetch(`${url}/__sandbox/force`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reference, state }) });
  await res.text();
  return res.status;
}

export async function sandboxSettings(url: string, patch: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/__sandbox/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  if (!res.ok) throw new Error(`sandbox settings refused: ${res.status} ${await res.text()}`);
  await res.text();
}

export interface SandboxStats {
  byKind: { create: number; query: number; other: number };
  createRequests: Record<string, number>;
  callbacksDelivered: number;
  callbacksFailed: number;
  [k: string]: unknown;
}

export async function sandboxStats(url: string): Promise<SandboxStats> {
  return (await (await fetch(`${url}/__sandbox/stats`)).json()) as SandboxStats;
}

export interface LedgerView {
  reference: string;
  providerRef: string;
  account: string;
  amount: string;
  paidAmount: string;
  currency: string;
  state: string;
}

export async function sandboxPayouts(url: string): Promise<LedgerView[]> {
  return (await (await fetch(`${url}/__sandbox/payouts`)).json()) as LedgerView[];
}

// ---- identifiers that pass each provider's checks, ending as the sandbox outcome needs ----------

/** A 16-digit Luhn-valid card number ending with `last4` (the digit before it fixes the check sum). */
export function cardEnding(last4: string, serial = 0): string {
  const prefix = '411111111' + String(serial % 100).padStart(2, '0');
  for (let x = 0; x <= 9; x++) {
    const card = `${prefix}${x}${last4}`;
    if (luhnValid(card)) return card;
  }
  throw new Error('no Luhn digit found');
}

/** An 18-digit CLABE with a valid Banxico check digit, ending with `last4`. */
export function clabeEnding(last4: string, serial = 0): string {
  const head = '0721800373' + String(serial % 1000).padStart(3, '0'); // 13 digits
  for (let x = 0; x <= 9; x++) {
    const first17 = `${head}${x}${last4.slice(0, 3)}`;
    if (String(clabeCheckDigit(first17)) === last4[3]) return first17 + last4[3];
  }
  throw new Error('no CLABE digit found');
}

// ---- sheets ------------------------------------------------------------------------------------

export interface RowSpec {
  /** The merchant reference (Starpay: digits only). */
  ref: string;
  /** Last 4 digits of the account/card/CLABE: 1111 pays, 0002 fails, 0003 never settles, 0004 reverses. */
  ending?: string;
  /** Amount in major units as text (defaults suit every provider). */
  amount?: string;
}

/**
 * A valid CSV sheet for `provider` with the given rows. Full account numbers are unique per row, and the
 * same row of another sheet pays the same account the same amount (a "corrected" sheet under new references).
 */
export function providerSheet(provider: string, rows: RowSpec[]): string {
  const kit = moduleOf(provider).sandboxKit;
  return csvOf(rows.map((r, i) => ({ reference: r.ref, ...kit.row('sheet', i, r.ending ?? '1111'), ...(r.amount ? { amount: r.amount } : {}) })));
}

/** The cells of one CSV line (quoted cells may hold commas). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  const re = /(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g;
  for (let m = re.exec(line); m && m.index < line.length; m = re.exec(line)) cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return cells;
}

/** The full account (or card / CLABE) number of each row of providerSheet(), as written in the sheet. */
export function accountNumbersOf(provider: string, csv: string): string[] {
  const [header, ...lines] = csv.trim().split('\n');
  const index = csvCells(header!).indexOf(moduleOf(provider).sandboxKit.accountColumn);
  return lines.map((l) => csvCells(l)[index]!);
}

/** A reference unique to this test run, valid for `provider` (one it derives where `<tag>-<stamp>-<i>` is not). */
export function refFor(provider: string, tag: string, i: number): string {
  const stamp = String(Date.now()).slice(-9);
  const readable = `${tag}-${stamp}-${i}`.slice(0, 32);
  const module = moduleOf(provider);
  return module.referencePattern.pattern.test(readable) ? readable : referenceFor(provider, `${tag}-${stamp}`, i);
}

// ---- ZIP (XLSX) ----------------------------------------------------------------------------------

export interface ZipEntryOut {
  name: string;
  data: Buffer;
  /** What the headers claim the entry unpacks to (default: the truth). A lie is how zip bombs hide. */
  declaredSize?: number;
}

/** Reads every entry of a ZIP held in memory (stored or deflated), by its central directory. */
export function readZip(buf: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP archive');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compressed);
    out.set(name, method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/** Writes a ZIP (deflated entries) whose headers may lie about the unpacked sizes. */
export function writeZip(entries: ZipEntryOut[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = zlib.deflateRawSync(e.data);
    const crc = zlib.crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** Every text part of an XLSX (XML and rels), concatenated: what a reader of the workbook could see. */
export function xlsxText(buf: Buffer): string {
  return [...readZip(buf).entries()]
    .filter(([name]) => /\.(xml|rels)$/.test(name))
    .map(([name, data]) => `<!-- ${name} -->\n${data.toString('utf8')}`)
    .join('\n');
}

// ---- configuration files --------------------------------------------------------------------------

export interface ProviderTarget {
  /** The sandbox's base URL ("sandbox" for the embedded one). */
  url: string;
  /** Keys merged into the provider block (poll, callbackUrl, credentials …). */
  block?: Record<string, unknown>;
}


/**
 * A paybatch configuration object for `work`, pointing each named provider at its sandbox with the
 * built-in credentials, fast polling and a short intake; `extra` overrides top-level keys.
 */
export function paybatchConfig(work: string, targets: Partial<Record<ProviderName, ProviderTarget>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  for (const [id, t] of Object.entries(targets) as [ProviderName, ProviderTarget][]) {
    providers[id] = {
      baseUrl: t.url,
      ...(t.url === 'sandbox' ? {} : sandboxCredentials(id)),
      // A live block of a provider that requires a notify URL names one the sandboxes never call.
      ...(t.url !== 'sandbox' ? liveBlockExtras(id) : {}),
      rate: { perSecond: 50, concurrency: 4 },
      poll: FAST_POLL,
      timeoutSeconds: 5,
      ...(t.url === 'sandbox' ? { sandbox: FAST_SANDBOX } : {}),
      ...(t.block ?? {}),
    };
  }
  return {
    work,
    provider: Object.keys(targets)[0] ?? providerIds[0],
    intake: { stableSeconds: 0.2, tickSeconds: 0.2 },
    runOnce: { waitSeconds: 30 },
    providers,
    ...extra,
  };
}

/** The configuration a `paybatch sandbox --provider <id>` process reads: sandbox settings per provider. */
export function sandboxConfig(settings: Partial<Record<ProviderName, Record<string, unknown>>>, credentials: Partial<Record<ProviderName, Record<string, string>>> = {}): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  for (const id of new Set([...Object.keys(settings), ...Object.keys(credentials)]) as Set<ProviderName>)
    providers[id] = { ...(credentials[id] ?? {}), sandbox: { ...FAST_SANDBOX, ...(settings[id] ?? {}) } };
  return { providers };
}

// ---- hostile workbooks ---------------------------------------------------------------------------

/** A Vexora XLSX (text identifiers) with one payout row and, optionally, a `note` cell of `padding` characters. */
export async function vexoraXlsx(options: { ref?: string; padding?: number; distinctTexts?: number } = {}): Promise<Buffer> {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Payouts');
  ws.addRow(['reference', 'amount', 'currency', 'account_number', 'mobile', 'email', 'first_name', 'last_name', 'note']);
  ws.addRow([options.ref ?? 'XL-1', 150, 'ARS', '0000003100010000001111', '0911234567', 'x@example.com', 'Ana', 'Perez', 'x'.repeat(options.padding ?? 1)]);
  for (let i = 0; i < (options.distinctTexts ?? 0); i++) ws.addRow([`XS-${i}`, 150, 'ARS', '0000003100010000001111', '0911234567', `s${i}@example.com`, `Name${i}`, `Surname${i}`, `distinct text ${i}`]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The same workbook with headers that claim every part unpacks to at most `claim` bytes (a zip bomb's lie). */
export function lieAboutSizes(xlsx: Buffer, claim: number): Buffer {
  return writeZip([...readZip(xlsx)].map(([name, data]) => ({ name, data, declaredSize: Math.min(data.length, claim) })));
}

/** The same workbook with its shared-strings table declaring one string, whatever it holds. */
export function lieAboutStringCount(xlsx: Buffer): Buffer {
  return writeZip(
    [...readZip(xlsx)].map(([name, data]) => ({
      name,
      data: name === 'xl/sharedStrings.xml' ? Buffer.from(data.toString('utf8').replace(/\b(count|uniqueCount)="\d+"/g, '$1="1"')) : data,
    })),
  );
}
