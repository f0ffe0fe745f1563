// The sign-in page: fields Name and Password, button Sign in (DESIGN §13).
import { html, layout, notice } from './html.ts';

export function loginPage(csrf: string, error?: string, next?: string): string {
  return layout(
    { title: 'Sign in', csrf },
    html`<h1>Sign in</h1>
${notice('error', error)}
<form method="post" action="/login" class="stack">
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="next" value="${next ?? '/'}">
<label for="name">Name</label>
<input id="name" name="name" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}
