// notify.webhook (DESIGN §12): a POST of `{ id, event, sent_at, batch, rows }`, signed with HMAC-SHA256 of the
// raw body (X-Paybatch-Signature: sha256=<hex>), the event id in X-Paybatch-Event-Id so a receiver drops the
// copies that at-least-once delivery may bring, and `sent_at` so it can refuse replays.
import crypto from 'node:crypto';
import type { batchDocument } from '../cli/output.ts';

/** What the outbox keeps for a webhook: the body without its id and time, which each attempt sets. */
export interface WebhookPayload {
  event: string;
  batch: ReturnType<typeof batchDocument>;
  /** needs_review (and reversed): the rows concerned, the first 200 (the rest are in the reports). */
  rows: { reference: string; amount: string; currency: string; status: string }[];
}

/** A receiver that does not answer within this is tried again later (a timeout is temporary). */
const TIMEOUT_MS = 10_000;

const signatureOf = (secret: string, rawBody: string): string => `sha256=${crypto.createHmac('sha256', secret).update(rawBody).digest('hex')}`;

/** Why a webhook attempt failed, and whether trying again can help. */
class WebhookFailure extends Error {
  override name = 'WebhookFailure';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/**
 * Posts one event. Resolves on a 2xx answer; throws WebhookFailure otherwise: temporary for no answer, a
 * timeout, 429 and 5xx; permanent for any other answer (4xx: the receiver refuses it, and will again).
 */
export async function postWebhook(url: string, secret: string, deliveryId: string, payload: WebhookPayload): Promise<void> {
  const body = JSON.stringify({ id: deliveryId, event: payload.event, sent_at: new Date().toISOString(), batch: payload.batch, rows: payload.rows });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'paybatch',
        'x-paybatch-event-id': deliveryId,
        'x-paybatch-signature': signatureOf(secret, body),
      },
      body,
      // A redirect would resend the signed body somewhere not configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const name = (err as Error).name;
    throw new WebhookFailure(name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : `no answer (${cause ?? (err as Error).message})`, false);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return;
  const temporary = res.status === 429 || res.status >= 500;
  throw new WebhookFailure(`HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (a redirect: configure the final URL)' : ''}`, !temporary);
}
