// The web console (DESIGN §13) as finance uses it: a real Chromium (playwright-core) against `paybatch watch`
// serving the console over real HTTP, with the embedded Vexora sandbox. The story: an operator uploads a sheet
// that is held; the uploader may not approve it (four eyes); another approver does, the batch runs to its end,
// its reports download, a row that needs review is resolved on its own page; a second batch is cancelled; and
// the console refuses what it must (a wrong password, a form without its CSRF token, a viewer's action).
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import sparticuzChromium from '@sparticuz/chromium';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/console/auth.ts';
import { repoRoot, spawnCli, tempDir, waitFor, writeJson } from '../helpers/cli.ts';
import { freePort, providerSheet, refFor } from '../helpers/sheets.ts';

const PASSWORDS = { ana: 'ana-operator-pw', maria: 'maria-approver-pw', olga: 'olga-approver-pw', victor: 'victor-viewer-pw' };

let dir: string;
let base: string;
let watch: ChildProcess;
let browser: Browser;
let batchA: string;
let batchB: string;

async function launch(): Promise<Browser> {
  sparticuzChromium.setGraphicsMode = false;
  const executablePath = process.env.PAYBATCH_CHROMIUM ?? (await sparticuzChromium.executablePath());
  // This machine's network is closed: Chromium's own background connections are switched off.
  const flags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  // @sparticuz/chromium's args are for a serverless sandbox; its --single-process crashes the browser when a
  // second context closes, and each user here signs in in a context of their own.
  const sparticuzArgs = process.env.PAYBATCH_CHROMIUM ? [] : sparticuzChromium.args.filter((a) => a !== '--single-process');
  return chromium.launch({ executablePath, args: [...sparticuzArgs, ...flags], headless: true, timeout: 60_000 });
}

async function signIn(name: keyof typeof PASSWORDS): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: base, acceptDownloads: true });
  // Playwright waits forever by default outside its own runner: a missing element fails the test instead.
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(PASSWORDS[name]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Batches' }).waitFor();
  return { context, page };
}

/** Uploads a sheet on /upload and answers the id of the batch its page links once intake has read it. */
async function upload(page: Page, name: string, csv: string): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, csv);
  await page.goto('/upload');
  await page.getByLabel('Provider').selectOption('vexora');
  await page.getByLabel('Payout sheet').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload' }).click();
  const link = page.locator('main a[href^="/batches/"]');
  await link.waitFor({ timeout: 30_000 });
  return (await link.textContent())!.trim();
}

/** The batch page, reloaded until `probe` holds. */
async function batchPageUntil(page: Page, id: string, what: string, probe: (text: string) => boolean): Promise<string> {
  return waitFor(what, async () => {
    await page.goto(`/batches/${id}`);
    const text = await page.locator('main').innerText();
    return probe(text) ? text : undefined;
  }, 60_000);
}

const stateOf = async (page: Page) => (await page.locator('.facts .state').innerText()).trim();

beforeAll(async () => {
  dir = tempDir('paybatch-console-');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = writeJson(path.join(dir, 'config.json'), {
    work: path.join(dir, 'work'),
    provider: 'vexora',
    intake: { stableSeconds: 0.2, tickSeconds: 0.2 },
    // Every batch waits for a person; the file limit holds them too, whichever control this build has.
    approval: { required: 'always', fourEyes: true },
    limits: { maxFileTotal: { ARS: '1.00' } },
    providers: {
      vexora: {
        baseUrl: 'sandbox',
        sandbox: { settleAfterSeconds: 0.3 },
        rate: { perSecond: 50, concurrency: 4 },
        // About two seconds: a row that never settles (account ending 0003) goes to needs_review quickly.
        poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.4, deadlineHours: 0.0006 },
      },
    },
    console: {
      host: '127.0.0.1',
      port,
      users: [
        { name: 'ana', password: 'env:PAYBATCH_TEST_ANA', roles: ['operator'] },
        { name: 'maria', passwordHash: hashPassword(PASSWORDS.maria), roles: ['approver'] },
        { name: 'olga', passwordHash: hashPassword(PASSWORDS.olga), roles: ['viewer', 'approver'] },
        { name: 'victor', password: PASSWORDS.victor, roles: ['viewer'] },
      ],
    },
  });
  watch = spawnCli(['watch', '--config', config], { env: { PAYBATCH_TEST_ANA: PASSWORDS.ana } });
  let out = '';
  watch.stdout!.on('data', (d) => (out += d));
  watch.stderr!.on('data', (d) => (out += d));
  await waitFor(`the console to listen (${out})`, () => out.includes('console on'), 30_000);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  if (watch && watch.exitCode === null) {
    const exited = new Promise((r) => watch.once('exit', r));
    watch.kill('SIGTERM');
    await exited;
  }
});

