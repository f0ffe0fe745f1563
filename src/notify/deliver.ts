// Sending what the outbox holds (DESIGN §12), by whichever process runs next: watch on each tick, run and
// run-once once their batches are done. Due deliveries are attempted once per round; a temporary failure (SMTP
// 4xx, no connection, webhook 5xx/429/timeout) is tried again after notify.retry.firstAfterSeconds, doubling up
// to maxIntervalSeconds, and given up after giveUpHours; a permanent one (SMTP 5xx, webhook 4xx) is given up at
// once. Either way it is logged and `status` shows it. Nothing here touches a payout: a delivery that fails
// never stops, delays or repeats one, and never changes a command's exit code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { reportOptions, writeReportsFor } from '../engine/reporting.ts';
import type { Delivery } from '../journal/contract.ts';
import type { Journal } from '../journal/store.ts';
import { redact, registerSecret } from '../log.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { DeliveryStatus } from '../cli/output.ts';
import { isPermanentSmtpError, readAttachment, sendEmail, type EmailPayload, type MailAttachment } from './email.ts';
import { postWebhook, type WebhookPayload } from './webhook.ts';

/** A round stops starting attempts after this long: a process about to exit waits briefly, never for a retry. */
const ROUND_MS = 20_000;
/** Deliveries taken per round; the rest wait for the next one. */
const ROUND_LIMIT = 100;

/** Resolved secrets per engine and key, registered with the log's redaction before anything is sent or logged. */
const resolved = new WeakMap<Engine, Map<string, string>>();

/** One channel's secret: a reference that cannot be resolved (an unset variable) fails that channel only. */
function secretOf(engine: Engine, key: 'notify.email.smtp' | 'notify.webhook.secret', value: string): string {
  const known = resolved.get(engine) ?? new Map<string, string>();
  resolved.set(engine, known);
  let secret = known.get(key);
  if (secret !== undefined) return secret;
  secret = resolveSecret(value, key, engine.config.configDir, true);
  // The SMTP password also travels alone (an AUTH exchange, a URL printed without its user): redacted by itself too.
  const password = key === 'notify.email.smtp' && URL.canParse(secret) ? new URL(secret).password : '';
  if (password) {
    registerSecret(password);
    registerSecret(decodeURIComponent(password));
  }
  known.set(key, secret);
  return secret;
}

