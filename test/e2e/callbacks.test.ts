// Issue 6, promise 7: provider callbacks are verified, for each provider. `paybatch watch` serves
// POST /callbacks/<provider> on the configured port and, with the provider's callbackUrl left null, sends
// http://127.0.0.1:<port>/callbacks/<id> as the notify URL (Vexora, whose notifyUrl is mandatory, names that
// URL as its callbackUrl). Forged (bad signature), tampered (valid signature, one field changed) and oversized
// (> maxBodyBytes → 413) callbacks are refused and logged; a valid one is acknowledged as the provider expects
// and only triggers a query: the row's status always comes from the provider's answer. A byte-identical
// repeat (providers resend until they read their ack) is acknowledged the same way and triggers nothing.
// A provider whose callbacks are unsigned (capabilities.callbacks, StarPago) has them read as a trigger only.
// Every provider comes from the registry; its callbacks are crafted by its own sandbox kit.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, spawnCli, startSandboxProcess, tempDir, waitFor, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import {
  PROVIDERS,
  freePort,
  paybatchConfig,
  providerSheet,
  refFor,
  sandboxConfig,
  sandboxForce,
  sandboxPayouts,
  sandboxStats,
  type LedgerView,
  type ProviderName,
} from '../helpers/sheets.ts';
import { silentLogger } from '../../src/log.ts';
import type { CallbackAck, CraftedCallback } from '../../src/providers/types.ts';
import { credentialsOf, moduleOf } from '../helpers/providers.ts';

const MAX_BODY = 4096;
let dir: string;
const sandboxes = {} as Record<ProviderName, SandboxProcess>;
/** Refusals per kind and provider, printed at the end (the report's figures). */
const refused: Record<string, Record<string, number>> = {};
const count = (provider: string, kind: string) => {
  refused[provider] ??= {};
  refused[provider]![kind] = (refused[provider]![kind] ?? 0) + 1;
};

beforeAll(async () => {
  dir = tempDir('paybatch-callbacks-');
  // Settling takes a second: time enough for paybatch to journal the create answer before the callback.
  const cfg = writeJson(path.join(dir, 'sandboxes.json'), sandboxConfig(Object.fromEntries(PROVIDERS.map((p) => [p, { settleAfterSeconds: 1 }]))));
  const started = await Promise.all(PROVIDERS.map((p) => startSandboxProcess(p, cfg)));
  PROVIDERS.forEach((p, i) => (sandboxes[p] = started[i]!));
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
  console.log('callbacks refused (and repeats acknowledged) by kind and provider:', JSON.stringify(refused));
});

interface Reply {
  status: number;
  body: string;
  contentType: string | undefined;
}

/** A raw POST (the exact bytes given), answering the status and body even when the server closes early. */
function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(data.length) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, contentType: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The acknowledgement each adapter declares (what the real provider expects back). */
function ackOf(provider: ProviderName): CallbackAck {
  const module = moduleOf(provider);
  const block = module.configSchema.parse({ baseUrl: 'http://127.0.0.1:9', callbackUrl: 'http://127.0.0.1:9/callbacks', ...credentialsOf(provider) });
  const adapter = module.createAdapter(block, { log: silentLogger() });
  return adapter.callbackAck ?? { status: 200, contentType: 'text/plain', body: 'OK' };
}

const json = { 'content-type': 'application/json' };
let serial = 0;

/** Callbacks as each sandbox sends them (its sandbox kit, src/providers/<id>/), for one ledger record. */
function crafterOf(provider: ProviderName) {
  const kit = moduleOf(provider).sandboxKit;
  const craft = (r: LedgerView, claim: 'succeeded' | 'failed', variant: 'valid' | 'forged' | 'tampered') => kit.callback(r, claim, variant, ++serial);
  return {
    /** A correctly signed callback claiming `claim` for the record. */
    valid: (r: LedgerView, claim: 'succeeded' | 'failed'): CraftedCallback => craft(r, claim, 'valid')!,
    /** The same callback signed with the wrong key (undefined: this provider signs nothing). */
    forged: (r: LedgerView): CraftedCallback | undefined => craft(r, 'succeeded', 'forged'),
    /** A valid callback with one field changed after signing. */
    tampered: (r: LedgerView): CraftedCallback => craft(r, 'succeeded', 'tampered')!,
  };
}

