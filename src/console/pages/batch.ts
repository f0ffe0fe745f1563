// `/batches/<id>`: state, counts, the invariant per currency, progress, downloads, the held batch's controls and
// the rows, 100 at a time with a status filter (DESIGN §13). Every figure comes from indexed journal queries, so
// the page costs the same for a batch of 100,000 rows as for one of ten.
import type { Engine } from '../../engine/engine.ts';
import { summarize } from '../../engine/summary.ts';
import { resultStatusOf } from '../../engine/reporting.ts';
import type { BatchRecord, PayoutRecord } from '../../journal/contract.ts';
import { RESULT_STATUSES, type ResultStatus } from '../../report/index.ts';
import { may, type Role } from '../auth.ts';
import { DOWNLOADS } from '../downloads.ts';
import { RUNNING_STATES } from './batches.ts';
import { amountText, invariantLines, journalStatusesOf } from './format.ts';
import { html, layout, notice, query, type PageContext, type SafeHtml } from './html.ts';

export const PAGE_ROWS = 100;

export interface RowsQuery {
  status: ResultStatus | null;
  after: number | null;
  before: number | null;
}

export interface Notices {
  error?: string;
  info?: string;
}

function controls(batch: BatchRecord, roles: readonly Role[], csrf: string): SafeHtml {
  const action = (what: string) => `/batches/${encodeURIComponent(batch.id)}/${what}`;
  const held = batch.state === 'held';
  const canApprove = held && may(roles, 'approve');
  const canCancel = held ? may(roles, 'cancel-held') : may(roles, 'cancel') && ['submitting', 'polling', 'stopped'].includes(batch.state);
  if (!held && !canCancel) return html``;
  if (!canApprove && !canCancel)
    return html`<p class="muted">Approving needs the approver role; cancelling a held batch, the operator or approver role.</p>`;
  return html`<form method="post" action="${action(canApprove ? 'approve' : 'cancel')}" class="stack controls">
<input type="hidden" name="_csrf" value="${csrf}">
<label for="note">Note</label>
<textarea id="note" name="note" rows="2"></textarea>
<div class="buttons">
${canApprove ? html`<button type="submit" formaction="${action('approve')}">Approve</button>` : ''}
${canCancel ? html`<button type="submit" class="danger" formaction="${action('cancel')}">Cancel batch</button>` : ''}
</div>
</form>`;
}

function rowLine(p: PayoutRecord, canResolve: boolean): SafeHtml {
  const status = resultStatusOf[p.status];
  return html`<tr>
<td class="num">${p.rowNumber}</td>
<td>${p.merchantReference ?? ''}</td>
<td class="num">${amountText(p.amountMinor, p.currency)}</td>
<td>${p.currency ?? ''}</td>
<td><span class="status ${status}">${status}</span></td>
<td>${p.errorMessage ?? ''}</td>
<td>${status === 'needs_review' && canResolve ? html`<form method="get" action="/payouts/${encodeURIComponent(p.id)}/resolve"><button type="submit">Resolve</button></form>` : ''}</td>
</tr>`;
}

