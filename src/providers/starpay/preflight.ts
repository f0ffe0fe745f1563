// Checks Starpay needs before anything is sent: every InstaPay row's bank_name must be in the 5.1 bank list
// (case-insensitive, with the nearest names suggested), every QR row's payload must pass Scan QR (5.7).
import { editDistance } from '../../config/describe.ts';
import type { PayoutRequest, RowIssue } from '../types.ts';
import { methodOf, qrPayloadOf, type StarpayConfig } from './schema.ts';

/** Bank names compared as Starpay's list writes them, whatever the case, spacing or Unicode form. */
export const normBank = (name: string) => name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** The `count` bank names nearest to `wanted`: names containing it (or contained in it) first, then by edit distance. */
export function nearestBanks(wanted: string, names: readonly string[], count = 3): string[] {
  const w = normBank(wanted);
  return names
    .map((name) => {
      const n = normBank(name);
      const contains = w.length > 0 && (n.includes(w) || w.includes(n)) ? 0 : 1;
      return { name, contains, distance: editDistance(w, n) };
    })
    .sort((x, y) => x.contains - y.contains || x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, count)
    .map((x) => x.name);
}

/** The read-only calls preflight needs (client.ts sends them). */
export interface PreflightCalls {
  /** The bank list: normalised name → Starpay's own spelling (throws when it cannot be fetched). */
  banks(): Promise<Map<string, string>>;
  /** undefined when Starpay reads the QR payload, else why it refused it. */
  scanQr(payload: string): Promise<string | undefined>;
}

/** The bank list's `receivers` as normalised name → Starpay's spelling. */
export function bankNames(response: Record<string, unknown>): Map<string, string> {
  const receivers = Array.isArray(response.receivers) ? response.receivers : [];
  const banks = new Map<string, string>();
  for (const r of receivers) {
    const name = r && typeof r === 'object' ? (r as Record<string, unknown>).bankName : undefined;
    if (typeof name === 'string' && name.trim()) banks.set(normBank(name), name);
  }
  if (banks.size === 0) throw new Error('starpay: the bank list answer names no banks');
  return banks;
}

/** Issues keyed by payoutId. A list that cannot be fetched throws: the batch cannot be checked, not the rows' fault. */
export async function preflight(rows: readonly PayoutRequest[], config: StarpayConfig, calls: PreflightCalls): Promise<Map<string, RowIssue[]>> {
  const issues = new Map<string, RowIssue[]>();
  const add = (payoutId: string, issue: RowIssue) => issues.set(payoutId, [...(issues.get(payoutId) ?? []), issue]);
  const methods = rows.map((row) => methodOf(row.fields.method, config.defaultMethod));
  if (config.validateBanks && methods.includes('instapay')) {
    const banks = await calls.banks();
    const names = [...banks.values()];
    rows.forEach((row, i) => {
      if (methods[i] !== 'instapay') return;
      const bank = (row.fields.bank_name ?? '').trim();
      if (!bank || banks.has(normBank(bank))) return;
      const nearest = nearestBanks(bank, names);
      add(row.payoutId, {
        column: 'bank_name',
        value: bank,
        rule: 'known-bank',
        message: `"${bank}" is not in the Starpay bank list; nearest: ${nearest.map((n) => `"${n}"`).join(', ')}`,
      });
    });
  }
  if (config.scanQrInPreflight) {
    for (let i = 0; i < rows.length; i++) {
      const method = methods[i];
      if (method !== 'p2m-qr' && method !== 'p2p-qr') continue;
      const row = rows[i]!;
      const payload = qrPayloadOf(row.fields, row.extra, config.qrColumn);
      if (!payload) continue;
      const refused = await calls.scanQr(payload);
      if (refused) add(row.payoutId, { column: config.qrColumn, value: payload.slice(0, 24), rule: 'qr-scan', message: `Starpay Scan QR refused the payload: ${refused}` });
    }
  }
  return issues;
}
