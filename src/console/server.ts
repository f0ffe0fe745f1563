// The web console (DESIGN §13): fastify, server-rendered pages, sessions in memory, a CSRF token on every form,
// roles checked here for every action, and /metrics and /healthz without sign-in. `watch` serves it beside its
// daemon; `paybatch console` alone. What people do goes through engine/controls.ts, as the CLI's commands do.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import type { Engine } from '../engine/engine.ts';
import { approveBatch, cancelBatch, ControlRefused, findPayout, osUser, resolvePayout, uploaderKey, type Actor } from '../engine/controls.ts';
import { takeInboxFile } from '../engine/inbox.ts';
import { reportOptions } from '../engine/reporting.ts';
import { freePath, workFolders } from '../intake/folders.ts';
import { acquireWorkLock, WorkFolderBusy } from '../intake/lock.ts';
import { getProvider } from '../providers/registry.ts';
import { CsrfTokens, may, Sessions, Users, type Action, type Session } from './auth.ts';
import { contentTypeOf, DOWNLOADS, reportFile, type DownloadName } from './downloads.ts';
import { metricsRegistry } from './metrics.ts';
import { batchPage, type Notices, type RowsQuery } from './pages/batch.ts';
import { batchesPage } from './pages/batches.ts';
import { isResultStatus } from './pages/format.ts';
import { html, layout, notice } from './pages/html.ts';
import { loginPage } from './pages/login.ts';
import { resolvePage } from './pages/resolve.ts';
import { uploadedPage, uploadPage } from './pages/upload.ts';
import { STATIC_FILES } from './static.ts';

export interface ConsoleServer {
  url: string;
  close(): Promise<void>;
}

export interface ConsoleOptions {
  /**
   * `paybatch console` alone reads its own uploads (under the work-folder lock, taken for that sheet only);
   * under `watch` the daemon's inbox watcher takes them.
   */
  ingestUploads: boolean;
}

const SESSION_COOKIE = 'pb_session';
const LOGIN_COOKIE = 'pb_login';
/** Sign-in failures allowed per name and window before that name is refused for the rest of the window. */
const SIGN_IN_FAILURES = { max: 5, timeWindow: 5 * 60 * 1000 };