export function batchPage(engine: Engine, batch: BatchRecord, q: RowsQuery, ctx: Omit<PageContext, 'title'> & { roles: readonly Role[] }, notices: Notices = {}): string {
  const { journal } = engine;
  const summary = summarize(engine, batch);
  const statuses = q.status ? journalStatusesOf(q.status) : null;
  // One row more than a page tells whether there is a next one.
  const from = q.before !== null ? { before: q.before } : { after: q.after ?? 0 };
  let rows = journal.pageOfPayouts(batch.id, statuses, from, PAGE_ROWS + 1);
  let hasNext: boolean;
  let hasPrevious: boolean;
  if ('before' in from) {
    hasPrevious = rows.length > PAGE_ROWS;
    if (hasPrevious) rows = rows.slice(1);
    hasNext = true;
  } else {
    hasNext = rows.length > PAGE_ROWS;
    if (hasNext) rows = rows.slice(0, PAGE_ROWS);
    hasPrevious = from.after > 0 && journal.pageOfPayouts(batch.id, statuses, { before: rows[0]?.rowNumber ?? from.after + 1 }, 1).length > 0;
  }
  const open = summary.counts.pending;
  const finished = batch.rowCount - open;
  const here = (extra: Record<string, string | number | null>) => `/batches/${encodeURIComponent(batch.id)}${query({ status: q.status, ...extra })}`;
  const running = RUNNING_STATES.includes(batch.state);
  const reportsReady = batch.state !== 'rejected' && batch.state !== 'received';

  const body = html`<h1>Batch ${batch.id}</h1>
${notice('error', notices.error)}
${notice('info', notices.info)}
<dl class="facts">
<dt>State</dt><dd><span class="state ${batch.state}">${batch.state}</span></dd>
<dt>File</dt><dd>${batch.fileName}</dd>
<dt>Provider</dt><dd>${batch.provider}</dd>
<dt>Rows</dt><dd>${batch.rowCount}</dd>
${batch.state === 'held' && batch.holdReason ? html`<dt>Held because</dt><dd class="hold">${batch.holdReason}</dd>` : ''}
${batch.state === 'stopped' && batch.stopReason ? html`<dt>Stopped because</dt><dd>${batch.stopReason}</dd>` : ''}
</dl>
${summary.notes.filter((n) => !n.startsWith('held: ') && !n.startsWith('stopped: ')).map((n) => html`<p class="note">${n}</p>`)}
${open > 0 && batch.state !== 'rejected'
    ? html`<p><label for="progress">Rows finished</label> <progress id="progress" max="${batch.rowCount}" value="${finished}">${finished} of ${batch.rowCount}</progress> ${finished} of ${batch.rowCount}</p>`
    : ''}
${controls(batch, ctx.roles, ctx.csrf)}
<h2>Counts</h2>
<table class="counts">
<thead><tr>${RESULT_STATUSES.map((s) => html`<th scope="col">${s}</th>`)}</tr></thead>
<tbody><tr>${RESULT_STATUSES.map((s) => html`<td class="num">${summary.counts[s]}</td>`)}</tr></tbody>
</table>
<h2>Invariant</h2>
${invariantLines(journal.amountTotals(batch.id)).map((line) => html`<p class="invariant">${line}</p>`)}
${reportsReady
    ? html`<h2>Downloads</h2>
<ul class="downloads">${DOWNLOADS.map((name) => html`<li><a href="/batches/${encodeURIComponent(batch.id)}/${name}" download>${name}</a></li>`)}</ul>`
    : ''}
<h2>Rows</h2>
<form method="get" action="/batches/${encodeURIComponent(batch.id)}" class="filter">
<label for="status">Status</label>
<select id="status" name="status" data-autosubmit>
<option value="all"${q.status === null ? html` selected` : ''}>all</option>
${RESULT_STATUSES.map((s) => html`<option value="${s}"${q.status === s ? html` selected` : ''}>${s}</option>`)}
</select>
<button type="submit">Filter</button>
</form>
${rows.length === 0
    ? html`<p>No rows${q.status ? html` with payout_status ${q.status}` : ''}.</p>`
    : html`<table class="rows">
<thead><tr><th scope="col">row</th><th scope="col">reference</th><th scope="col">amount</th><th scope="col">currency</th><th scope="col">payout_status</th><th scope="col">error</th><th scope="col"><span class="visually-hidden">action</span></th></tr></thead>
<tbody>
${rows.map((p) => rowLine(p, may(ctx.roles, 'resolve')))}
</tbody>
</table>`}
<nav class="pages" aria-label="Rows pages">
${hasPrevious && rows.length ? html`<a href="${here({ before: rows[0]!.rowNumber })}" rel="prev">Previous</a>` : ''}
${hasNext && rows.length ? html`<a href="${here({ after: rows.at(-1)!.rowNumber })}" rel="next">Next</a>` : ''}
</nav>`;
  return layout({ ...ctx, title: `Batch ${batch.id}`, refreshSeconds: running ? 2 : undefined }, body);
}
