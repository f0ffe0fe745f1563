// `/upload`: a sheet into the inbox, through the same intake as a dropped file (DESIGN §13); then the sheet's
// own page, which links its batch once intake has read it.
import type { BatchRecord } from '../../journal/contract.ts';
import { html, layout, notice, type PageContext } from './html.ts';

export function uploadPage(providers: readonly string[], selected: string, ctx: Omit<PageContext, 'title'>, notices: { error?: string } = {}): string {
  return layout(
    { ...ctx, title: 'Upload' },
    html`<h1>Upload a payout sheet</h1>
${notice('error', notices.error)}
${providers.length === 0
    ? ''
    : html`<form method="post" action="/upload" enctype="multipart/form-data" class="stack">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<label for="provider">Provider</label>
<select id="provider" name="provider">
${providers.map((p) => html`<option value="${p}"${p === selected ? html` selected` : ''}>${p}</option>`)}
</select>
<label for="sheet">Payout sheet</label>
<input id="sheet" name="sheet" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required>
<button type="submit">Upload</button>
</form>`}`,
  );
}

export function uploadedPage(name: string, batch: BatchRecord | undefined, ctx: Omit<PageContext, 'title'>): string {
  return layout(
    { ...ctx, title: `Uploaded ${name}`, refreshSeconds: batch ? undefined : 1 },
    html`<h1>Uploaded ${name}</h1>
${batch
    ? html`<p>The sheet is batch <a href="/batches/${encodeURIComponent(batch.id)}">${batch.id}</a> (${batch.state}).</p>`
    : html`<p role="status">In the inbox, waiting for intake to read it… This page links its batch once it is read. A sheet
that cannot be read at all is moved to rejected/ with a note.</p>`}
<p><a href="/upload">Upload another sheet</a></p>`,
  );
}
