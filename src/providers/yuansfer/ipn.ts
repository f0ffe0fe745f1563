// Pockyt IPNs (payout notifications): read the parameters, check verifySign and the merchant, and name the
// payout. An IPN only triggers a query; the inquiry's answer is what counts.
import type { CallbackRequest, CallbackVerdict } from '../types.ts';
import { asObject, asText } from './call.ts';
import type { YuansferConfig } from './schema.ts';
import { verifySignMatches } from './sign.ts';

/**
 * IPN parameters. [C] the payload is URL-encoded (form); a JSON object of text values is read too, since the
 * payout-specific IPN page was not readable [U]. A parameter given twice is refused (ambiguous what was signed).
 */
export function parseCallbackParams(rawBody: Buffer): Record<string, string> | undefined {
  const text = rawBody.toString('utf8').trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const object = asObject(parsed);
    if (!object) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(object)) {
      if (v === null || v === undefined) continue;
      const t = asText(v) ?? (typeof v === 'boolean' ? String(v) : undefined);
      if (t === undefined) return undefined;
      out[k] = t;
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (Object.prototype.hasOwnProperty.call(out, k)) return undefined;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function verifyIpn(request: CallbackRequest, config: Pick<YuansferConfig, 'token' | 'merchantNo' | 'storeNo'>): CallbackVerdict {
  const params = parseCallbackParams(request.rawBody);
  if (!params) return { ok: false, reason: 'IPN body is neither form-encoded nor a JSON object of text values' };
  if (!params.verifySign) return { ok: false, reason: 'IPN without verifySign' };
  if (!verifySignMatches(params, config.token)) return { ok: false, reason: 'IPN verifySign does not match' };
  if (params.merchantNo !== undefined && params.merchantNo !== config.merchantNo) return { ok: false, reason: 'IPN for another merchantNo' };
  if (params.storeNo !== undefined && params.storeNo !== config.storeNo) return { ok: false, reason: 'IPN for another storeNo' };
  const merchantReference = params.invoiceId || params.reference;
  if (!merchantReference) return { ok: false, reason: 'IPN names no invoiceId or reference' };
  return { ok: true, merchantReference, providerReference: params.transactionNo || undefined, rawStatus: params.status || undefined };
}
