// DESIGN §12 delivery, as finance meets it: a real SMTP server (smtp-server, with AUTH) and a real HTTP
// receiver get what the CLI sends — batch.held with the release command, batch.completed with both workbooks
// and a valid signature, needs_review once, retries after a 451 or a 500 that never repeat a payout — and the
// SMTP password and the webhook secret appear in no log and no output.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sleep, spawnCli, startSandboxProcess, tempDir, waitFor, type CliResult, type SandboxProcess } from '../helpers/cli.ts';
import { allProviders, batchOf, moduleOf, runConfig, sandboxConfig, statsOf } from '../helpers/providers.ts';
import { accountNumbersOf, providerSheet, refFor, sandboxForce, sandboxPayouts, type RowSpec } from '../helpers/sheets.ts';

const PROVIDER = 'vexora';
const SMTP_USER = 'paybatch-mailer';
const SMTP_PASSWORD = 'smtp-Pa55word-not-in-logs-7f3a';
const WEBHOOK_SECRET = 'whsec-not-in-logs-0c9e2b41d7';
const ENV = { PAYBATCH_TEST_SMTP: '', PAYBATCH_TEST_WEBHOOK_SECRET: WEBHOOK_SECRET };

// ---- a real SMTP server, collecting what it accepts -------------------------------------------------

interface ReceivedMail {
  rcptTo: string[];
  headers: Map<string, string>;
  subject: string;
  messageId: string;
  text: string;
  attachments: { filename: string; content: Buffer }[];
}

/** Quoted-printable or base64 to bytes (the transfer encodings nodemailer writes). */
function decodeBody(body: string, encoding: string | undefined): Buffer {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const soft = body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
        bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
    return Buffer.from(bytes);
  }
  return Buffer.from(body, 'utf8');
}

/** RFC 2047 encoded words (a subject with non-ASCII characters) as text. */
function decodeWords(value: string): string {
  return value.replace(/=\?UTF-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, kind: string, text: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeBody(text.replace(/_/g, ' '), 'quoted-printable').toString('utf8'),
  );
}

/** Headers (unfolded, lower-cased names) and body of one MIME entity. */
function entity(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, at).replace(/\r?\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(at).replace(/^\r?\n\r?\n/, '') };
}

/** Enough of MIME for these tests: the text part and the attachments' names and bytes, nested multiparts included. */
function parseMail(raw: string, rcptTo: string[]): ReceivedMail {
  const top = entity(raw);
  const mail: ReceivedMail = { rcptTo, headers: top.headers, subject: decodeWords(top.headers.get('subject') ?? ''), messageId: top.headers.get('message-id') ?? '', text: '', attachments: [] };
  const walk = (e: { headers: Map<string, string>; body: string }) => {
    const type = e.headers.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/.exec(type)?.[1];
    if (type.startsWith('multipart/') && boundary) {
      for (const part of e.body.split(`--${boundary}`).slice(1)) if (!part.startsWith('--')) walk(entity(part.replace(/^\r?\n/, '')));
      return;
    }
    const content = decodeBody(e.body, e.headers.get('content-transfer-encoding')?.toLowerCase());
    const disposition = e.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1];
    if (filename) mail.attachments.push({ filename, content });
    else if (type.startsWith('text/plain')) mail.text += content.toString('utf8');
  };
  walk(top);
  return mail;
}

interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** DATA answers 451 this many more times (a server that is busy, greylisting). */
  refuseNext: number;
  refused: number;
  close(): Promise<void>;
}