type Body = Record<string, unknown>;
const field = (body: unknown, name: string): string => {
  const v = (body as Body | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

/** Only a path of this console, never another site (an open redirect after sign-in). */
const localPath = (next: string): string => (/^\/(?![/\\])/.test(next) ? next : '/');

export async function startConsole(engine: Engine, options: ConsoleOptions): Promise<ConsoleServer> {
  const { config, journal, log } = engine;
  const users = new Users(config);
  if (users.size === 0) log.warn('console: no console.users configured; nobody can sign in (the metrics and health pages still answer)');
  const sessions = new Sessions();
  const csrf = new CsrfTokens();
  const registry = metricsRegistry(journal);
  const serverOsUser = osUser();
  const folders = workFolders(config.workDir);
  const providers = Object.keys(config.providers).filter((id) => getProvider(id));
  // Made now, before `watch` starts its inbox watcher: a folder created just before an upload's rename could be
  // scanned after the sheet arrived, and the sheet missed.
  for (const id of providers) fs.mkdirSync(path.join(folders.inbox, id), { recursive: true, mode: 0o700 });
  /** Uploads of this process: sheet SHA-256 → file name (the page that waits for its batch names it). */
  const uploads = new Map<string, string>();
  let ingesting: Promise<void> = Promise.resolve();

  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'self'"], baseUri: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], objectSrc: ["'none'"] },
    },
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyMultipart, { limits: { fileSize: config.sheet.maxFileBytes, files: 1, fields: 4, fieldSize: 1024 } });
  await app.register(fastifyRateLimit, { global: false });
  const signInFailures = app.createRateLimit({
    ...SIGN_IN_FAILURES,
    keyGenerator: (req) => `sign-in:${field(req.body, 'name').trim().toLowerCase()}`,
  });

  const sessionOf = (req: FastifyRequest): Session | undefined => sessions.get(req.cookies[SESSION_COOKIE]);
  const send = (reply: FastifyReply, status: number, page: string) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  const ctxOf = (s: Session) => ({ user: s.user, csrf: csrf.tokenFor(s.id), roles: s.user.roles });
  const actorOf = (s: Session): Actor => ({ by: s.user.name, osUser: serverOsUser, via: 'console' });
  const messagePage = (s: Session | undefined, status: number, title: string, text: string) =>
    layout({ title, csrf: s ? csrf.tokenFor(s.id) : '', user: s?.user }, html`<h1>${title}</h1>${notice('error', text)}<p><a href="/">Batches</a></p>`);

  /** The signed-in session, or a redirect to the sign-in page (GET) / 403 (anything else). */
  function signedIn(req: FastifyRequest, reply: FastifyReply): Session | undefined {
    const s = sessionOf(req);
    if (s) return s;
    if (req.method === 'GET') void reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    else void send(reply, 403, messagePage(undefined, 403, 'Sign in first', 'Your session has ended: sign in again.'));
    return undefined;
  }

  /** A POST of a signed-in user allowed to `action`, with the session's CSRF token; else answered here. */
  function allowed(req: FastifyRequest, reply: FastifyReply, action: Action, token: unknown): Session | undefined {
    const s = signedIn(req, reply);
    if (!s) return undefined;
    if (!csrf.valid(s.id, token)) {
      void send(reply, 403, messagePage(s, 403, 'Refused', 'The form was not sent from this console (missing or wrong CSRF token): reload the page and try again.'));
      return undefined;
    }
    if (!may(s.user.roles, action)) {
      void send(reply, 403, messagePage(s, 403, 'Refused', `${s.user.name} (${s.user.roles.join(', ')}) may not ${action.replace('-', ' a ')}: ask someone with that role.`));
      return undefined;
    }
    return s;
  }

  app.setErrorHandler((error, req, reply) => {
    const err = error as Error & { statusCode?: number };
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error('console: request failed', { url: req.url, method: req.method, error: err.message, stack: err.stack });
    const text = status === 500 ? 'Something went wrong on the server; the log has the details.' : err.message;
    void send(reply, status, messagePage(sessionOf(req), status, status === 500 ? 'Error' : 'Refused', text));
  });
  app.setNotFoundHandler((req, reply) => send(reply, 404, messagePage(sessionOf(req), 404, 'Not found', `Nothing at ${req.url}.`)));

  // ---- without sign-in ----
  app.get('/healthz', async (_req, reply) => {
    journal.countBatches(); // a journal that cannot be read is not healthy
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).header('cache-control', 'no-store').send(await registry.metrics()));
  app.get<{ Params: { name: string } }>('/static/:name', async (req, reply) => {
    const file = STATIC_FILES[req.params.name];
    if (!file) return send(reply, 404, messagePage(undefined, 404, 'Not found', 'No such file.'));
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });

  // ---- sign-in ----
  const loginBinding = (req: FastifyRequest) => req.cookies[LOGIN_COOKIE];
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, path: '/' };
  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) => {
    let nonce = loginBinding(req);
    if (!nonce) {
      nonce = crypto.randomBytes(16).toString('base64url');
      void reply.setCookie(LOGIN_COOKIE, nonce, cookieOptions);
    }
    return send(reply, 200, loginPage(csrf.tokenFor(`login:${nonce}`), undefined, localPath(req.query.next ?? '/')));
  });
  app.post('/login', async (req, reply) => {
    const nonce = loginBinding(req);
    const name = field(req.body, 'name').trim();
    const next = localPath(field(req.body, 'next') || '/');
    const again = (status: number, text: string) => send(reply, status, loginPage(csrf.tokenFor(`login:${nonce}`), text, next));
    if (!nonce || !csrf.valid(`login:${nonce}`, field(req.body, '_csrf')))
      return send(reply, 403, messagePage(undefined, 403, 'Refused', 'The sign-in form was not sent from this console: open the sign-in page again.'));
    // A look without counting: only failures count (below), and the name is refused once none are left.
    const status = await signInFailures(req, { increment: false });
    if (!status.isAllowed && (status.isExceeded || status.remaining <= 0)) {
      log.warn('console: sign-in throttled', { name });
      return again(429, `Too many failed sign-ins for this name: try again in ${Math.ceil(status.ttlInSeconds / 60)} minute(s).`);
    }
    const user = users.signIn(name, field(req.body, 'password'));
    if (!user) {
      await signInFailures(req);
      log.warn('console: sign-in failed', { name });
      return again(401, 'Wrong name or password.');
    }
    const session = sessions.create(user);
    log.info('console: signed in', { name: user.name });
    void reply.setCookie(SESSION_COOKIE, session.id, cookieOptions).clearCookie(LOGIN_COOKIE, { path: '/' });
    return reply.redirect(next, 303);
  });
  app.post('/logout', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    if (!csrf.valid(s.id, field(req.body, '_csrf'))) return send(reply, 403, messagePage(s, 403, 'Refused', 'The form was not sent from this console.'));
    sessions.end(s.id);
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/login', 303);
  });

  // ---- batches ----
  app.get('/', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    return send(reply, 200, batchesPage(engine, ctxOf(s)));
  });

  const rowsQuery = (q: Record<string, string | undefined>): RowsQuery => {
    const row = (v: string | undefined) => (v && /^\d{1,9}$/.test(v) ? Number(v) : null);
    return { status: isResultStatus(q.status) ? q.status : null, after: row(q.after), before: row(q.before) };
  };
  const showBatch = (reply: FastifyReply, s: Session, id: string, q: RowsQuery, status: number, notices: Notices) => {
    const batch = journal.getBatch(id);
    if (!batch) return send(reply, 404, messagePage(s, 404, 'Not found', `No batch ${id}.`));
    return send(reply, status, batchPage(engine, batch, q, ctxOf(s), notices));
  };
  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>('/batches/:id', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    const done = req.query.done;
    return showBatch(reply, s, req.params.id, rowsQuery(req.query), 200, { info: done === 'approved' ? 'Approved: the batch is released.' : done === 'cancelled' ? 'Cancelled.' : done === 'resolved' ? 'Payout resolved.' : undefined });
  });

  app.get<{ Params: { id: string; file: string } }>('/batches/:id/:file', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    const batch = journal.getBatch(req.params.id);
    const name = req.params.file as DownloadName;
    if (!batch || !DOWNLOADS.includes(name)) return send(reply, 404, messagePage(s, 404, 'Not found', `No ${req.params.file} for ${req.params.id}.`));
    const download = await reportFile(journal, batch, name, config.workDir, reportOptions(engine));
    const stream = fs.createReadStream(download.file);
    stream.once('close', () => void download.done());
    return reply
      .type(contentTypeOf(name))
      .header('content-disposition', `attachment; filename="${`${batch.id}-${name}`.replace(/[^\w.-]/g, '_')}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });

  /** Runs a control and answers the batch page: redirected on success, the refusal as text otherwise. */
  async function control(req: FastifyRequest, reply: FastifyReply, batchId: string, s: Session, run: () => Promise<unknown>, done: string) {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ControlRefused)) throw err;
      log.warn('console: control refused', { batchId, by: s.user.name, reason: err.message });
      return showBatch(reply, s, batchId, rowsQuery({}), 409, { error: err.message });
    }
    return reply.redirect(`/batches/${encodeURIComponent(batchId)}?done=${done}`, 303);
  }
  app.post<{ Params: { id: string } }>('/batches/:id/approve', async (req, reply) => {
    const s = allowed(req, reply, 'approve', field(req.body, '_csrf'));
    if (!s) return reply;
    return control(req, reply, req.params.id, s, () => approveBatch(engine, req.params.id, actorOf(s), field(req.body, 'note')), 'approved');
  });
  app.post<{ Params: { id: string } }>('/batches/:id/cancel', async (req, reply) => {
    const held = journal.getBatch(req.params.id)?.state === 'held';
    const s = allowed(req, reply, held ? 'cancel-held' : 'cancel', field(req.body, '_csrf'));
    if (!s) return reply;
    const note = field(req.body, 'note').trim();
    if (!note) return showBatch(reply, s, req.params.id, rowsQuery({}), 400, { error: 'A note is required: say why the batch is cancelled.' });
    return control(req, reply, req.params.id, s, () => cancelBatch(engine, req.params.id, actorOf(s), note), 'cancelled');
  });

  // ---- resolve ----
  app.get<{ Params: { id: string } }>('/payouts/:id/resolve', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    const payout = findPayout(engine, req.params.id);
    const batch = payout && journal.getBatch(payout.batchId);
    if (!payout || !batch) return send(reply, 404, messagePage(s, 404, 'Not found', `No payout ${req.params.id}.`));
    const refusal = may(s.user.roles, 'resolve') ? undefined : `${s.user.name} (${s.user.roles.join(', ')}) may not resolve payouts: ask an approver.`;
    return send(reply, refusal ? 403 : 200, resolvePage(batch, payout, ctxOf(s), config.reports.maskAccountNumbers, refusal));
  });
  app.post<{ Params: { id: string } }>('/payouts/:id/resolve', async (req, reply) => {
    const s = allowed(req, reply, 'resolve', field(req.body, '_csrf'));
    if (!s) return reply;
    const as = field(req.body, 'as');
    try {
      const payout = await resolvePayout(engine, req.params.id, as as 'succeeded' | 'failed', actorOf(s), field(req.body, 'note'));
      return reply.redirect(`/batches/${encodeURIComponent(payout.batchId)}?done=resolved`, 303);
    } catch (err) {
      if (!(err instanceof ControlRefused)) throw err;
      const payout = findPayout(engine, req.params.id);
      const batch = payout && journal.getBatch(payout.batchId);
      if (!payout || !batch) return send(reply, 404, messagePage(s, 404, 'Not found', err.message));
      return send(reply, 409, resolvePage(batch, payout, ctxOf(s), config.reports.maskAccountNumbers, err.message));
    }
  });

  // ---- upload ----
  app.get('/upload', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    const refusal = may(s.user.roles, 'upload') ? undefined : `${s.user.name} (${s.user.roles.join(', ')}) may not upload sheets: ask an operator.`;
    return send(reply, refusal ? 403 : 200, uploadPage(refusal ? [] : providers, config.provider, ctxOf(s), { error: refusal }));
  });
  app.post('/upload', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    let token = '';
    let provider = config.provider;
    let answered = false;
    const refuse = (status: number, text: string) => {
      answered = true;
      return send(reply, status, uploadPage(providers, provider, ctxOf(s), { error: text }));
    };
    // The form puts its token and provider before the file: both are known before a byte is written.
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname === '_csrf') token = String(part.value);
        if (part.fieldname === 'provider') provider = String(part.value);
        continue;
      }
      if (answered || !allowed(req, reply, 'upload', token)) {
        answered = true;
        part.file.resume();
        continue;
      }
      if (!providers.includes(provider)) {
        part.file.resume();
        await refuse(400, `No provider ${provider} in this configuration.`);
        continue;
      }
      const saved = await saveUpload(part.file, part.filename, provider, s.user.name);
      if ('error' in saved) await refuse(saved.status, saved.error);
      else {
        answered = true;
        log.info('console: sheet uploaded', { file: path.relative(config.workDir, saved.file), by: s.user.name, sha256: saved.sha256 });
        if (options.ingestUploads) ingest(saved.file);
        await reply.redirect(`/uploads/${saved.sha256}`, 303);
      }
    }
    if (!answered) return refuse(400, 'Choose a payout sheet to upload.');
    return reply;
  });

  /** Writes the sheet into inbox/<provider>/ under a temp name, records its uploader, then renames it. */
  async function saveUpload(file: NodeJS.ReadableStream & { truncated?: boolean }, filename: string, provider: string, uploader: string): Promise<{ file: string; sha256: string } | { status: number; error: string }> {
    const dir = path.join(folders.inbox, provider);
    // A dotfile ending .part: intake never takes it while it is being written.
    const temp = path.join(dir, `.upload-${crypto.randomBytes(8).toString('hex')}.part`);
    const hash = crypto.createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(file, hashing, fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      fs.rmSync(temp, { force: true });
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' || file.truncated)
        return { status: 413, error: `The sheet is larger than the ${config.sheet.maxFileBytes} bytes allowed (sheet.maxFileBytes).` };
      throw err;
    }
    if (file.truncated) {
      fs.rmSync(temp, { force: true });
      return { status: 413, error: `The sheet is larger than the ${config.sheet.maxFileBytes} bytes allowed (sheet.maxFileBytes).` };
    }
    const sha256 = hash.digest('hex');
    const known = journal.findBatchBySha(sha256);
    if (known) {
      fs.rmSync(temp, { force: true });
      return { status: 409, error: `These bytes are already batch ${known.id} (${known.fileName}, ${known.state}): nothing was uploaded, nothing is paid twice.` };
    }
    // The uploader releases the file (four eyes, DESIGN §12): recorded before intake can see the sheet.
    journal.claimMeta(uploaderKey(sha256), uploader);
    // Never over a sheet already waiting in the inbox: `name (2).csv` when taken.
    const target = freePath(dir, filename || 'upload.csv');
    fs.renameSync(temp, target);
    uploads.set(sha256, path.basename(target));
    return { file: target, sha256 };
  }
  app.get<{ Params: { sha: string } }>('/uploads/:sha', async (req, reply) => {
    const s = signedIn(req, reply);
    if (!s) return reply;
    const sha = req.params.sha;
    if (!/^[0-9a-f]{64}$/.test(sha)) return send(reply, 404, messagePage(s, 404, 'Not found', 'No such upload.'));
    const batch = journal.findBatchBySha(sha);
    return send(reply, 200, uploadedPage(uploads.get(sha) ?? batch?.fileName ?? 'sheet', batch, ctxOf(s)));
  });

  /** `paybatch console` alone: its uploads are read here, one at a time, while no other process owns the folder. */
  function ingest(file: string): void {
    ingesting = ingesting.then(async () => {
      let lock;
      try {
        lock = acquireWorkLock(config.workDir, 'console');
      } catch (err) {
        if (!(err instanceof WorkFolderBusy)) throw err;
        log.info('console: the work folder has an owner; it takes the uploaded sheet', { file: path.basename(file) });
        return;
      }
      try {
        // Read and journaled here; sent by a watch or run-once (DESIGN §13: no submission of its own).
        await takeInboxFile(engine, file, { noWait: true, stableSeconds: 0, submit: false });
      } finally {
        lock.release();
      }
    }).catch((err: unknown) => {
      log.error('console: reading an uploaded sheet failed', { file: path.basename(file), error: err instanceof Error ? err.message : String(err) });
    });
  }

  const address = await app.listen({ host: config.console.host, port: config.console.port ?? 0 });
  log.info('console listening', { url: address });
  return {
    url: address,
    async close() {
      await app.close();
      await ingesting;
    },
  };
}
