// `/payouts/<id>/resolve`: settle one needs_review payout by hand, with the choices Succeeded and Failed and one
// Note (DESIGN §13; engine/controls.ts resolvePayout journals who and why).
import type { BatchRecord, PayoutRecord } from '../../journal/contract.ts';
import { resultStatusOf } from '../../engine/reporting.ts';
import { maskAccount } from '../../report/index.ts';
import { amountText } from './format.ts';
import { html, layout, notice, type PageContext } from './html.ts';

export function resolvePage(batch: BatchRecord, payout: PayoutRecord, ctx: Omit<PageContext, 'title'>, maskMode: 'last4' | 'none', error?: string): string {
  const masked = new Set(batch.maskColumns);
  const status = resultStatusOf[payout.status];
  const cells = batch.header.map((name, i) => [name, masked.has(i) ? maskAccount(payout.original[i] ?? '', maskMode) : (payout.original[i] ?? '')] as const);
  return layout(
    { ...ctx, title: `Resolve payout ${payout.id}` },
    html`<h1>Resolve payout ${payout.id}</h1>
${notice('error', error)}
<p><a href="/batches/${encodeURIComponent(batch.id)}">Back to batch ${batch.id}</a></p>
<dl class="facts">
<dt>Reference</dt><dd>${payout.merchantReference ?? ''}</dd>
<dt>Amount</dt><dd>${amountText(payout.amountMinor, payout.currency)} ${payout.currency ?? ''}</dd>
<dt>payout_status</dt><dd>${status}</dd>
<dt>Provider reference</dt><dd>${payout.providerReference ?? ''}</dd>
<dt>Raw status</dt><dd>${payout.rawStatus ?? ''}</dd>
<dt>Error</dt><dd>${payout.errorMessage ?? ''}</dd>
${cells.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
</dl>
${status === 'needs_review'
    ? html`<p>Check the payout with ${batch.provider} first; what you choose is recorded with your name and note.</p>
<form method="post" action="/payouts/${encodeURIComponent(payout.id)}/resolve" class="stack">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<fieldset>
<legend>Outcome</legend>
<input type="radio" id="as-succeeded" name="as" value="succeeded" required> <label for="as-succeeded">Succeeded</label>
<input type="radio" id="as-failed" name="as" value="failed"> <label for="as-failed">Failed</label>
</fieldset>
<label for="note">Note</label>
<textarea id="note" name="note" rows="3" required></textarea>
<button type="submit">Resolve payout</button>
</form>`
    : html`<p>This payout is ${status}: nothing to resolve.</p>`}`,
  );
}