async function startSmtp(): Promise<SmtpReceiver> {
  const receiver = { mails: [] as ReceivedMail[], refuseNext: 0, refused: 0 } as SmtpReceiver;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (receiver.refuseNext > 0) {
          receiver.refuseNext--;
          receiver.refused++;
          // A server that echoes what it was given (here the password it saw): the answer lands in logs and status.
          return callback(Object.assign(new Error(`Greylisted, try again later (auth ${SMTP_PASSWORD})`), { responseCode: 451 }));
        }
        receiver.mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.port = (server.server.address() as AddressInfo).port;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

// ---- a real HTTP receiver for the webhook -----------------------------------------------------------

interface Posted {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: { id: string; event: string; sent_at: string; batch: { id: string; state: string; counts: Record<string, number> }; rows: Record<string, string>[] };
  answered: number;
}

interface HttpReceiver {
  url: string;
  posts: Posted[];
  /** Statuses answered next, in order; 200 once empty. */
  plan: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<HttpReceiver> {
  const receiver = { posts: [] as Posted[], plan: [] as number[] } as HttpReceiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const answered = receiver.plan.shift() ?? 200;
      receiver.posts.push({ headers: req.headers, raw, body: JSON.parse(raw), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' });
      res.end(answered === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/paybatch`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

// ---- the scenarios ----------------------------------------------------------------------------------

let dir: string;
let sandbox: SandboxProcess;
let smtp: SmtpReceiver;
let hooks: HttpReceiver;

beforeAll(async () => {
  dir = tempDir('paybatch-notify-');
  [sandbox, smtp, hooks] = await Promise.all([startSandboxProcess(PROVIDER, sandboxConfig(dir, PROVIDER, {})), startSmtp(), startReceiver()]);
  ENV.PAYBATCH_TEST_SMTP = `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`;
}, 30_000);

afterAll(async () => {
  await Promise.all([sandbox?.stop(), smtp?.close(), hooks?.close()]);
});

/** A work folder and its config: e-mail and webhook through env: secrets, retries within a second. */
function setup(
  name: string,
  rows: RowSpec[],
  options: { block?: Record<string, unknown>; top?: Record<string, unknown>; email?: Record<string, unknown>; provider?: string; url?: string } = {},
) {
  const provider = options.provider ?? PROVIDER;
  const work = path.join(dir, `${name}-work`);
  const file = path.join(dir, `${name}.csv`);
  const csv = providerSheet(provider, rows);
  fs.writeFileSync(file, csv);
  const cfg = runConfig(path.join(dir, `${name}.json`), provider, work, options.url ?? sandbox.url, options.block ?? {}, {
    notify: {
      email: { smtp: 'env:PAYBATCH_TEST_SMTP', from: 'paybatch@example.com', to: ['finance@example.com'], ...options.email },
      webhook: { url: hooks.url, secret: 'env:PAYBATCH_TEST_WEBHOOK_SECRET' },
      retry: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.5, giveUpHours: 1 },
    },
    ...options.top,
  });
  return { work, file, cfg, accounts: accountNumbersOf(provider, csv) };
}

const cli = (args: string[], timeoutMs = 60_000) => runCli(args, { env: ENV, timeoutMs });
const mailsOf = (batchId: string) => smtp.mails.filter((m) => m.subject.includes(batchId));
/** The mails of one event: its Message-ID is the delivery id (`<batch>.<event>[.<n>].email`). */
const mailsFor = (batchId: string, event: string) => mailsOf(batchId).filter((m) => m.messageId.startsWith(`<${batchId}.${event}.`));
const postsOf = (batchId: string) => hooks.posts.filter((p) => p.body.batch.id === batchId);
const verified = (p: Posted) => p.headers['x-paybatch-signature'] === `sha256=${crypto.createHmac('sha256', WEBHOOK_SECRET).update(p.raw).digest('hex')}`;

function logsOf(work: string): string {
  const logs = path.join(work, 'logs');
  return fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('\n');
}

function expectNoSecrets(work: string, outputs: CliResult[]): void {
  const everything = [logsOf(work), ...outputs.flatMap((r) => [r.stdout, r.stderr])].join('\n');
  for (const secret of [SMTP_PASSWORD, WEBHOOK_SECRET]) expect(everything.includes(secret), `secret in logs or output`).toBe(false);
}

describe('notify: e-mail and webhook (DESIGN §12)', () => {
  it('a held batch mails and posts batch.held with the release command; approve → paid → batch.completed with both workbooks and a valid signature, once', async () => {
    const refs = [1, 2].map((i) => refFor(PROVIDER, 'NTHOLD', i));
    const { work, file, cfg, accounts } = setup('held', refs.map((ref) => ({ ref, amount: '150.00' })), { top: { limits: { maxFileTotal: { ARS: '200.00' } } } });

    const run = await cli(['run', file, '--config', cfg, '--json']);
    expect(run.code, run.stderr).toBe(3);
    const held = batchOf(run);
    expect(held.state).toBe('held');
    // `run` made the first attempt before it exited.
    const [heldMail] = mailsOf(held.id);
    expect(mailsOf(held.id)).toHaveLength(1);
    expect(heldMail!.subject).toContain(`batch ${held.id} held`);
    expect(heldMail!.rcptTo).toEqual(['finance@example.com']);
    expect(heldMail!.text).toContain(`paybatch approve ${held.id}`);
    expect(heldMail!.text).toContain(`paybatch cancel ${held.id}`);
    expect(heldMail!.text).toMatch(/a limit: .*maxFileTotal/);
    expect(heldMail!.text).toMatch(/ARS: file 300\.00 ARS in 2 row\(s\)/);
    expect(heldMail!.messageId).toMatch(new RegExp(`^<${held.id}\\.held\\.1\\.email@paybatch>$`));
    const [heldPost] = postsOf(held.id);
    expect(postsOf(held.id)).toHaveLength(1);
    expect(heldPost!.body).toMatchObject({ event: 'batch.held', id: `${held.id}.held.1.webhook`, batch: { id: held.id, state: 'held' }, rows: [] });
    expect(heldPost!.headers['x-paybatch-event-id']).toBe(heldPost!.body.id);
    expect(verified(heldPost!)).toBe(true);
    expect(Math.abs(Date.parse(heldPost!.body.sent_at) - Date.now())).toBeLessThan(60_000);

    const approve = await cli(['approve', held.id, '--by', 'controller', '--config', cfg]);
    expect(approve.code, approve.stderr).toBe(0);
    const go = await cli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    expect(batchOf(go)).toMatchObject({ id: held.id, state: 'completed' });

    const completed = mailsFor(held.id, 'completed');
    expect(completed).toHaveLength(1);
    const mail = completed[0]!;
    expect(mail.subject).toContain(`batch ${held.id} completed`);
    expect(mail.attachments.map((a) => a.filename).sort()).toEqual([`${held.id}-reconciliation.xlsx`, `${held.id}-results.xlsx`]);
    // Real workbooks: ZIP files (PK).
    for (const a of mail.attachments) expect(a.content.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(mail.text).toContain('succeeded: 300.00 ARS (2)');
    expect(mail.text).toMatch(/ARS: file 300\.00 = succeeded 300\.00 \+ .* ✓/);
    // Accounts masked as in the reports, never whole.
    for (const account of accounts) {
      for (const m of mailsOf(held.id)) expect(m.text.includes(account)).toBe(false);
      for (const p of postsOf(held.id)) expect(p.raw.includes(account)).toBe(false);
    }
    const post = postsOf(held.id).find((p) => p.body.event === 'batch.completed')!;
    expect(post.body.batch).toMatchObject({ id: held.id, state: 'completed', counts: { succeeded: 2 } });
    expect(verified(post)).toBe(true);
    // A tampered body does not verify with the same signature.
    expect(verified({ ...post, raw: post.raw.replace('"completed"', '"cancelled"') })).toBe(false);

    // Nothing is sent twice: another run-once finds nothing new.
    const again = await cli(['run-once', '--config', cfg, '--json']);
    expect(again.code).toBe(0);
    expect(mailsOf(held.id)).toHaveLength(2);
    expect(postsOf(held.id)).toHaveLength(2);
    const status = await cli(['status', '--config', cfg, '--json']);
    expect(JSON.parse(status.stdout).deliveries).toEqual({ pending: 0, given_up: [] });
    expectNoSecrets(work, [run, approve, go, again, status]);
  }, 120_000);

  it('needs_review is sent once, with its references and the resolve command; a provider block’s notify.to chooses the recipients; a results.xlsx over maxAttachmentMB says where it is', async () => {
    const refs = [1, 2].map((i) => refFor(PROVIDER, 'NTREV', i));
    const { work, file, cfg } = setup('review', [{ ref: refs[0]!, ending: '1111' }, { ref: refs[1]!, ending: '0003' }], {
      block: { poll: { firstAfterSeconds: 0.2, maxIntervalSeconds: 0.3, deadlineHours: 0.0003 }, notify: { to: ['ops-vexora@example.com'] } },
      email: { maxAttachmentMB: 0.001 },
    });
    const run = await cli(['run', file, '--config', cfg, '--json']);
    expect(run.code, run.stderr).toBe(3);
    const b = batchOf(run);
    expect(b).toMatchObject({ state: 'completed', counts: { needs_review: 1, succeeded: 1 } });

    const review = mailsFor(b.id, 'needs_review');
    expect(review).toHaveLength(1);
    expect(review[0]!.rcptTo).toEqual(['ops-vexora@example.com']);
    expect(review[0]!.text).toContain(refs[1]);
    expect(review[0]!.text).not.toContain(refs[0]);
    expect(review[0]!.text).toContain('paybatch resolve <reference> --as succeeded|failed');
    const reviewPost = postsOf(b.id).filter((p) => p.body.event === 'batch.needs_review');
    expect(reviewPost).toHaveLength(1);
    expect(reviewPost[0]!.body.rows).toEqual([{ reference: refs[1], amount: expect.any(String), currency: 'ARS', status: 'needs_review' }]);

    const completed = mailsFor(b.id, 'completed')[0]!;
    expect(completed.attachments.map((a) => a.filename)).toEqual([`${b.id}-reconciliation.xlsx`]);
    expect(completed.text).toMatch(/results\.xlsx \(.* MB\) is larger than notify\.email\.maxAttachmentMB and is not attached: .*results\.xlsx/);

    // Once: later runs (and a resolve) add no second needs_review.
    await cli(['run-once', '--config', cfg]);
    const resolve = await cli(['resolve', refs[1]!, '--as', 'failed', '--note', 'bank says no transfer', '--config', cfg]);
    expect(resolve.code, resolve.stderr).toBe(0);
    await cli(['run-once', '--config', cfg]);
    expect(mailsFor(b.id, 'needs_review')).toHaveLength(1);
    expect(postsOf(b.id).filter((p) => p.body.event === 'batch.needs_review')).toHaveLength(1);
    expectNoSecrets(work, [run, resolve]);
  }, 120_000);

  it('an SMTP 451 and a webhook 500 on the first attempt: both delivered once by the next process, and no payout is repeated', async () => {
    const refs = [1, 2, 3].map((i) => refFor(PROVIDER, 'NTRETRY', i));
    const { work, file, cfg } = setup('retry', refs.map((ref) => ({ ref })));
    smtp.refuseNext = 1;
    hooks.plan = [500];
    const refusedBefore = smtp.refused;

    const run = await cli(['run', file, '--config', cfg, '--json']);
    expect(run.code, run.stderr).toBe(0); // a failed delivery changes no exit code
    const b = batchOf(run);
    expect(b.state).toBe('completed');
    expect(smtp.refused).toBe(refusedBefore + 1);
    expect(mailsOf(b.id)).toHaveLength(0);
    expect(postsOf(b.id).map((p) => p.answered)).toEqual([500]);
    const pending = await cli(['status', b.id, '--config', cfg, '--json']);
    expect(JSON.parse(pending.stdout).deliveries).toEqual({ pending: 2, given_up: [] });
    // The server's answer is kept and logged, the password in it redacted.
    expect(logsOf(work)).toMatch(/451 Greylisted, try again later \(auth \[redacted\]\)/);
    const db = new Database(path.join(work, 'journal.sqlite'), { readonly: true });
    try {
      const stored = db.prepare('SELECT last_error FROM deliveries WHERE id = ?').get(`${b.id}.completed.email`) as { last_error: string };
      expect(stored.last_error).toContain('451 Greylisted, try again later (auth [redacted])');
    } finally {
      db.close();
    }

    // The workbooks are gone from the work folder meanwhile (another machine's batch, a tidy-up): rendered from the journal.
    fs.rmSync(b.reports.results_xlsx!);
    fs.rmSync(b.reports.reconciliation_xlsx!);
    await sleep(300); // past notify.retry.firstAfterSeconds
    const next = await cli(['run-once', '--config', cfg, '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(mailsOf(b.id)).toHaveLength(1);
    const mail = mailsOf(b.id)[0]!;
    expect(mail.messageId).toBe(`<${b.id}.completed.email@paybatch>`);
    expect(mail.attachments.map((a) => a.filename).sort()).toEqual([`${b.id}-reconciliation.xlsx`, `${b.id}-results.xlsx`]);
    expect(mail.attachments.every((a) => a.content.length > 1000)).toBe(true);
    // Rendering them for the mail did not move the batch's report paths.
    const after = await cli(['status', b.id, '--config', cfg, '--json']);
    expect(batchOf(after).reports).toEqual(b.reports);
    const posts = postsOf(b.id);
    expect(posts.map((p) => p.answered)).toEqual([500, 200]);
    // The same event both times, each attempt signed over its own body.
    expect(new Set(posts.map((p) => p.headers['x-paybatch-event-id']))).toEqual(new Set([`${b.id}.completed.webhook`]));
    expect(posts.every(verified)).toBe(true);

    await sleep(300);
    await cli(['run-once', '--config', cfg]);
    expect(mailsOf(b.id)).toHaveLength(1);
    expect(postsOf(b.id)).toHaveLength(2);
    const stats = await statsOf(sandbox.url);
    for (const ref of refs) expect(stats.created[ref], ref).toBe(1);
    const log = logsOf(work);
    expect(log).toContain('notification not delivered; tried again later');
    expect(log).toMatch(/451/);
    expectNoSecrets(work, [run, pending, next]);
  }, 120_000);

  it('a webhook answering 404 is given up at once, logged, and shown by status; the mail still goes', async () => {
    const refs = [1].map((i) => refFor(PROVIDER, 'NTGONE', i));
    const { work, file, cfg } = setup('gone', refs.map((ref) => ({ ref })));
    hooks.plan = [404];
    const run = await cli(['run', file, '--config', cfg, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const b = batchOf(run);
    expect(postsOf(b.id).map((p) => p.answered)).toEqual([404]);
    await sleep(300);
    await cli(['run-once', '--config', cfg]);
    expect(postsOf(b.id)).toHaveLength(1);
    expect(mailsOf(b.id)).toHaveLength(1);
    const status = await cli(['status', '--config', cfg, '--json']);
    expect(JSON.parse(status.stdout).deliveries).toEqual({
      pending: 0,
      given_up: [{ id: `${b.id}.completed.webhook`, event: 'batch.completed', batch: b.id, channel: 'webhook', error: 'HTTP 404', at: expect.any(String) }],
    });
    const human = await cli(['status', '--config', cfg]);
    expect(human.stdout).toMatch(/given up: batch\.completed \(webhook\) .*HTTP 404/);
    expect(logsOf(work)).toMatch(/notification given up \(refused\)/);
  }, 120_000);

  it('a late reversal after completion sends batch.reversed with the rewritten reports and the reversed row', async () => {
    const provider = allProviders.find((id) => moduleOf(id).defaults.canReverse)!;
    const reversing = await startSandboxProcess(provider, sandboxConfig(dir, provider, {}));
    try {
      const refs = [1, 2].map((i) => refFor(provider, 'NTLATE', i));
      const { work, file, cfg, accounts } = setup('reversal', refs.map((ref) => ({ ref })), { provider, url: reversing.url, top: { reversalWindowHours: 1, reversalCheckEveryMinutes: 0.001 } });
      const run = await cli(['run', file, '--config', cfg, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const b = batchOf(run);
      expect(mailsFor(b.id, 'completed')).toHaveLength(1);
      expect(await sandboxForce(reversing.url, refs[1]!, 'reversed')).toBe(200);
      await waitFor('the sandbox to reverse the payout', async () => (await sandboxPayouts(reversing.url)).find((p) => p.reference === refs[1] && p.state === 'reversed'), 60_000);

      const check = await cli(['run-once', '--config', cfg, '--json']);
      expect(check.code, check.stderr).toBe(0);
      const [mail, ...more] = mailsFor(b.id, 'reversed');
      expect(more).toHaveLength(0);
      expect(mail!.messageId).toBe(`<${b.id}.reversed.1.email@paybatch>`);
      expect(mail!.subject).toContain('1 payout(s) reversed after payment');
      expect(mail!.text).toContain(refs[1]);
      expect(mail!.text).not.toContain(`${refs[0]} `);
      expect(mail!.text).toContain(`account ****${accounts[1]!.slice(-4)}`);
      expect(mail!.text).not.toContain(accounts[1]);
      expect(mail!.attachments.map((a) => a.filename).sort()).toEqual([`${b.id}-reconciliation.xlsx`, `${b.id}-results.xlsx`]);
      const post = postsOf(b.id).find((p) => p.body.event === 'batch.reversed')!;
      expect(post.body.rows).toEqual([{ reference: refs[1], amount: expect.any(String), currency: expect.any(String), status: 'reversed' }]);
      expect(post.body.batch.counts).toMatchObject({ succeeded: 1, reversed: 1 });
      // batch.completed is not sent again, and a later check that finds nothing new sends nothing.
      await cli(['run-once', '--config', cfg]);
      expect(mailsFor(b.id, 'completed')).toHaveLength(1);
      expect(mailsFor(b.id, 'reversed')).toHaveLength(1);
      expectNoSecrets(work, [run, check]);
    } finally {
      await reversing.stop();
    }
  }, 120_000);

  it('watch sends on its ticks: a file refused whole mails and posts batch.rejected, a paid one batch.completed', async () => {
    const refs = [1, 2].map((i) => refFor(PROVIDER, 'NTWATCH', i));
    const { work, cfg } = setup('watch', [], { top: { intake: { stableSeconds: 0.2, tickSeconds: 0.2 } } });
    const watch = spawnCli(['watch', '--config', cfg], { env: ENV });
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to start', () => out.includes('watching') || undefined, 60_000);
      fs.writeFileSync(path.join(work, 'inbox', 'bad.csv'), providerSheet(PROVIDER, [{ ref: refs[0]!, amount: 'twelve' }]));
      const rejected = await waitFor('batch.rejected by mail', () => smtp.mails.find((m) => /\.rejected\.email@/.test(m.messageId) && m.text.includes('bad.csv')), 60_000);
      expect(rejected.subject).toMatch(/batch \S+ rejected/);
      expect(rejected.text).toContain('nothing of it was paid');
      expect(rejected.text).toMatch(/errors\.csv/);
      const batchId = rejected.messageId.slice(1, rejected.messageId.indexOf('.rejected'));
      await waitFor('batch.rejected by webhook', () => postsOf(batchId).find((p) => p.body.event === 'batch.rejected'), 60_000);

      fs.writeFileSync(path.join(work, 'inbox', 'good.csv'), providerSheet(PROVIDER, [{ ref: refs[1]! }]));
      const done = await waitFor('batch.completed by mail', () => smtp.mails.find((m) => /\.completed\.email@/.test(m.messageId) && m.text.includes('good.csv')), 60_000);
      expect(done.attachments).toHaveLength(2);
    } finally {
      const exited = new Promise<number | null>((resolve) => watch.once('exit', (code) => resolve(code)));
      watch.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(out.includes(SMTP_PASSWORD) || out.includes(WEBHOOK_SECRET)).toBe(false);
    expectNoSecrets(work, []);
  }, 120_000);

  it('cancel of a held batch sends batch.cancelled (with who and why) to both channels', async () => {
    const refs = [1, 2].map((i) => refFor(PROVIDER, 'NTCANCEL', i));
    const { file, cfg } = setup('cancel', refs.map((ref) => ({ ref, amount: '150.00' })), { top: { limits: { maxFileTotal: { ARS: '200.00' } } } });
    const run = await cli(['run', file, '--config', cfg, '--json']);
    expect(run.code, run.stderr).toBe(3);
    const b = batchOf(run);
    const cancel = await cli(['cancel', b.id, '--by', 'controller', '--note', 'wrong file uploaded', '--config', cfg]);
    expect(cancel.code, cancel.stderr).toBe(1);
    await cli(['run-once', '--config', cfg]);
    const mails = mailsFor(b.id, 'cancelled');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('Cancelled by controller');
    expect(mails[0]!.text).toContain('wrong file uploaded');
    expect(postsOf(b.id).filter((p) => p.body.event === 'batch.cancelled').map((p) => p.body.batch.state)).toEqual(['cancelled']);
    const stats = await statsOf(sandbox.url);
    for (const ref of refs) expect(stats.createRequests[ref] ?? 0, ref).toBe(0);
  }, 120_000);
});
