// Provider notifications (DESIGN §6): verified where the provider signs, acted on once, then the row is
// queried — a callback is a reason to ask, never the truth on its own. Providers resend a notification until
// they read their acknowledgement (Starpay says so; Pockyt and Vexora retry for hours), so a byte-identical
// repeat of an accepted callback gets the same acknowledgement and triggers nothing.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Journal } from '../journal/store.ts';
import type { Logger } from '../log.ts';
import type { Runtimes } from '../engine/runtime.ts';

export interface CallbackServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  journal: Journal;
  runtimes: Runtimes;
  log: Logger;
  /** Called after an accepted callback marked a row for an immediate check. */
  onAccepted(): void;
}

export interface CallbackServer {
  url: string;
  stats: { accepted: number; rejected: number; replayed: number; unknownPayout: number };
  close(): Promise<void>;
}

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const { journal, runtimes, log } = options;
  const stats = { accepted: 0, rejected: 0, replayed: 0, unknownPayout: 0 };

  async function handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, text: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const m = /^\/callbacks\/([a-z]+)\/?$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'POST' || !m) return reply(404, 'not found');
    const providerId = m[1];
    let runtime;
    try {
      runtime = await runtimes.get(providerId);
    } catch {
      return reply(404, 'unknown provider');
    }
    const adapter = runtime.adapter;
    if (!adapter.verifyCallback) return reply(404, 'this provider sends no callbacks');
    const verdict = adapter.verifyCallback({ method: req.method, path: req.url ?? '', headers: req.headers, rawBody: body });
    if (!verdict.ok) {
      stats.rejected++;
      log.warn('callback rejected', { provider: providerId, reason: verdict.reason, remote: req.socket.remoteAddress });
      return reply(401, 'rejected');
    }
    const ack = adapter.callbackAck ?? { status: 200, contentType: 'text/plain', body: 'OK' };
    const digest = crypto.createHash('sha256').update(providerId).update('\n').update(body).digest('hex');
    if (!journal.rememberCallback(providerId, digest)) {
      // Already acted on: answering anything but the ack would only make the provider send it again.
      stats.replayed++;
      log.info('callback repeated: acknowledged again, not acted on', { provider: providerId, reference: verdict.merchantReference });
      return reply(ack.status, ack.body, ack.contentType);
    }
    const payout = journal.findPayoutForCallback(providerId, verdict.merchantReference, verdict.providerReference);
    if (!payout) {
      stats.unknownPayout++;
      log.warn('callback for a payout this journal does not know', { provider: providerId, reference: verdict.merchantReference });
    } else {
      journal.event('callback-received', payout.batchId, payout.id, payout.status, payout.status, { rawStatus: verdict.rawStatus });
      if (payout.status === 'submitted' || payout.status === 'unknown') {
        // Shared journal: whoever holds (or next claims) the row asks the provider; this process only marks it.
        if (journal.claims) journal.claims.markDue(payout.id);
        else journal.touch(payout.id, { nextCheckAt: 0 });
      }
      stats.accepted++;
      log.info('callback accepted: the payout will be queried', { provider: providerId, reference: verdict.merchantReference });
      options.onAccepted();
    }
    reply(ack.status, ack.body, ack.contentType);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > options.maxBodyBytes) {
        if (!tooBig) {
          tooBig = true;
          stats.rejected++;
          log.warn('callback body too large', { bytes: size, limit: options.maxBodyBytes });
          res.writeHead(413, { connection: 'close' });
          res.end('too large');
        }
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) return;
      handle(req, Buffer.concat(chunks), res).catch((err: unknown) => {
        log.error('callback handling failed', { error: err });
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
    });
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
