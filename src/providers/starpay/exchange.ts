// One signed Starpay exchange: sign the exact request text → send those bytes → verify the answer's
// signature over its raw `response` text. What the answer's code means is the caller's business (client.ts);
// transport, 429, 401/403 and 5xx are classified by http.ts like every provider's.
import crypto from 'node:crypto';
import { joinUrl, send, type Failure } from '../http.ts';
import type { AdapterContext } from '../types.ts';
import type { StarpayConfig } from './schema.ts';
import { envelope, loadPrivateKey, loadPublicKey, readSignedBody, requestJson, sign, verify, type RequestValue } from './sign.ts';

export type Fields = [string, RequestValue][];

/** What one signed exchange produced, before an operation gives the code its meaning. */
export type Exchange =
  | { kind: 'answer'; response: Record<string, unknown>; code: string; message: string }
  | Failure
  /** An answer that may not be Starpay's (signature or msgId mismatch): never believed, never retried. */
  | { kind: 'untrusted'; cause: string }
  | { kind: 'stop'; code: string; message: string };

export interface Keys {
  mchId: string;
  privateKey: crypto.KeyObject;
  platformKey?: crypto.KeyObject;
}

export function loadKeys(config: StarpayConfig): Keys | { error: string } {
  if (!config.mchId) return { error: 'starpay: mchId is not configured' };
  if (!config.privateKey) return { error: 'starpay: privateKey (the merchant PKCS#8 PEM) is not configured' };
  try {
    const privateKey = loadPrivateKey(config.privateKey);
    const platformKey = config.platformPublicKey ? loadPublicKey(config.platformPublicKey) : undefined;
    return { mchId: config.mchId, privateKey, platformKey };
  } catch (err) {
    return { error: `starpay: ${(err as Error).message}` };
  }
}

/**
 * Fresh msgIds for queries, bank list, balance and Scan QR: every message needs its own (a repeated msgId
 * is 403), never a payout's. "9" + epoch ms + 6 random digits + a counter: 26 digits, while derived payout
 * msgIds start with their batch date ("20…").
 */
export class MessageIds {
  private readonly instance = crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');
  private counter = 0;
  next(): string {
    this.counter = (this.counter + 1) % 1_000_000;
    return `9${Date.now()}${this.instance}${String(this.counter).padStart(6, '0')}`;
  }
}

/** Why Starpay refused, and what to check (401/402 signature, 410/411 set-up, the rest the account). */
export function stopMessage(code: string, message: string, mchId: string): string {
  const what = `Starpay refused the request: code ${code} ${message}`.trim();
  if (code === '401' || code === '402') return `${what}. Check that privateKey is the merchant key whose public key is registered with Starpay for mchId ${mchId}.`;
  if (code === '410' || code === '411') return `${what}. Check mchId and the merchant's set-up at Starpay (service names: disburseService, queryService, ...).`;
  return `${what}. Check the merchant's account status with Starpay.`;
}

export class Exchanger {
  readonly keys: Keys | { error: string };

  constructor(
    private readonly config: StarpayConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.keys = loadKeys(config);
  }

  get mchId(): string {
    return 'error' in this.keys ? '' : this.keys.mchId;
  }

  get slowDownMs(): number {
    return this.config.slowDownSeconds * 1000;
  }

  async exchange(path: string, fields: Fields): Promise<Exchange> {
    if ('error' in this.keys) return { kind: 'stop', code: 'config', message: this.keys.error };
    // sign
    const msgId = fields.find(([k]) => k === 'msgId')?.[1] as string;
    const requestText = requestJson(fields);
    const body = envelope('request', requestText, sign(requestText, this.keys.privateKey));
    // send
    const reply = await send(
      { method: 'POST', url: joinUrl(this.config.baseUrl, path), headers: { 'content-type': 'application/json', accept: 'application/json' }, body, timeoutMs: this.config.timeoutSeconds * 1000 },
      { defaultRetryAfterMs: this.slowDownMs },
    );
    if (reply.kind !== 'answer') return reply;
    // verify
    const signed = readSignedBody(reply.text, 'response');
    if (!signed || !signed.value || typeof signed.value !== 'object' || Array.isArray(signed.value)) {
      return { kind: 'unknown', cause: `HTTP ${reply.status} without a Starpay answer` };
    }
    // A verification failure is never shrugged off: the answer may not be Starpay's.
    if (this.keys.platformKey && !verify(signed.signedText, signed.signature, this.keys.platformKey)) {
      this.ctx.log.warn('starpay: answer signature does not verify with platformPublicKey', { path, msgId });
      return { kind: 'untrusted', cause: 'answer signature does not verify with platformPublicKey' };
    }
    const response = signed.value as Record<string, unknown>;
    if (response.msgId !== undefined && String(response.msgId) !== msgId) return { kind: 'untrusted', cause: 'answer is about another msgId' };
    const code = response.code === undefined || response.code === null ? '' : String(response.code);
    const message = typeof response.message === 'string' ? response.message : '';
    this.ctx.log.debug('starpay answer', { path, msgId, code });
    return { kind: 'answer', response, code, message };
  }
}
