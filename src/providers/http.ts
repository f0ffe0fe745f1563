// One HTTP call, classified by what it means to money: an answer, never sent (safe to retry),
// or unknown (the provider may have acted on it). Shared by every provider client.

export interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Exact bytes to send: signatures are computed over them, so nothing re-serialises. */
  body?: string;
  timeoutMs: number;
}

export type HttpResult =
  | { kind: 'answer'; status: number; headers: Headers; text: string; retryAfterMs?: number }
  | { kind: 'notSent'; cause: string }
  | { kind: 'unknown'; cause: string };

/** Error codes that prove the request never reached the provider. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

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
  return {
    kind: 'answer',
    status: response.status,
    headers: response.headers,
    text,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  };
}

/** JSON.parse that answers undefined instead of throwing (providers sometimes answer HTML on errors). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
