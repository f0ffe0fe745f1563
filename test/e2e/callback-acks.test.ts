// Callbacks as a provider sends them, to `paybatch watch`: Vexora's webhook sign is checked over the literal
// values received (an amount written 150.00 is signed as "150.00", not as the number 150), and a
// byte-identical repeat of an accepted callback — providers resend until they read their acknowledgement —
// gets the normal acknowledgement (200 "OK"), not a refusal, while still being acted on only once.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, spawnCli, startSandboxProcess, tempDir, waitFor, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { freePort, paybatchConfig, providerSheet, refFor, sandboxConfig, sandboxCredentials, sandboxPayouts, sandboxStats } from '../helpers/sheets.ts';
import { openJournal } from '../helpers/providers.ts';
import { vexoraSign } from '../../src/providers/vexora/sign.ts';

let dir: string;
let sandbox: SandboxProcess;

beforeAll(async () => {
  dir = tempDir('paybatch-callback-acks-');
  sandbox = await startSandboxProcess('vexora', writeJson(path.join(dir, 'sandbox.json'), sandboxConfig({ vexora: {} })));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(data.length) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('vexora webhooks served by watch', () => {
  it('signed over the literal amount 150.00: accepted and queried; signed over "150": refused; a byte-identical repeat: 200 OK, no second query', async () => {
    const work = path.join(dir, 'work');
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}/callbacks/vexora`;
    const cfg = writeJson(
      path.join(dir, 'config.json'),
      paybatchConfig(
        work,
        // Polls far apart: a query within seconds was asked for by a callback.
        { vexora: { url: sandbox.url, block: { callbackUrl: endpoint, poll: { firstAfterSeconds: 60, maxIntervalSeconds: 60, deadlineHours: 1 } } } },
        { callbacks: { port, maxBodyBytes: 4096 } },
      ),
    );
    const ref = refFor('vexora', 'CBACK', 0);
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to serve callbacks', () => out.includes(`callbacks on http://127.0.0.1:${port}/callbacks/<provider>`) || undefined, 60_000);
      fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
      // Account ending 0003: the payout stays processing, so the sandbox itself sends no webhook.
      fs.writeFileSync(path.join(work, 'inbox', 'acks.csv'), providerSheet('vexora', [{ ref, ending: '0003', amount: '150' }]));
      await waitFor(
        'the row to be submitted',
        () => {
          if (!fs.existsSync(path.join(work, 'journal.sqlite'))) return undefined;
          const j = openJournal(work);
          try {
            return j.payout(ref)?.status === 'submitted' || undefined;
          } finally {
            j.close();
          }
        },
        60_000,
      );
      const record = (await sandboxPayouts(sandbox.url)).find((p) => p.reference === ref)!;
      expect(record.amount).toBe('150');
      const secret = sandboxCredentials('vexora').secret!;
      const webhook = (signedAmount: string, message: string) => {
        const fields = { platFormTradeNo: record.providerRef, tradeNo: ref, amount: signedAmount, status: '0015', message };
        // The amount goes out as the JSON number 150.00, written exactly so.
        return `{"platFormTradeNo":${JSON.stringify(record.providerRef)},"tradeNo":${JSON.stringify(ref)},"amount":150.00,"status":"0015","message":${JSON.stringify(message)},"sign":"${vexoraSign(fields, secret)}"}`;
      };
      const queries = async () => (await sandboxStats(sandbox.url)).byKind.query;

      // Signed over what was sent: accepted, acknowledged as Vexora expects, and the row is queried.
      let q = await queries();
      const literal = webhook('150.00', 'in processing');
      const accepted = await post(endpoint, literal);
      expect(accepted).toEqual({ status: 200, body: 'OK' });
      await waitFor('the callback to trigger a query', async () => ((await queries()) > q ? true : undefined), 30_000);

      // Signed over the parsed number ("150") rather than the literal received: not what was sent, refused.
      q = await queries();
      const reparsed = await post(endpoint, webhook('150', 'in processing (2)'));
      expect(reparsed.status).toBe(401);

      // Vexora resends until it reads OK: the same bytes again are acknowledged, and trigger nothing.
      const repeat = await post(endpoint, literal);
      expect(repeat).toEqual({ status: 200, body: 'OK' });
      await sleep(800);
      expect(await queries()).toBe(q);
      const j = openJournal(work);
      try {
        const p = j.payout(ref)!;
        expect(p.status).toBe('submitted'); // a callback's claim is never the row's status
        expect(j.events(p.id).filter((e) => e.type === 'callback-received')).toHaveLength(1);
      } finally {
        j.close();
      }
    } finally {
      watch.kill('SIGTERM');
      await new Promise((r) => (watch.exitCode !== null ? r(null) : watch.once('exit', r)));
    }
  }, 180_000);
});
