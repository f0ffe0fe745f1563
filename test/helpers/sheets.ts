// Generators for the e2e tests of issue 6 (callbacks, operations, hostile input, secrets, outputs): small
// valid sheets per provider whose rows settle as chosen (the sandboxes decide by the account's last 4
// digits: 0002 fails, 0003 never settles, 0004 reverses later; StarPago 0006 ends in EXCEPTION), raw ZIP
// reading/writing for XLSX inspection and hostile workbooks, and a few sandbox control calls.
import net from 'node:net';
import zlib from 'node:zlib';
import { getProvider } from '../../src/providers/registry.ts';
import { clabeCheckDigit } from '../../src/providers/starpago/identifiers.ts';
import { luhnValid } from '../../src/providers/paystar/card.ts';

export type ProviderName = 'vexora' | 'starpay' | 'yuansfer' | 'starpago' | 'paystar';
export const PROVIDERS: ProviderName[] = ['vexora', 'starpay', 'yuansfer', 'starpago', 'paystar'];

// ---- credentials and config ---------------------------------------------------------------------

/** The provider's built-in sandbox credentials (what an embedded sandbox would use). */
export function sandboxCredentials(id: ProviderName): Record<string, string> {
  const module = getProvider(id);
  if (!module) throw new Error(`no provider ${id}`);
  return Object.fromEntries(module.credentials.map((c) => [c.key, c.sandboxValue]));
}

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

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csvLines = (rows: string[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** A valid CSV sheet for `provider` with the given rows (full account numbers are unique per row). */
export function providerSheet(provider: ProviderName, rows: RowSpec[]): string {
  const out: string[][] = [];
  switch (provider) {
    case 'vexora':
      out.push(['reference', 'amount', 'currency', 'account_number', 'mobile', 'email', 'first_name', 'last_name']);
      rows.forEach((r, i) =>
        out.push([r.ref, r.amount ?? String(150 + i), 'ARS', `0000003100${String(10_000_000 + i).slice(-8)}${r.ending ?? '1111'}`, `09${String(11_234_000 + i).slice(-8)}`, `p${i}@example.com`, 'Ana', 'Perez']),
      );
      break;
    case 'starpay':
      out.push(['reference', 'method', 'amount', 'currency', 'account_number', 'first_name', 'middle_name', 'last_name', 'bank_name']);
      rows.forEach((r, i) =>
        out.push([r.ref, 'instapay', r.amount ?? `${150 + i}.00`, 'PHP', `10945${String(100 + i).slice(-3)}${r.ending ?? '1111'}`, 'Maria', 'Santos', 'Reyes', 'BDO Unibank, Inc.']),
      );
      break;
    case 'yuansfer':
      out.push(['reference', 'amount', 'currency', 'first_name', 'last_name', 'email', 'date_of_birth', 'mobile', 'street', 'city', 'state', 'zip', 'country', 'profile_type', 'routing_number', 'account_number', 'account_type']);
      rows.forEach((r, i) =>
        out.push([r.ref, r.amount ?? `${15 + i}.00`, 'USD', 'Maria', `Garcia${i}`, `maria${i}@example.com`, '1988-03-14', '(212) 555-0142', '350 Fifth Ave', 'New York', 'NY', '10118', 'US', 'INDIVIDUAL', '021000021', `483${String(100 + i).slice(-3)}${r.ending ?? '1111'}`, 'CHECKING']),
      );
      break;
    case 'starpago':
      out.push(['reference', 'amount', 'currency', 'method', 'extra.clabe', 'extra.customerName']);
      rows.forEach((r, i) => out.push([r.ref, r.amount ?? `${150 + i}.00`, 'MXN', 'SPEI', clabeEnding(r.ending ?? '1111', i), 'María López']));
      break;
    case 'paystar':
      out.push(['reference', 'amount', 'currency', 'field.cardNumber', 'field.bankName', 'field.email']);
      rows.forEach((r, i) => out.push([r.ref, r.amount ?? `${15 + i}.00`, 'USD', cardEnding(r.ending ?? '1111', i), 'Chase', `p${i}@example.com`]));
      break;
  }
  return csvLines(out);
}

/** The full account (or card / CLABE) number of each row of providerSheet(), as written in the sheet. */
export function accountNumbersOf(provider: ProviderName, csv: string): string[] {
  const lines = csv.trim().split('\n');
  const header = lines[0]!.split(',');
  const column = { vexora: 'account_number', starpay: 'account_number', yuansfer: 'account_number', starpago: 'extra.clabe', paystar: 'field.cardNumber' }[provider];
  const index = header.indexOf(column);
  return lines.slice(1).map((l) => l.split(',')[index]!);
}

/** A reference unique to this test run, valid for `provider` (Starpay wants digits only). */
export function refFor(provider: ProviderName, tag: string, i: number): string {
  const stamp = String(Date.now()).slice(-9);
  if (provider === 'starpay') {
    const digits = Array.from(tag, (c) => String(c.charCodeAt(0) % 10)).join('').slice(0, 6);
    return `${stamp}${digits}${String(i).padStart(3, '0')}`;
  }
  return `${tag}-${stamp}-${i}`.slice(0, 32);
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

/** A notify URL for live Vexora blocks that tests do not serve (not loopback: the sandbox skips it). */
export const UNUSED_VEXORA_CALLBACK = 'https://merchant.invalid/paybatch/callbacks/vexora';

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
      // A live Vexora block must name its notify URL; a non-loopback one the sandboxes never call.
      ...(t.url !== 'sandbox' && id === 'vexora' ? { callbackUrl: UNUSED_VEXORA_CALLBACK } : {}),
      rate: { perSecond: 50, concurrency: 4 },
      poll: FAST_POLL,
      timeoutSeconds: 5,
      ...(t.url === 'sandbox' ? { sandbox: FAST_SANDBOX } : {}),
      ...(t.block ?? {}),
    };
  }
  return {
    work,
    provider: Object.keys(targets)[0] ?? 'vexora',
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