/** The journal minus its one write in writeReportsFor: rendering attachments must not move the batch's report paths. */
function recordingNothing(journal: Journal): Journal {
  return new Proxy(journal, {
    get(target, key) {
      if (key === 'updateBatch') return () => true;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const inside = (dir: string, file: string) => !path.relative(dir, file).startsWith('..') && !path.isAbsolute(path.relative(dir, file));

/**
 * results.xlsx and reconciliation.xlsx of the batch: this work folder's files when they are there, else
 * written from the journal into a temp folder (another machine's batch, a report that failed or was removed).
 * A results.xlsx over notify.email.maxAttachmentMB stays out; `note` says where it is.
 */
async function reportAttachments(engine: Engine, batchId: string): Promise<{ attachments: MailAttachment[]; note: string[] }> {
  const { journal, config } = engine;
  const batch = journal.getBatch(batchId);
  if (!batch) return { attachments: [], note: [] };
  const stored = batch.reports ?? {};
  const local = (key: 'results_xlsx' | 'reconciliation_xlsx') => {
    const file = stored[key];
    return file && inside(config.workDir, file) && fs.existsSync(file) ? file : undefined;
  };
  let files = { results: local('results_xlsx'), reconciliation: local('reconciliation_xlsx') };
  let temp: string | undefined;
  try {
    if (!files.results || !files.reconciliation) {
      temp = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-mail-'));
      const { paths } = await writeReportsFor(recordingNothing(journal), batchId, temp, reportOptions(engine));
      files = { results: paths.results_xlsx || undefined, reconciliation: paths.reconciliation_xlsx || undefined };
    }
    const attachments: MailAttachment[] = [];
    const note: string[] = [];
    const limitBytes = (config.notify?.email?.maxAttachmentMB ?? 10) * 1024 * 1024;
    const where = stored.results_xlsx || `paybatch report ${batchId} writes it`;
    if (!files.results) note.push(`results.xlsx could not be written for this mail: ${where}`);
    else if (fs.statSync(files.results).size > limitBytes)
      note.push(`results.xlsx (${(fs.statSync(files.results).size / 1024 / 1024).toFixed(1)} MB) is larger than notify.email.maxAttachmentMB and is not attached: ${where}`);
    else attachments.push(readAttachment(files.results, `${batchId}-results.xlsx`));
    if (files.reconciliation) attachments.push(readAttachment(files.reconciliation, `${batchId}-reconciliation.xlsx`));
    else note.push(`reconciliation.xlsx could not be written for this mail (paybatch report ${batchId} writes it)`);
    return { attachments, note };
  } finally {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** One attempt; throws with `permanent` set when trying again cannot help. */
async function attempt(engine: Engine, d: Delivery): Promise<void> {
  const notify = engine.config.notify;
  if (d.channel === 'email') {
    if (!notify?.email) throw Object.assign(new Error('notify.email is no longer configured'), { permanent: true });
    const smtpUrl = secretOf(engine, 'notify.email.smtp', notify.email.smtp);
    const mail = d.payload as EmailPayload;
    const { attachments, note } = mail.attachReports ? await reportAttachments(engine, d.batchId ?? '') : { attachments: [], note: [] };
    try {
      await sendEmail(smtpUrl, notify.email.from, d.id, mail, attachments, note);
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { permanent: isPermanentSmtpError(err) });
    }
    return;
  }
  if (!notify?.webhook) throw Object.assign(new Error('notify.webhook is no longer configured'), { permanent: true });
  await postWebhook(notify.webhook.url, secretOf(engine, 'notify.webhook.secret', notify.webhook.secret), d.id, d.payload as WebhookPayload);
}

/** When a delivery that failed `failures` times is tried next: firstAfterSeconds, doubling, capped. */
const retryDelayMs = (retry: { firstAfterSeconds: number; maxIntervalSeconds: number }, failures: number): number =>
  Math.min(retry.firstAfterSeconds * 2 ** Math.max(0, failures - 1), retry.maxIntervalSeconds) * 1000;

function describeFailure(err: unknown): string {
  const e = err as { message?: string; response?: string; responseCode?: number };
  const said = e.response && !String(e.message).includes(e.response) ? `${e.message}: ${e.response}` : (e.message ?? String(err));
  // Stored in the journal and printed by status: secrets are replaced here, not only in the log.
  return String(redact(said));
}

/**
 * Attempts every delivery due now, once each (a round stops starting new ones after ROUND_MS). Never throws:
 * what fails is recorded on the delivery and logged.
 */
export async function deliverDue(engine: Engine): Promise<void> {
  const { journal, log } = engine;
  const notify = engine.config.notify;
  if (!notify?.email && !notify?.webhook) return;
  const until = Date.now() + ROUND_MS;
  try {
    for (const d of journal.dueDeliveries(Date.now(), ROUND_LIMIT)) {
      if (Date.now() > until) break;
      try {
        await attempt(engine, d);
        journal.markDelivered(d.id);
        log.info('notification delivered', { id: d.id, event: d.event, batchId: d.batchId, channel: d.channel, attempts: d.attempts + 1 });
      } catch (err) {
        const error = describeFailure(err);
        // Set by attempt() on mail errors, by WebhookFailure itself.
        const permanent = (err as { permanent?: boolean }).permanent === true;
        const next = Date.now() + retryDelayMs(notify.retry, d.attempts + 1);
        const giveUpAt = Date.parse(d.createdAt) + notify.retry.giveUpHours * 3600 * 1000;
        const detail = { id: d.id, event: d.event, batchId: d.batchId, channel: d.channel, attempts: d.attempts + 1, error };
        if (permanent || next > giveUpAt) {
          journal.markDeliveryFailed(d.id, error, null);
          log.error(`notification given up (${permanent ? 'refused' : `not delivered within notify.retry.giveUpHours ${notify.retry.giveUpHours}`}): ${d.event} of batch ${d.batchId}`, detail);
        } else {
          journal.markDeliveryFailed(d.id, error, next);
          log.warn('notification not delivered; tried again later', { ...detail, nextAttemptAt: new Date(next).toISOString() });
        }
      }
    }
  } catch (err) {
    log.error('delivering notifications failed; tried again by the next process', { error: err instanceof Error ? err.message : String(err) });
  }
}

/** For `status`: pending deliveries and the latest given up, when notify is configured or anything was queued. */
export function deliveryStatus(engine: Engine): DeliveryStatus | undefined {
  const { journal, config } = engine;
  const pending = journal.deliveriesPending();
  const givenUp = journal.deliveriesGivenUp(20);
  if (!config.notify && pending === 0 && givenUp.length === 0) return undefined;
  return {
    pending,
    given_up: givenUp.map((d) => ({ id: d.id, event: d.event, batch: d.batchId, channel: d.channel, error: d.lastError, at: d.gaveUpAt })),
  };
}
