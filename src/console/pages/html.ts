// HTML built with one tagged template: every interpolated value is escaped unless it is already markup made by
// this template, so a cell of a sheet (`<script>`, a quote in a file name) can never become markup.
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = SafeHtml | string | number | bigint | boolean | null | undefined | readonly Value[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new SafeHtml(out);
}

/** A query string from parameters, empty ones left out (escaped again when interpolated into an attribute). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface PageContext {
  title: string;
  /** The signed-in user, shown with a sign-out button; absent on the sign-in page. */
  user?: { name: string; roles: readonly string[] };
  csrf: string;
  /** Seconds: the page reloads itself while batches run (console.js; a meta refresh without scripts). */
  refreshSeconds?: number;
}

export function layout(ctx: PageContext, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${ctx.refreshSeconds ? html`<noscript><meta http-equiv="refresh" content="${ctx.refreshSeconds}"></noscript>` : ''}
<title>${ctx.title} · paybatch</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script>
</head>
<body${ctx.refreshSeconds ? html` data-refresh="${ctx.refreshSeconds}"` : ''}>
<header>
<a class="brand" href="/">paybatch</a>
${ctx.user
    ? html`<nav aria-label="Main"><a href="/">Batches</a> <a href="/upload">Upload</a></nav>
<form class="signout" method="post" action="/logout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><span>${ctx.user.name} (${ctx.user.roles.join(', ')})</span> <button type="submit">Sign out</button></form>`
    : ''}
</header>
<main>
${body}
</main>
</body>
</html>
`.text;
}

/** A refusal or confirmation, read out by screen readers when the page loads. */
export const notice = (kind: 'error' | 'info', text: string | null | undefined): SafeHtml =>
  text ? html`<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>` : html``;
