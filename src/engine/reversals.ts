// Late reversals (issue 6 promise 4): providers that can take money back after success (Yuansfer returned,
// StarPago REFUNDED, Starpay REVERSED) are re-asked about succeeded rows for a configurable window.
import type { Engine } from './batch.ts';
import { toRequest } from './runner.ts';
import { reportOptions, writeReportsFor } from './reporting.ts';
import { noticeBatch } from '../notify/outbox.ts';

export async function checkReversals(engine: Engine, force = false): Promise<number> {
  const { journal, config, log } = engine;
  const windowMs = config.reversalWindowHours * 3600 * 1000;
  const everyMs = config.reversalCheckEveryMinutes * 60 * 1000;
  if (windowMs <= 0) return 0;
  const now = Date.now();
  let turned = 0;
  for (const batch of journal.listBatches()) {
    if ((batch.state !== 'completed' && batch.state !== 'cancelled') || !batch.completedAt) continue;
    if (now - Date.parse(batch.completedAt) > windowMs) continue;
    if (!force && batch.lastReversalCheckAt !== null && now - batch.lastReversalCheckAt < everyMs) continue;
    const runtime = await engine.runtimes.get(batch.provider);
    if (!runtime.defaults.canReverse) continue;
    let changed = 0;
    for (const p of journal.payoutsOf(batch.id, ['succeeded'])) {
      await runtime.pacer.acquire();
      const outcome = await runtime.adapter.query(toRequest(p));
      if (outcome.kind === 'status' && outcome.reading.canonical === 'reversed') {
        const r = outcome.reading;
        journal.transition(
          p.id,
          'reversed',
          { rawStatus: r.raw, errorCode: r.errorCode, errorMessage: r.message ?? 'reversed after payment', completedAt: new Date().toISOString() },
          { type: 'late-reversal', detail: { raw: r.raw } },
          ['succeeded'],
        );
        changed++;
      }
    }
    journal.updateBatch(batch.id, { lastReversalCheckAt: now });
    if (changed) {
      turned += changed;
      log.warn('late reversals found: reports rewritten', { batchId: batch.id, reversed: changed });
      await writeReportsFor(journal, batch.id, config.workDir, reportOptions(engine));
      await noticeBatch(engine, batch.id);
    }
  }
  return turned;
}