describe('the web console', () => {
  it('keeps every page behind sign-in, and a wrong password says so without saying which part was wrong', async () => {
    const context = await browser.newContext({ baseURL: base });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Name').fill('ana');
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toBe('Wrong name or password.');
    await page.getByLabel('Name').fill('nobody');
    await page.getByLabel('Password').fill('whatever');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toBe('Wrong name or password.');
    expect((await context.cookies()).some((c) => c.name === 'pb_session')).toBe(false);
    // Repeated failures for one name are throttled (5 in 5 minutes), whatever the password.
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Name').fill('mallory');
      await page.getByLabel('Password').fill(`guess-${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').innerText()).resolves.toBe('Wrong name or password.');
    }
    await page.getByLabel('Name').fill('mallory');
    await page.getByLabel('Password').fill('guess-5');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/^Too many failed sign-ins for this name/);
    await context.close();
  });

  it('sets the session cookie HttpOnly and SameSite=Strict', async () => {
    const { context } = await signIn('ana');
    const cookie = (await context.cookies()).find((c) => c.name === 'pb_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await context.close();
  });

  it("lands an operator's upload as a held batch", async () => {
    const { context, page } = await signIn('ana');
    const sheet = providerSheet('vexora', [
      { ref: refFor('vexora', 'CA', 1), ending: '1111' },
      { ref: refFor('vexora', 'CA', 2), ending: '1111' },
      { ref: refFor('vexora', 'CA', 3), ending: '1111' },
      { ref: refFor('vexora', 'CA', 4), ending: '0002' },
      { ref: refFor('vexora', 'CA', 5), ending: '0003' },
    ]);
    batchA = await upload(page, 'payouts-a.csv', sheet);
    await batchPageUntil(page, batchA, 'batch A held', (t) => t.includes('held'));
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain(batchA);
    expect(await stateOf(page)).toBe('held');
    expect(await page.locator('.facts .hold').innerText()).not.toBe('');
    // An operator may cancel a held batch, not approve it.
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Cancel batch' }).count()).toBe(1);
    await context.close();
  });

  it('refuses, on the page, an approval by the person who uploaded the sheet (four eyes)', async () => {
    const { context, page } = await signIn('maria');
    const sheet = providerSheet('vexora', [
      { ref: refFor('vexora', 'CB', 1), ending: '1111' },
      { ref: refFor('vexora', 'CB', 2), ending: '1111' },
    ]);
    batchB = await upload(page, 'payouts-b.csv', sheet);
    await batchPageUntil(page, batchB, 'batch B held', (t) => t.includes('held'));
    await page.getByLabel('Note').fill('my own sheet');
    await page.getByRole('button', { name: 'Approve' }).click();
    const alert = await page.getByRole('alert').innerText();
    expect(alert).toMatch(/four eyes|releas|upload/i);
    expect(await page.content()).not.toMatch(/at \w+ \(|\.ts:\d+/); // never a stack trace
    expect(await stateOf(page)).toBe('held');
    await context.close();
  });

  it("runs the batch to its end after another approver's approval", async () => {
    const { context, page } = await signIn('olga');
    await page.goto('/');
    await page.getByRole('link', { name: batchA }).click();
    await page.getByLabel('Note').fill('checked against the payroll');
    await page.getByRole('button', { name: 'Approve' }).click();
    expect(await page.getByRole('status').innerText()).toContain('Approved');
    const text = await batchPageUntil(page, batchA, 'batch A completed', (t) => /\bcompleted\b/.test(t));
    expect(await stateOf(page)).toBe('completed');
    expect(text).toMatch(/ARS: file [\d.]+ = succeeded [\d.]+ \+ failed [\d.]+ .* ✓/);
    expect(await page.getByRole('progressbar').count()).toBe(0);
    const counts = await page.locator('table.counts tbody td').allInnerTexts();
    expect(counts).toEqual(['3', '1', '0', '0', '0', '0', '0', '1']); // succeeded … needs_review
    // A test artefact to look at (test/artifacts/, not compared); the README shows a copy, docs/console-batch.png.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(repoRoot, 'test', 'artifacts', 'console-batch.png'), fullPage: true });
    await context.close();
  });

  it('downloads the four reports', async () => {
    const { context, page } = await signIn('victor');
    await page.goto(`/batches/${batchA}`);
    for (const name of ['results.xlsx', 'results.csv', 'reconciliation.xlsx', 'reconciliation.csv']) {
      const href = await page.getByRole('link', { name, exact: true }).getAttribute('href');
      const res = await page.request.get(href!);
      expect(res.status(), name).toBe(200);
      expect(res.headers()['content-disposition']).toBe(`attachment; filename="${batchA}-${name}"`);
      const body = await res.body();
      if (name.endsWith('.xlsx')) {
        expect(res.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        expect(body.subarray(0, 2).toString()).toBe('PK');
      } else {
        expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8');
        expect(body.toString()).toContain(name === 'results.csv' ? 'payout_status' : 'invariant');
      }
      if (name === 'results.csv') {
        const text = body.toString();
        expect(text.match(/succeeded/g)?.length).toBeGreaterThanOrEqual(3);
        expect(text).not.toMatch(/0000003100\d{8}1111/); // account numbers masked
      }
    }
    await context.close();
  });

  it('filters the rows by payout_status', async () => {
    const { context, page } = await signIn('victor');
    await page.goto(`/batches/${batchA}`);
    expect(await page.locator('table.rows tbody tr').count()).toBe(5);
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    const statuses = await page.locator('table.rows tbody tr td:nth-child(5)').allInnerTexts();
    expect(statuses).toEqual(['failed']);
    expect(await page.getByLabel('Status').inputValue()).toBe('failed');
    await page.getByLabel('Status').selectOption('all');
    await page.waitForURL((u) => !u.search.includes('status=failed'));
    expect(await page.locator('table.rows tbody tr').count()).toBe(5);
    await context.close();
  });

  it('resolves a needs_review row on its own page', async () => {
    const { context, page } = await signIn('olga');
    await page.goto(`/batches/${batchA}?status=needs_review`);
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('heading', { name: /Resolve payout/ }).waitFor();
    await page.getByLabel('Failed').check();
    await page.getByLabel('Note').fill('provider confirmed by phone: never paid');
    await page.getByRole('button', { name: 'Resolve payout' }).click();
    expect(await page.getByRole('status').innerText()).toContain('resolved');
    const counts = await page.locator('table.counts tbody td').allInnerTexts();
    expect(counts).toEqual(['3', '2', '0', '0', '0', '0', '0', '0']);
    await context.close();
  });

  it('cancels a held batch', async () => {
    const { context, page } = await signIn('ana');
    const batchC = await upload(page, 'payouts-c.csv', providerSheet('vexora', [{ ref: refFor('vexora', 'CC', 1) }, { ref: refFor('vexora', 'CC', 2) }]));
    await batchPageUntil(page, batchC, 'batch C held', (t) => t.includes('held'));
    await page.getByLabel('Note').fill('wrong month');
    await page.getByRole('button', { name: 'Cancel batch' }).click();
    await page.locator('[role="alert"], [role="status"]').first().waitFor();
    expect(await page.getByRole('alert').count(), await page.locator('main').innerText()).toBe(0);
    await batchPageUntil(page, batchC, 'batch C cancelled', (t) => t.includes('cancelled'));
    expect(await stateOf(page)).toBe('cancelled');
    expect((await page.locator('table.rows tbody tr td:nth-child(5)').allInnerTexts()).every((s) => s === 'cancelled')).toBe(true);
    await context.close();
  });

  it('refuses a POST without its CSRF token (403)', async () => {
    const { context } = await signIn('olga');
    const session = (await context.cookies()).find((c) => c.name === 'pb_session')!;
    const res = await fetch(`${base}/batches/${batchB}/approve`, {
      method: 'POST',
      headers: { cookie: `pb_session=${session.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=sneaky',
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('CSRF');
    const wrong = await fetch(`${base}/batches/${batchB}/approve`, {
      method: 'POST',
      headers: { cookie: `pb_session=${session.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '_csrf=forged&note=sneaky',
      redirect: 'manual',
    });
    expect(wrong.status).toBe(403);
    await context.close();
  });

  it("refuses a viewer's action: the server answers 403 and the page says so", async () => {
    const { context, page } = await signIn('victor');
    const res = await page.goto('/upload');
    expect(res!.status()).toBe(403);
    expect(await page.getByRole('alert').innerText()).toContain('may not upload');
    expect(await page.getByLabel('Payout sheet').count()).toBe(0);
    // With a valid token, as the page's own form would send it: refused by role on the server.
    const token = await page.locator('form.signout input[name="_csrf"]').getAttribute('value');
    const post = await page.request.post(`/batches/${batchA}/approve`, { form: { _csrf: token!, note: 'x' }, maxRedirects: 0 });
    expect(post.status()).toBe(403);
    expect(await post.text()).toContain('may not approve');
    await context.close();
  });

  it('serves /metrics and /healthz without sign-in, from the journal', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/paybatch_payouts\{provider="vexora",status="succeeded"\} [3-9]/);
    expect(text).toMatch(/paybatch_payouts\{provider="vexora",status="failed"\} 2/);
    expect(text).toMatch(/paybatch_provider_requests_total\{provider="vexora",outcome="accepted"\} [1-9]/);
    expect(text).toContain('# TYPE paybatch_rate_limited_total counter');
    expect(text).toContain('# TYPE paybatch_rows_waiting gauge');
    expect(text).toContain('paybatch_deliveries_pending 0');
  });
});