function statuses(work: string): Map<string, string> {
  const db = new Database(path.join(work, 'journal.sqlite'), { readonly: true, timeout: 5000 });
  try {
    const rows = db.prepare('SELECT merchant_reference AS ref, status FROM payouts').all() as { ref: string; status: string }[];
    return new Map(rows.map((r) => [r.ref, r.status]));
  } finally {
    db.close();
  }
}

function logLines(work: string): Record<string, unknown>[] {
  const logs = path.join(work, 'logs');
  if (!fs.existsSync(logs)) return [];
  return fs
    .readdirSync(logs)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => fs.readFileSync(path.join(logs, f), 'utf8').split('\n'))
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.each(PROVIDERS)('callbacks: %s', (provider) => {
  it('served by watch: forged, tampered and oversized callbacks refused and logged; valid ones (and their repeats) acknowledged and only trigger a query', async () => {
    const sandbox = sandboxes[provider];
    const { capabilities } = moduleOf(provider);
    const signed = capabilities.callbacks === 'signed';
    const work = path.join(dir, `work-${provider}`);
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}/callbacks/${provider}`;
    const cfg = writeJson(
      path.join(dir, `${provider}.json`),
      paybatchConfig(
        work,
        // Long poll intervals: anything settled within seconds was settled because a callback asked.
        { [provider]: { url: sandbox.url, block: { poll: { firstAfterSeconds: 120, maxIntervalSeconds: 120, deadlineHours: 1 }, callbackUrl: capabilities.callbackUrlRequired ? endpoint : null } } },
        { callbacks: { port, maxBodyBytes: MAX_BODY } },
      ),
    );
    const refs = ['ok', 'fail', 'stuck'].map((t, i) => refFor(provider, `CB${t}`, i));
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to serve callbacks', () => out.includes(`callbacks on http://127.0.0.1:${port}/callbacks/<provider>`) || undefined, 60_000);
      if (provider === PROVIDERS[0]) {
        // Only POST /callbacks/<a provider> is served.
        expect((await post(`http://127.0.0.1:${port}/callbacks/nosuch`, '{}', json)).status).toBe(404);
        expect((await post(`http://127.0.0.1:${port}/callbacks/${provider}/../../x`, '{}', json)).status).toBe(404);
        expect((await fetch(endpoint)).status).toBe(404);
      }
      const before = await sandboxStats(sandbox.url);
      const started = Date.now();
      fs.mkdirSync(path.join(work, 'inbox', provider), { recursive: true });
      fs.writeFileSync(
        path.join(work, 'inbox', provider, 'callbacks.csv'),
        providerSheet(provider, [{ ref: refs[0]!, ending: '1111' }, { ref: refs[1]!, ending: '0002' }, { ref: refs[2]!, ending: '0003' }]),
      );

      // The sandbox's own callbacks settle the paid and the failed row long before the first poll (120 s; the
      // margins are wide so that a loaded CI machine still tells a callback from a poll).
      await waitFor(
        'the paid and the failed row to settle through callbacks',
        () => {
          if (!fs.existsSync(path.join(work, 'journal.sqlite'))) return undefined;
          const s = statuses(work);
          return s.get(refs[0]!) === 'succeeded' && s.get(refs[1]!) === 'failed' ? s : undefined;
        },
        90_000,
      );
      expect(Date.now() - started).toBeLessThan(100_000);
      const ledger = await sandboxPayouts(sandbox.url);
      const mine = refs.map((ref) => ledger.find((p) => p.reference === ref)!);
      for (const p of mine) expect((p as LedgerView & { notifyUrl?: string }).notifyUrl).toBe(endpoint);
      const afterSettle = await sandboxStats(sandbox.url);
      expect(afterSettle.callbacksDelivered - before.callbacksDelivered).toBeGreaterThanOrEqual(2);
      expect(afterSettle.callbacksFailed - before.callbacksFailed).toBe(0);
      expect(afterSettle.byKind.query - before.byKind.query).toBeGreaterThanOrEqual(2);
      expect(statuses(work).get(refs[2]!)).toBe('submitted');

      const stuck = mine[2]!;
      const crafter = crafterOf(provider);
      const ack = ackOf(provider);
      const queries = async () => (await sandboxStats(sandbox.url)).byKind.query;

      // Forged: signed with the wrong key.
      let q = await queries();
      const forged = crafter.forged(stuck);
      if (forged) {
        const r = await post(endpoint, forged.body, forged.headers);
        expect(r.status).toBe(401);
        expect(r.body).not.toBe(ack.body);
        count(provider, 'forged');
      } else {
        // Unsigned callbacks: what can be refused is a body that names no payout of ours.
        for (const body of ['not json', '{"status":"PAID"}', '{"merOrderNo":"../../etc/passwd","status":"PAID"}']) {
          const r = await post(endpoint, body, json);
          expect(r.status).toBe(401);
          count(provider, 'malformed');
        }
      }

      // Tampered: a valid signature over other content.
      const tampered = crafter.tampered(stuck);
      if (signed) {
        const r = await post(endpoint, tampered.body, tampered.headers);
        expect(r.status).toBe(401);
        count(provider, 'tampered');
        await sleep(600);
        expect(await queries()).toBe(q); // refused callbacks trigger nothing
      }

      // Oversized.
      const big = crafter.valid(stuck, 'succeeded');
      const padded = big.headers['content-type']!.includes('json')
        ? big.body.replace(/\}$/, `,"padding":"${'x'.repeat(MAX_BODY + 1000)}"}`)
        : `${big.body}&padding=${'x'.repeat(MAX_BODY + 1000)}`;
      const tooBig = await post(endpoint, padded, big.headers);
      expect(tooBig.status).toBe(413);
      count(provider, 'oversized');

      // Valid (unsigned: the tampered one is valid as far as anyone can tell): acknowledged as the provider
      // expects, and the row is queried at once — but the row is still processing, and stays pending.
      q = await queries();
      const valid = signed ? crafter.valid(stuck, 'succeeded') : tampered;
      const accepted = await post(endpoint, valid.body, valid.headers);
      expect(accepted.status).toBe(ack.status);
      expect(accepted.body).toBe(ack.body);
      expect(accepted.contentType).toBe(ack.contentType);
      await waitFor('the callback to trigger a query', async () => ((await queries()) > q ? true : undefined), 60_000);
      await sleep(300);
      expect(statuses(work).get(refs[2]!)).toBe('submitted'); // the callback's claim was not believed

      // Repeated: the same bytes again get the provider's acknowledgement (it resends until it reads it) and
      // trigger nothing.
      q = await queries();
      const replay = await post(endpoint, valid.body, valid.headers);
      expect(replay.status).toBe(ack.status);
      expect(replay.body).toBe(ack.body);
      expect(replay.contentType).toBe(ack.contentType);
      count(provider, 'repeated');
      await sleep(600);
      expect(await queries()).toBe(q);

      // A claim of success for the failed row changes nothing either.
      const lie = crafter.valid(mine[1]!, 'succeeded');
      expect((await post(endpoint, lie.body, lie.headers)).status).toBe(ack.status);
      await sleep(300);
      expect(statuses(work).get(refs[1]!)).toBe('failed');

      // When the provider really settles the stuck row, its callback completes it before any poll.
      expect(await sandboxForce(sandbox.url, stuck.reference, 'succeeded')).toBe(200);
      await waitFor('the stuck row to complete through the callback', () => (statuses(work).get(refs[2]!) === 'succeeded' ? true : undefined), 60_000);
      expect(Date.now() - started).toBeLessThan(115_000);

      // Every refusal is in the log with its reason.
      const expected = { rejected: signed ? 2 : 3, replay: 1, tooLarge: 1 };
      const lines = await waitFor(
        'the refusals to be logged',
        () => {
          const l = logLines(work);
          const rejected = l.filter((x) => x.message === 'callback rejected' && x.provider === provider);
          const replays = l.filter((x) => x.message === 'callback repeated: acknowledged again, not acted on' && x.provider === provider);
          const large = l.filter((x) => x.message === 'callback body too large');
          return rejected.length >= expected.rejected && replays.length >= expected.replay && large.length >= expected.tooLarge ? { rejected, replays, large } : undefined;
        },
        60_000,
      );
      for (const line of lines.rejected) expect(String(line.reason)).not.toBe('');
      expect(lines.large[0]).toMatchObject({ level: 'warn', limit: MAX_BODY });
      const accepted2 = logLines(work).filter((x) => x.message === 'callback accepted: the payout will be queried' && x.provider === provider);
      expect(accepted2.length).toBeGreaterThanOrEqual(3);
    } finally {
      watch.kill('SIGTERM');
      await new Promise((r) => (watch.exitCode !== null ? r(null) : watch.once('exit', r)));
    }
  }, 300_000);
});
