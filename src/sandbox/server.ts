// Shared sandbox HTTP machinery: routing, raw bodies (signatures are checked over exact bytes), the
// rate limit, fault injection, the ledger and the /__sandbox control endpoints tests use.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import { FaultPlan } from './faults.ts';
import { Ledger } from './ledger.ts';
import { CallbackSender } from './notify.ts';
import { TokenBucket } from './rate-limit.ts';
import { parseSandboxSettings, type FaultRule, type SandboxSettings } from './settings.ts';

export interface SandboxRequest {
  method: string;
  path: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  text: string;
  /** Regex groups when the route path is a RegExp. */
  params: string[];
}

export interface SandboxReply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body: unknown;
}

export interface SandboxContext {
  ledger: Ledger;
  callbacks: CallbackSender;
  settings: SandboxSettings;
  log?: Logger;
}

export interface SandboxRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string | RegExp;
  /** Create calls are the ones counted per reference and targeted by `onCreate` faults. */
  kind: 'create' | 'query' | 'other';
  /** The merchant reference the request is about (for fault targeting), read without verifying. */
  reference?(req: SandboxRequest): string | undefined;
  handle(req: SandboxRequest, ctx: SandboxContext): SandboxReply | Promise<SandboxReply>;
}

export interface SandboxServerOptions {
  name: string;
  routes: SandboxRoute[];
  settings: unknown;
  host?: string;
  port?: number;
  statePath?: string;
  log?: Logger;
  /** How this provider says "too frequent" (default HTTP 429 with Retry-After). */
  rateLimitedReply?(retryAfterMs: number): SandboxReply;
  /** How this provider answers a duplicate reference (the `duplicate` fault). */
  duplicateReply?(req: SandboxRequest): SandboxReply;
  /** How this provider answers a 5xx (default: a plain 500). */
  errorReply?(status: number): SandboxReply;
  maxBodyBytes?: number;
}

export interface SandboxServer {
  url: string;
  ledger: Ledger;
  faults: FaultPlan;
  callbacks: CallbackSender;
  stats(): Record<string, unknown>;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, reply: SandboxReply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let body: Buffer;
  if (Buffer.isBuffer(reply.body)) body = reply.body;
  else if (typeof reply.body === 'string') body = Buffer.from(reply.body);
  else {
    body = Buffer.from(JSON.stringify(reply.body ?? null));
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] = String(body.length);
  res.writeHead(reply.status, headers);
  res.end(body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSandboxServer(options: SandboxServerOptions): Promise<SandboxServer> {
  let settings = parseSandboxSettings(options.settings);
  const ledger = new Ledger(settings, options.statePath);
  const faults = new FaultPlan(settings.faults, settings.seed);
  const callbacks = new CallbackSender(undefined, options.log);
  let bucket = new TokenBucket(settings.ratePerSecond, settings.burst);
  const counters = { requests: 0, rateLimited: 0, badSignature: 0, byKind: { create: 0, query: 0, other: 0 } as Record<string, number> };
  const ctx: SandboxContext = { ledger, callbacks, settings, log: options.log };
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const sockets = new Set<import('node:net').Socket>();

  const rateLimited = options.rateLimitedReply ?? ((ms: number) => ({
    status: 429,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) },
    body: { code: '429', message: 'Too Many Requests' },
  }));
  const errorReply = options.errorReply ?? ((status: number) => ({ status, body: { code: String(status), message: 'Internal Server Error' } }));

  const stats = () => ({
    name: options.name,
    ...counters,
    rateLimited: bucket.rejected,
    faultsInjected: faults.injected,
    callbacksDelivered: callbacks.delivered,
    callbacksFailed: callbacks.failed,
    ...ledger.stats(),
  });

  async function control(req: SandboxRequest, res: http.ServerResponse): Promise<void> {
    const body = req.text ? JSON.parse(req.text) : {};
    const action = req.path.slice('/__sandbox/'.length);
    if (action === 'stats' && req.method === 'GET') return send(res, { status: 200, body: stats() });
    if (action === 'payouts' && req.method === 'GET') return send(res, { status: 200, body: ledger.all });
    if (action === 'faults' && req.method === 'POST') {
      faults.add((body.faults ?? [body]) as FaultRule[]);
      return send(res, { status: 200, body: { faults: faults.list() } });
    }
    if (action === 'faults' && req.method === 'DELETE') {
      faults.clear();
      return send(res, { status: 200, body: { faults: [] } });
    }
    if (action === 'settings' && req.method === 'POST') {
      settings = parseSandboxSettings({ ...settings, ...body });
      ctx.settings = settings;
      ledger.updateSettings(settings);
      bucket = new TokenBucket(settings.ratePerSecond, settings.burst);
      return send(res, { status: 200, body: settings });
    }
    if (action === 'force' && req.method === 'POST') {
      const record = ledger.force(body.reference, body.state, body.code, body.message);
      return send(res, { status: record ? 200 : 404, body: record ?? { error: 'no such reference' } });
    }
    send(res, { status: 404, body: { error: 'unknown control endpoint' } });
  }

  async function handle(req: SandboxRequest, res: http.ServerResponse): Promise<void> {
    if (req.path.startsWith('/__sandbox/')) return control(req, res);
    const route = options.routes.find((r) => {
      if (r.method !== req.method) return false;
      if (typeof r.path === 'string') return r.path === req.path;
      const m = r.path.exec(req.path);
      if (m) req.params = m.slice(1);
      return m !== null;
    });
    if (!route) return send(res, { status: 404, body: { code: '404', message: 'Not Found' } });
    counters.requests++;
    counters.byKind[route.kind]++;
    const limit = bucket.take();
    if (!limit.ok) {
      counters.rateLimited++;
      return send(res, rateLimited(limit.retryAfterMs));
    }
    let reference: string | undefined;
    try {
      reference = route.reference?.(req);
    } catch {
      reference = undefined;
    }
    const fault = faults.take({ path: req.path, isCreate: route.kind === 'create', reference });
    if (fault?.kind === 'delay' && fault.delayMs) await sleep(fault.delayMs);
    if (fault?.kind === 'error-before') return send(res, errorReply(fault.status ?? 500));
    if (fault?.kind === 'drop-before') return void res.socket?.destroy();
    if (fault?.kind === 'rate-limit') return send(res, rateLimited((fault.retryAfterSeconds ?? 1) * 1000));
    if (fault?.kind === 'duplicate' && options.duplicateReply) return send(res, options.duplicateReply(req));
    const reply = await route.handle(req, ctx);
    if (reply.status === 401 || reply.status === 403) counters.badSignature++;
    if (fault?.kind === 'error-after') return send(res, errorReply(fault.status ?? 500));
    if (fault?.kind === 'drop-after') return void res.socket?.destroy();
    if (fault?.kind === 'hang-after') {
      await sleep(fault.delayMs || 30_000);
      if (res.socket?.destroyed) return;
    }
    send(res, reply);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        send(res, { status: 413, body: { code: '413', message: 'Payload Too Large' } });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const sreq: SandboxRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        url,
        headers: req.headers,
        rawBody,
        text: rawBody.toString('utf8'),
        params: [],
      };
      handle(sreq, res).catch((err: unknown) => {
        options.log?.error('sandbox handler failed', { sandbox: options.name, error: err });
        if (!res.headersSent) send(res, { status: 500, body: { code: '500', message: 'sandbox error' } });
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    ledger,
    faults,
    callbacks,
    stats,
    async close() {
      ledger.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
