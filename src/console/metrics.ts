// /metrics (DESIGN §13): Prometheus text from the journal, computed when scraped, so that `paybatch console`
// alone reports the work of every process that shares the journal (ConsoleQueries in journal/contract.ts).
import { Counter, Gauge, Registry } from 'prom-client';
import type { DeliveryOutbox, Journal } from '../journal/contract.ts';

export function metricsRegistry(journal: Journal): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'paybatch_payouts',
    help: 'Payouts per provider and journal status, over every batch',
    labelNames: ['provider', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of journal.payoutTotals()) this.set({ provider: t.provider, status: t.status }, t.rows);
    },
  });
  new Counter({
    name: 'paybatch_provider_requests_total',
    help: 'Requests made to each provider (create, query, prepare) by outcome, since the journal began',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of journal.attemptTotals()) this.inc({ provider: a.provider, outcome: a.outcome }, a.requests);
    },
  });
  new Counter({
    name: 'paybatch_rate_limited_total',
    help: 'Requests the provider answered with "too many requests" (HTTP 429 or its own code), since the journal began',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of journal.attemptTotals()) if (a.throttled) this.inc({ provider: a.provider }, a.requests);
    },
  });
  new Gauge({
    name: 'paybatch_rows_waiting',
    help: 'Rows not yet sent (validated or queued) in batches that may still send them, per provider',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of journal.rowsWaiting()) this.set({ provider: w.provider }, w.rows);
    },
  });
  new Gauge({
    name: 'paybatch_deliveries_pending',
    help: 'Notifications (e-mail, webhook) recorded and neither delivered nor given up',
    registers: [registry],
    collect() {
      // The outbox is implemented by the journals in a later change; until then nothing is pending.
      this.set((journal as Partial<DeliveryOutbox>).deliveriesPending?.() ?? 0);
    },
  });
  return registry;
}
