// @ts-check
// The PostgreSQL journal's thread: it owns the two connections (the journal's statements; the heartbeat) and
// answers the main thread, which blocks until it does (bridge.ts). The heartbeat runs here so that a main thread
// busy for seconds still keeps its lease. Plain JavaScript checked through JSDoc (like sqlite/bulk-worker.js): a
// worker thread cannot load TypeScript through tsx on Node 20; the messages are typed in protocol.ts.
import { workerData } from 'node:worker_threads';
import pg from 'pg';

/**
 * @typedef {import('./protocol.ts').WorkerData} WorkerData
 * @typedef {import('./protocol.ts').Request} Request
 * @typedef {import('./protocol.ts').Answer} Answer
 * @typedef {import('./protocol.ts').Result} Result
 * @typedef {import('./protocol.ts').WorkerError} WorkerError
 */

const data = /** @type {WorkerData} */ (workerData);
const signal = new Int32Array(data.signal);
const port = data.port;
const leaseMs = data.leaseSeconds * 1000;
const password = new URL(data.url).password;

const INT8_OID = 20;
/** int8 as Number: epoch milliseconds and counts (amounts are NUMERIC, read as their digits). */
const types = {
  /** @param {number} oid @param {any} format */
  getTypeParser: (oid, format) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)),
};

/**
 * @param {boolean} pipeline the journal's connection sends a request's statements at once; the heartbeat's sends one
 * @returns {pg.Client}
 */
function connection(pipeline) {
  const client = new pg.Client({
    pipeline,
    connectionString: data.url,
    types,
    options: '-c search_path=paybatch',
    application_name: 'paybatch',
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  // A connection that drops while idle: its next query fails and says so.
  client.on('error', () => undefined);
  return client;
}

const main = connection(true);
const beat = connection(false);
let fenced = false;
/** performance.now() of the last renewal the server confirmed; null until the process row exists. */
let renewedAt = /** @type {number | null} */ (null);
/** @type {NodeJS.Timeout | undefined} */
let heartbeatTimer;
/** @type {Promise<void> | null} */
let renewing = null;

/** The URL's password never leaves this thread, whatever a library put in a message. */
const redact = (/** @type {string} */ text) => (password ? text.split(password).join('***').split(encodeURIComponent(password)).join('***') : text);

/** @param {unknown} err @returns {WorkerError} */
function describe(err) {
  const e = /** @type {{ message?: string, code?: string }} */ (err ?? {});
  // One line: a server's message may span several.
  const message = redact(String(e.message ?? err)).replace(/\s+/g, ' ');
  const code = typeof e.code === 'string' ? e.code : undefined;
  // SQLSTATE classes 08 (connection), 28 (authorization), 3D (no such database), 57P (server shutting down),
  // and system errors (ECONNREFUSED…) mean the server cannot be used, not that a statement was wrong.
  const connectionLost = !code || /^(08|28|3D|57P)/.test(code) || code.startsWith('E');
  return { kind: connectionLost ? 'connection' : 'sql', message, code };
}

const RENEW = `UPDATE processes SET heartbeat_at = clock_timestamp(), lease_until = clock_timestamp() + make_interval(secs => $2)
  WHERE holder = $1 AND lease_until > clock_timestamp() AND closed_at IS NULL`;

/** One renewal at a time; a renewal that finds the lease expired fences this journal for good. */
function renew() {
  renewing ??= (async () => {
    try {
      const sentAt = performance.now();
      const r = await beat.query(RENEW, [data.holder, data.leaseSeconds]);
      if (r.rowCount === 1) renewedAt = sentAt;
      else fence();
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

function fence() {
  fenced = true;
  clearInterval(heartbeatTimer);
}

/** Before a write: a lease not confirmed for half its length (this thread was stopped, the heartbeat failed) is checked first. */
async function confirmLease() {
  if (renewedAt !== null && !fenced && performance.now() - renewedAt > leaseMs / 2) await renew();
}

/** @type {WorkerError} */
const LEASE_LOST = { kind: 'lease-lost', message: 'this process lost its lease on the shared journal (it stalled or was cut off): re-open the journal to continue' };

/**
 * The journal's statements are a few dozen shapes run again and again: each is prepared once per connection
 * (parsed and planned once), which about halved a transition's time here.
 * @type {Map<string, string>}
 */
const prepared = new Map();
const MAX_PREPARED = 500;
/** @param {string} text @returns {string | undefined} */
function preparedName(text) {
  let name = prepared.get(text);
  if (!name && prepared.size < MAX_PREPARED) prepared.set(text, (name = `paybatch_${prepared.size + 1}`));
  return name;
}

/** @param {Request} req @returns {Promise<Answer>} */
async function handle(req) {
  switch (req.type) {
    case 'open':
      await Promise.all([main.connect(), beat.connect()]);
      return { id: req.id, ok: true, results: [] };
    case 'renew':
      if (!fenced) await renew();
      if (fenced) return { id: req.id, ok: false, error: LEASE_LOST };
      if (data.heartbeat) heartbeatTimer ??= setInterval(() => void renew().catch(() => undefined), leaseMs / 3);
      return { id: req.id, ok: true, results: [] };
    case 'run': {
      if (req.write) await confirmLease();
      const refused = req.write && fenced;
      // Pipelined: every statement is on the wire at once, one round trip to the server for the request. A refused
      // write still runs its transaction control, so the transaction is where the main thread counts it, except
      // that its COMMIT becomes ROLLBACK: a transaction with a refused write is not committed in part.
      const sent = req.statements
        .filter((s) => !refused || s.control)
        .map((s) => (refused && s.text === 'COMMIT' ? { text: 'ROLLBACK' } : s))
        .map((s) => main.query({ text: s.text, values: s.values, name: s.values?.length ? preparedName(s.text) : undefined }));
      const settled = await Promise.allSettled(sent);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (refused) return { id: req.id, ok: false, error: LEASE_LOST };
      const results = settled.map((r) => {
        const { rows, rowCount, command } = /** @type {PromiseFulfilledResult<pg.QueryResult>} */ (r).value;
        return { rows, rowCount: rowCount ?? 0, command };
      });
      return { id: req.id, ok: true, results };
    }
    case 'close':
      clearInterval(heartbeatTimer);
      await Promise.allSettled([main.end(), beat.end()]);
      return { id: req.id, ok: true, results: [] };
  }
}

/** @param {Answer} answer */
function reply(answer) {
  port.postMessage(answer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

// The main thread waits for one answer at a time: requests come one by one.
port.on('message', (/** @type {Request} */ req) => {
  handle(req).then(reply, (err) => reply({ id: req.id, ok: false, error: describe(err) }));
});
