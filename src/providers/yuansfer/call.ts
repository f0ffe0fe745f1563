// One Pockyt call: build the parameters → sign (verifySign over the sorted parameters) → send the exact
// bytes (http.ts classifies transport, 429, 401/403 and 5xx as for every provider) → read the `ret_code`
// envelope. What a ret_code means is the caller's business (client.ts, prepare.ts).
import { deniedStop, joinUrl, parseJsonObject, send, type Failure } from '../http.ts';
import type { YuansferConfig } from './schema.ts';
import { apiTimestamp, signedBody } from './sign.ts';

export const PATHS = {
  register: '/v3/payee/register',
  retrieve: '/v3/payee/retrieve',
  addBankAccount: '/v3/payee/account/create/bank-account',
  pay: '/v3/payouts/pay',
  inquiry: '/v3/payouts/inquiry',
  balance: '/v3/payouts/balance',
} as const;

export type Json = Record<string, unknown>;

/** One call's answer, before any endpoint-specific meaning is given to it. */
export type PockytReply =
  | { kind: 'ret'; code: string; message: string; body: Json }
  | Failure
  /** A non-2xx answer without a ret_code (wrong host or path, a gateway refusing us). */
  | { kind: 'http'; status: number; cause: string };

export const asObject = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
export const asText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** A 4xx without ret_code that can only mean our configuration is wrong (host or path). */
export const configurationHttp = (status: number) => status === 404 || status === 405;

/** HTTP 401/403: the gateway refused us before Pockyt read anything. */
export const denied = deniedStop((status) => `Pockyt answered HTTP ${status}: check baseUrl, merchantNo, storeNo and token`);

/** A configuration answer (wrong host, path or access): stop, naming the base URL to check. */
export const httpStop = (status: number, cause: string) => ({ kind: 'stop' as const, code: `HTTP_${status}`, message: `${cause} (check baseUrl)` });

export function pockytCaller(config: YuansferConfig) {
  const baseUrl = config.baseUrl;
  const timeoutMs = config.timeoutSeconds * 1000;
  return async function call(path: string, params: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<PockytReply> {
    // sign
    const { body } = signedBody({ ...params, merchantNo: config.merchantNo, storeNo: config.storeNo, timestamp: apiTimestamp() }, config.token);
    // send
    const reply = await send({
      method: 'POST',
      url: joinUrl(baseUrl, path),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body,
      timeoutMs,
    });
    if (reply.kind !== 'answer') return { ...reply, cause: `${reply.cause} from ${path}` };
    // read the envelope
    const json = parseJsonObject(reply.text);
    const code = asText(json?.ret_code);
    if (json && code !== undefined) return { kind: 'ret', code, message: asText(json.ret_msg) ?? '', body: json };
    if (reply.status >= 300) return { kind: 'http', status: reply.status, cause: `HTTP ${reply.status} from ${path} without a ret_code` };
    return { kind: 'unknown', cause: `unreadable answer from ${path} (HTTP ${reply.status})` };
  };
}

export type PockytCall = ReturnType<typeof pockytCaller>;
