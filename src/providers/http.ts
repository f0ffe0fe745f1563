// One HTTP exchange, classified once for every provider by what it means to money (DESIGN §2):
//   refused connection, unknown host          → notSent   (never reached the provider: safe to retry)
//   timeout or cut-off after sending, any 5xx  → unknown   (the provider may have acted: ask, never resend blindly)
//   429                                        → throttled (nothing done; wait Retry-After, else the default)
//   401, 403                                   → denied    (credentials or access: nothing else will work)
//   anything else                              → answer    (the provider's own codes say what it means)
// A client builds its request, signs it, sends it with `send`, and interprets only `answer`s; the other
// kinds become outcomes through `submitFailure` / `queryFailure` / `prepareFailure`, the same for all five.
import type { PrepareOutcome, QueryOutcome, SubmitOutcome } from './types.ts';

export interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Exact bytes to send: signatures are computed over them, so nothing re-serialises. */
  body?: string;
  timeoutMs: number;
}

/** What a transport call alone came to, before any status code is read. */
export type HttpResult =
  | { kind: 'answer'; status: number; headers: Headers; text: string; retryAfterMs?: number }
  | { kind: 'notSent'; cause: string }
  | { kind: 'unknown'; cause: string };

/** An HTTP answer the provider's own codes must interpret (not 429, 401, 403 or 5xx). */
export interface Answer {
  kind: 'answer';
  status: number;
  headers: Headers;
  text: string;
  /** Retry-After, when the answer carries one (PayStar's 423). */
  retryAfterMs?: number;
}

/** Every other reply: classified here, the same for every provider. */
export type Failure =
  | { kind: 'notSent'; cause: string }
  | { kind: 'unknown'; cause: string }
  | { kind: 'throttled'; cause: string; retryAfterMs: number }
  /** `text` is the body, for a provider whose refusal carries its own code (StarPago's token call). */
  | { kind: 'denied'; status: 401 | 403; cause: string; text: string };

/** The one reply type of every provider client. */
export type Reply = Answer | Failure;

export interface SendOptions {
  /** Wait after a 429 without Retry-After (default 1 s). */
  defaultRetryAfterMs?: number;
}

/** Error codes that prove the request never reached the provider. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);
const DEFAULT_RETRY_AFTER_MS = 1000;

function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return (err as { name?: string })?.name ?? 'ERROR';
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** The transport call alone: an answer of any status, never sent, or unknown. */
export async function httpCall(call: HttpCall): Promise<HttpResult> {
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (err) {
    const code = errorCode(err);
    if (NOT_SENT_CODES.has(code)) return { kind: 'notSent', cause: `${code}: could not reach ${new URL(call.url).host}` };
    if (code === 'TimeoutError' || code === 'AbortError') return { kind: 'unknown', cause: `no answer within ${call.timeoutMs} ms` };
    return { kind: 'unknown', cause: `connection failed after sending (${code})` };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    return { kind: 'unknown', cause: `answer cut off (${errorCode(err)})` };
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return { kind: 'answer', status: response.status, headers: response.headers, text, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** The one classification of transport and HTTP outcomes (see the table at the top). */
export function classify(result: HttpResult, options: SendOptions = {}): Reply {
  if (result.kind !== 'answer') return result;
  const { status } = result;
  if (status === 429) {
    return { kind: 'throttled', cause: 'rate limited (HTTP 429)', retryAfterMs: result.retryAfterMs ?? options.defaultRetryAfterMs ?? DEFAULT_RETRY_AFTER_MS };
  }
  if (status === 401 || status === 403) return { kind: 'denied', status, cause: `HTTP ${status}`, text: result.text };
  if (status >= 500) return { kind: 'unknown', cause: `HTTP ${status}` };
  return result;
}

/** Send the exact bytes and classify the reply. */
export async function send(call: HttpCall, options: SendOptions = {}): Promise<Reply> {
  return classify(await httpCall(call), options);
}

/** How a provider words a denied call: the stop message names the credentials to check. */
export type DeniedStop = (status: 401 | 403) => { code: string; message: string };

/** `HTTP_401` / `HTTP_403` with the provider's advice. */
export const deniedStop =
  (advice: string | ((status: 401 | 403) => string)): DeniedStop =>
  (status) => ({ code: `HTTP_${status}`, message: typeof advice === 'string' ? advice : advice(status) });

/** A create that got no answer to interpret: notSent and throttled are safe to retry, unknown must be asked. */
export function submitFailure(failure: Failure, denied: DeniedStop, context = ''): SubmitOutcome {
  const cause = context ? `${context}: ${failure.cause}` : failure.cause;
  switch (failure.kind) {
    case 'notSent':
      return { kind: 'notSent', cause };
    case 'throttled':
      return { kind: 'notSent', cause, throttled: true, retryAfterMs: failure.retryAfterMs };
    case 'unknown':
      return { kind: 'unknown', cause };
    case 'denied':
      return { kind: 'stop', ...denied(failure.status) };
  }
}

/** A query that got no answer to interpret: the payout's state is still unknown (asked again later). */
export function queryFailure(failure: Failure, denied: DeniedStop, context = ''): QueryOutcome {
  const cause = context ? `${context}: ${failure.cause}` : failure.cause;
  switch (failure.kind) {
    case 'notSent':
    case 'unknown':
      return { kind: 'unknown', cause };
    case 'throttled':
      return { kind: 'unknown', cause, throttled: true, retryAfterMs: failure.retryAfterMs };
    case 'denied':
      return { kind: 'stop', ...denied(failure.status) };
  }
}

/** A set-up step that got no answer to interpret: set-up calls are idempotent, so it is retried. */
export function prepareFailure(failure: Failure, denied: DeniedStop, context = ''): PrepareOutcome {
  const cause = context ? `${context}: ${failure.cause}` : failure.cause;
  switch (failure.kind) {
    case 'notSent':
    case 'unknown':
      return { kind: 'retry', cause };
    case 'throttled':
      return { kind: 'retry', cause, throttled: true, retryAfterMs: failure.retryAfterMs };
    case 'denied':
      return { kind: 'stop', ...denied(failure.status) };
  }
}

/** JSON.parse that answers undefined instead of throwing (providers sometimes answer HTML on errors). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON object's members, or undefined for anything else (arrays, scalars, HTML). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const value = parseJson(text);
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `https://host/base/` + `/path` without a doubled slash. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
