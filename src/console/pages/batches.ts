// `/`: one row per batch, newest first, with its counts per payout_status (DESIGN §13).
import type { Engine } from '../../engine/engine.ts';
import { summarize } from '../../engine/summary.ts';
import { RESULT_STATUSES } from '../../report/index.ts';
import { html, layout, type PageContext } from './html.ts';

/** Batch states in which rows still move by themselves: the pages refresh while any batch is in one. */
export const RUNNING_STATES: readonly string[] = ['received', 'submitting', 'polling'];

export function batchesPage(engine: Engine, ctx: Omit<PageContext, 'title'>): string {
  const batches = engine.journal.listBatches().reverse();
  const running = batches.some((b) => RUNNING_STATES.includes(b.state));
  const rows = batches.map((b) => {
    const s = summarize(engine, b);
    return html`<tr>
<td><a href="/batches/${encodeURIComponent(b.id)}">${b.id}</a></td>
<td>${b.fileName}</td>
<td>${b.provider}</td>
<td>${b.state}</td>
<td class="num">${b.rowCount}</td>
${RESULT_STATUSES.map((st) => html`<td class="num">${s.counts[st]}</td>`)}
</tr>`;
  });
  return layout(
    { ...ctx, title: 'Batches', refreshSeconds: running ? 2 : undefined },
    html`<h1>Batches</h1>
${batches.length === 0
    ? html`<p>No batches yet. <a href="/upload">Upload a payout sheet</a> or drop one into the inbox.</p>`
    : html`<table class="batches">
<caption class="visually-hidden">Batches, newest first</caption>
<thead><tr><th scope="col">batch</th><th scope="col">file</th><th scope="col">provider</th><th scope="col">state</th><th scope="col">rows</th>${RESULT_STATUSES.map((st) => html`<th scope="col">${st}</th>`)}</tr></thead>
<tbody>
${rows}
</tbody>
</table>`}`,
  );
}
