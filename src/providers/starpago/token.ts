// The Bearer token: fetched with client credentials, cached, refreshed before it expires, and shared by
// concurrent callers (one token request in flight at a time).
import { joinUrl, send } from '../http.ts';
import { field, isObject, JsonNumber, parseLossless, textOf } from './json.ts';
import { jwtExpiryMs, tokenRequestBody } from './sign.ts';

export const TOKEN_PATH = '/api/v3/oauth/token';
/** token.html: expires_in 1800. Used only when an answer gives neither expires_in nor an exp claim. */
const DEFAULT_TTL_SECONDS = 1800;

export type TokenResult =
  | { kind: 'token'; token: string }
  /** Credentials refused or the answer makes no sense: nothing else will work either. */
  | { kind: 'stop'; code: string; message: string }
  /** The token endpoint could not be reached or failed transiently: the payout call was never sent. */
  | { kind: 'transient'; cause: string; retryAfterMs?: number; throttled?: boolean };

export interface TokenSourceOptions {
  baseUrl: string;
  appId: string | undefined;
  appSecret: string | undefined;
  userAgent: string;
  refreshBeforeSeconds: number;
  timeoutMs: number;
  now?: () => number;
}

interface Cached {
  token: string;
  /** Refresh from this instant on. */
  refreshAt: number;
}

export class TokenSource {
  private cached: Cached | undefined;
  private inFlight: Promise<TokenResult> | undefined;
  /** Token requests sent (tests and logs). */
  requests = 0;
  private readonly now: () => number;

  constructor(private readonly options: TokenSourceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A valid token: the cached one, or a fresh one (one request shared by every concurrent caller). */
  get(): Promise<TokenResult> {
    const c = this.cached;
    if (c && this.now() < c.refreshAt) return Promise.resolve({ kind: 'token', token: c.token });
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * StarPago answered 401 to `token`: forget it (unless a newer one already replaced it, so concurrent
   * 401s cause one refresh, not one each).
   */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetch(): Promise<TokenResult> {
    const { appId, appSecret } = this.options;
    if (!appId || !appSecret) return { kind: 'stop', code: 'CONFIG', message: 'providers.starpago needs appId and appSecret' };
    this.requests++;
    const sentAt = this.now();
    const res = await send({
      method: 'POST',
      url: joinUrl(this.options.baseUrl, TOKEN_PATH),
      headers: { 'Content-Type': 'application/json', 'User-Agent': this.options.userAgent },
      body: tokenRequestBody(appId, appSecret),
      timeoutMs: this.options.timeoutMs,
    });
    if (res.kind === 'throttled') return { kind: 'transient', cause: 'token request throttled (HTTP 429)', throttled: true, retryAfterMs: res.retryAfterMs };
    if (res.kind === 'notSent' || res.kind === 'unknown') return { kind: 'transient', cause: `token request: ${res.cause}` };
    const { status } = res;
    const body = parseLossless(res.text);
    const code = textOf(field(body, 'code'));
    const msg = textOf(field(body, 'msg')) ?? textOf(field(body, 'message')) ?? '';
    if (status !== 200 || code !== '0') {
      // 4xx or a non-zero business code: the credentials (or the host) are wrong. Retrying cannot help.
      return {
        kind: 'stop',
        code: `TOKEN_${code ?? status}`,
        message: `StarPago refused the token request (HTTP ${status}${code ? `, code ${code}` : ''}${msg ? `: ${msg}` : ''}): check appId/appSecret and baseUrl`,
      };
    }
    const data = field(body, 'data');
    const token = textOf(field(data, 'token'));
    if (!isObject(data) || !token) return { kind: 'transient', cause: 'token answer without data.token' };
    const expiresIn = field(data, 'expires_in');
    let lifetimeMs: number;
    if (expiresIn instanceof JsonNumber && Number(expiresIn.text) > 0) lifetimeMs = Number(expiresIn.text) * 1000;
    else lifetimeMs = Math.max(0, (jwtExpiryMs(token) ?? sentAt + DEFAULT_TTL_SECONDS * 1000) - sentAt);
    // Refresh `tokenRefreshBeforeSeconds` early (60 s), but never before half the lifetime, so a short-lived
    // token (a sandbox set to 2 s) is still reused. The clock starts when the request was sent.
    const marginMs = Math.min(this.options.refreshBeforeSeconds * 1000, lifetimeMs / 2);
    this.cached = { token, refreshAt: sentAt + lifetimeMs - marginMs };
    return { kind: 'token', token };
  }
}
