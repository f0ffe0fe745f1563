// Callback delivery from a sandbox to the client's notify URL: a few retries, loopback only
// (a local simulator must never send traffic anywhere else).
import type { Logger } from '../log.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface CallbackDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export class CallbackSender {
  delivered = 0;
  failed = 0;
  skipped = 0;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly retryDelaysMs: number[] = [200, 1000, 3000],
    private readonly log?: Logger,
  ) {}

  send(delivery: CallbackDelivery): void {
    let host: string;
    try {
      host = new URL(delivery.url).hostname;
    } catch {
      this.skipped++;
      return;
    }
    if (!LOOPBACK.has(host) && !host.startsWith('127.')) {
      this.skipped++;
      return;
    }
    const p = this.deliver(delivery).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async deliver(delivery: CallbackDelivery): Promise<void> {
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      try {
        const res = await fetch(delivery.url, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
          signal: AbortSignal.timeout(5000),
        });
        await res.text();
        if (res.ok) {
          this.delivered++;
          return;
        }
      } catch {
        // retried below
      }
      if (attempt < this.retryDelaysMs.length) await new Promise((r) => setTimeout(r, this.retryDelaysMs[attempt]).unref());
    }
    this.failed++;
    this.log?.debug('sandbox callback not acknowledged', { url: delivery.url });
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
