// The console's only assets, served from this origin (CSP default-src 'self'): a style sheet, and a script that
// applies the Status filter on change and refreshes pages while batches run, unless a field is being filled in.
const css = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --line: #d9dde5; --accent: #1f5fbf; --bad: #b3261e; --ok: #1e7a3c; --warn: #a35f00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #14213d; color: #fff; }
header a { color: #fff; text-decoration: none; margin-right: 1rem; }
header .brand { font-weight: 700; letter-spacing: .02em; }
header .signout { margin-left: auto; display: flex; align-items: center; gap: .6rem; }
main { padding: 1.2rem 1.5rem 3rem; max-width: 1200px; }
h1 { font-size: 1.45rem; margin: .2rem 0 1rem; word-break: break-all; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; font-size: .9em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.rows td:nth-child(6) { max-width: 28rem; color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.hold { color: var(--warn); font-weight: 600; }
.state, .status { display: inline-block; padding: 0 .45rem; border-radius: .6rem; background: #e7eaf0; font-size: .9em; }
.status.succeeded, .state.completed { background: #dcf1e3; color: var(--ok); }
.status.failed, .status.reversed, .state.rejected, .state.cancelled { background: #f9dedc; color: var(--bad); }
.status.needs_review, .status.pending, .state.held, .state.stopped { background: #fdebc8; color: var(--warn); }
.invariant { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; background: #fff; border: 1px solid var(--line); padding: .4rem .6rem; overflow-wrap: anywhere; }
.stack { display: grid; gap: .4rem; max-width: 32rem; }
.controls { background: #fff; border: 1px solid var(--line); padding: .8rem; }
.buttons { display: flex; gap: .6rem; }
button { font: inherit; padding: .35rem .9rem; border-radius: .3rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.danger { border-color: var(--bad); background: #fff; color: var(--bad); }
table button { padding: .1rem .6rem; font-size: .9em; }
header button { background: transparent; border-color: #fff; }
input, select, textarea { font: inherit; padding: .3rem; border: 1px solid #aab1bf; border-radius: .25rem; }
.filter { display: flex; gap: .6rem; align-items: center; margin-bottom: .6rem; }
.pages { display: flex; gap: 1.2rem; margin-top: .6rem; }
.downloads { display: flex; gap: 1.2rem; list-style: none; padding: 0; }
.notice { padding: .6rem .8rem; border-radius: .3rem; }
.notice.error { background: #f9dedc; color: var(--bad); border: 1px solid #e6b1ad; }
.notice.info { background: #dcf1e3; color: var(--ok); border: 1px solid #a9d8b8; }
.muted, .note { color: var(--muted); }
progress { width: 16rem; vertical-align: middle; }
fieldset { border: 1px solid var(--line); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

const js = `
for (const select of document.querySelectorAll('select[data-autosubmit]')) select.addEventListener('change', () => select.form.requestSubmit());
const every = Number(document.body.dataset.refresh || 0);
if (every > 0) {
  let typing = false;
  document.addEventListener('input', () => (typing = true));
  setInterval(() => {
    const focused = document.activeElement && ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName);
    if (!typing && !focused) location.reload();
  }, every * 1000);
}
`;

export const STATIC_FILES: Record<string, { type: string; body: string }> = {
  'console.css': { type: 'text/css; charset=utf-8', body: css },
  'console.js': { type: 'text/javascript; charset=utf-8', body: js },
};
